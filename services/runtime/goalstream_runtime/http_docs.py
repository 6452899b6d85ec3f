"""GET /docs: Swagger UI from this package, under a Content-Security-Policy with no inline script and no other host.

FastAPI's own page starts Swagger UI with an inline script and loads it from a CDN, so /docs was blank
without internet access. Here Swagger UI's files ship in the package (static/swagger-ui, the npm package
swagger-ui-dist at SWAGGER_UI_VERSION, copied unchanged) and are served under /docs/assets; the start-up
code is a script of ours (/docs/init.js) that reads the document's address from the page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from goalstream_runtime.http_security import policy

SWAGGER_UI_VERSION = "5.35.0"  # static/swagger-ui/VERSION.md says how to move to another
ASSETS_DIR = Path(__file__).parent / "static" / "swagger-ui"
ASSETS = "/docs/assets"
DOCS_POLICY = policy(
    script_src="'self'",
    style_src="'self'",
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
  presets: [SwaggerUIBundle.presets.apis],
});
"""


def install(app: FastAPI) -> None:
    """/docs, its script and its assets; the app must be made with `docs_url=None` so FastAPI's own page is off."""
    # The version in the assets' address: a browser's cached copy is never taken for another version's.
    assets = f"{ASSETS}/{SWAGGER_UI_VERSION}"
    page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(app.title)} · API docs</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(app.openapi_url or "")}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
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

    # check_dir: a package built without its assets fails at start-up, not with a blank page.
    app.mount(assets, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
