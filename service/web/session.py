"""Archivists' sessions in the browser: a server-side session behind an HttpOnly, SameSite cookie, and CSRF tokens.

Signing in checks an accord token once (`service.tokens.authenticate`) and
keeps only who it belongs to; the token itself is never stored or sent back.
Sessions live in this process's memory, keyed by the SHA-256 of the cookie,
and end after `SESSION_SECONDS` or on signing out. Every form that changes
something carries a CSRF token: the session's own once signed in, and before
that (the sign-in form) a random value also set as a cookie, which another
site can neither read nor set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "accord_session"
SIGN_IN_COOKIE = "accord_signin"
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class WebSession:
    name: str
    role: str
    csrf: str
    expires: float


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


class Sessions:
    """The signed-in archivists of this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, WebSession] = {}

    def start(self, name: str, role: str) -> tuple[str, WebSession]:
        """A new session for `name`: the cookie value to send and the session."""
        cookie = secrets.token_urlsafe(32)
        session = WebSession(name, role, secrets.token_urlsafe(32), time.monotonic() + SESSION_SECONDS)
        with self._lock:
            if len(self._by_key) >= MAX_SESSIONS:
                now = time.monotonic()
                self._by_key = {k: s for k, s in self._by_key.items() if s.expires > now}
            self._by_key[_key(cookie)] = session
        return cookie, session

    def get(self, cookie: str | None) -> WebSession | None:
        if not cookie:
            return None
        with self._lock:
            session = self._by_key.get(_key(cookie))
            if session is not None and session.expires <= time.monotonic():
                del self._by_key[_key(cookie)]
                return None
        return session

    def end(self, cookie: str | None) -> None:
        if cookie:
            with self._lock:
                self._by_key.pop(_key(cookie), None)


def sessions_of(request: Request) -> Sessions:
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def current(request: Request) -> WebSession | None:
    """The archivist signed in on this browser, if any (remembered on `request.state` for the templates)."""
    session = sessions_of(request).get(request.cookies.get(COOKIE))
    request.state.web_session = session
    return session


def same(expected: str | None, given: str | None) -> bool:
    """Whether a CSRF token sent with a form is the one expected, compared in constant time."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """A cookie scripts cannot read, never sent with another site's requests, Secure over HTTPS."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def forget_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
