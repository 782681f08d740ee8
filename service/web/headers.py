"""Security headers: two on every response, and a strict Content-Security-Policy on every page accord renders.

The pages load nothing from another host and run one script of their own
(`static/copy.js`, which only adds copy buttons), so the policy allows only
this origin and no inline script or style at all. It is set by
`service.web.rendering.render` on accord's own pages only: FastAPI's `/docs`
is a page of someone else's making (inline script, assets from a CDN) and
keeps working.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
ON_PAGES = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Frame-Options": "DENY"}


class SecurityHeaders:
    """Adds `ALWAYS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                message["headers"] = headers + [(name, value) for name, value in ALWAYS if name not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)
