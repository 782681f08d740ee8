"""The web pages: server-rendered Jinja2 over the same query functions as the JSON API.

`install(app)` adds the static files, the archivist's pages and the security
headers; the JSON endpoints hand their results to
`service.web.pages` when a request prefers text/html (`negotiation`).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from service.web.archivist import router
from service.web.headers import SecurityHeaders
from service.web.negotiation import varied, wants_html
from service.web.rendering import STATIC


def install(app: FastAPI) -> None:
    """Serve the pages' static files and the archivist's pages, send security headers."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.add_middleware(SecurityHeaders)


__all__ = ["install", "varied", "wants_html"]
