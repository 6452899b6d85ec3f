"""The browser security headers every service sends, on every response (see docs/decisions.md).

`nosniff` goes on everything, so a browser never reads a JSON body or a text error as HTML or script.
The Content-Security-Policy goes on everything too: on an API body it costs nothing, and a page can
never be served without it by forgetting a content type. A route that needs another policy (/docs,
which loads Swagger UI) sets its own header, and this middleware leaves it as it is.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def policy(**sources: str) -> str:
    """A policy that allows nothing but what `sources` names (`script_src="'self'"`), framed by nobody."""
    directives = {"default_src": "'none'", **sources, "base_uri": "'none'", "frame_ancestors": "'none'"}
    return "; ".join(f"{name.replace('_', '-')} {value}" for name, value in directives.items())


# Pages (the dashboard): their own scripts, styles and API only; no inline script or style, no eval.
# Trusted Types make the browser itself refuse any string written as HTML (innerHTML and the like).
PAGE_POLICY = policy(
    script_src="'self'",
    style_src="'self'",
    img_src="'self'",
    connect_src="'self'",
    form_action="'self'",
    require_trusted_types_for="'script'",
    trusted_types="'none'",
)

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": PAGE_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "no-referrer",  # no address of ours is told to another site
}


class SecurityHeaders:
    """Adds `HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_secured)
