"""GET /docs: Swagger UI under a Content-Security-Policy with no inline script.

FastAPI's own page starts Swagger UI with an inline script, which the policy of every other page
refuses. Here the same start-up code is a script of ours (/docs/init.js) that reads the document's
address from the page, and only this page may also load Swagger UI's script and style from its CDN.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from goalstream_runtime.http_security import policy

SWAGGER_UI = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5"  # the version FastAPI's own page loads
ASSETS = "https://cdn.jsdelivr.net"
DOCS_POLICY = policy(
    script_src=f"'self' {ASSETS}",
    style_src=f"'self' {ASSETS}",
    img_src="'self' data:",  # Swagger UI's icons are data: URLs in its style sheet
    connect_src="'self'",  # the OpenAPI document and "Try it out"
)

INIT_JS = """\
"use strict";
// Starts Swagger UI as FastAPI's page does; the document's address comes from the page.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def install(app: FastAPI) -> None:
    """/docs and its script; the app must be made with `docs_url=None` so FastAPI's own page is off."""
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(app.title)} · API docs</title>
<link rel="stylesheet" href="{SWAGGER_UI}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(app.openapi_url or "")}"></div>
<script src="{SWAGGER_UI}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_POLICY})

    @app.get("/docs/init.js", include_in_schema=False)
    async def docs_init() -> Response:
        return Response(INIT_JS, media_type="text/javascript")
