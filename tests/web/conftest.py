"""The pages over HTTP on each backend: the same running app and seed corpus as tests/http, asked as a browser asks."""

from __future__ import annotations

import re
from typing import Any

from tests.http.conftest import Server, seeded, server, settings_for  # noqa: F401  (fixtures shared with tests/http)

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def page(app: Server, path: str, **params: Any) -> Any:
    """GET `path` as a browser does."""
    return app.client.get(path, params=params or None, headers=BROWSER)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the form carries no CSRF token"
    return found[1]


def sign_in(app: Server, role: str = "archivist") -> str:
    """Sign in through the form with a token of `role`; the session's CSRF token for later forms."""
    form = page(app, "/archivist")
    response = app.client.post(
        "/archivist/sign-in", data={"csrf": csrf_of(form.text), "token": app.tokens[role], "next": "/archivist"},
        headers=BROWSER, follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(page(app, "/archivist").text)
