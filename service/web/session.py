"""Archivists' sessions in the browser: a server-side session behind an HttpOnly, SameSite cookie, and CSRF tokens.

Signing in checks an accord token once (`service.tokens.authenticate`) and
keeps only who it belongs to; the token itself is never stored or sent back.
Sessions live in the archive's database (table `web_sessions`), keyed by the
SHA-256 of the cookie, so every node behind a load balancer knows them and a
restart signs no one out; they end after `SESSION_SECONDS` or on signing out.
Every form that changes something carries a CSRF token: the session's own
once signed in, and before that (the sign-in form) a random value also set as
a cookie, which another site can neither read nor set.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "accord_session"
SIGN_IN_COOKIE = "accord_signin"
SESSION_SECONDS = 8 * 3600

web_sessions = sa.Table(
    "web_sessions",
    sa.MetaData(),
    sa.Column("key_hash", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("expires", sa.BigInteger, nullable=False),
)
"""Created by the migration service_0002."""


@dataclass(frozen=True)
class WebSession:
    name: str
    role: str
    csrf: str
    expires: int


def _key(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def start(engine: Engine, name: str, role: str) -> tuple[str, WebSession]:
    """A new session for `name`: the cookie value to send, and the session. Forgets expired sessions."""
    cookie = secrets.token_urlsafe(32)
    now = int(time.time())
    session = WebSession(name, role, secrets.token_urlsafe(32), now + SESSION_SECONDS)
    with engine.begin() as connection:
        connection.execute(web_sessions.delete().where(web_sessions.c.expires <= now))
        connection.execute(web_sessions.insert().values(key_hash=_key(cookie), **session.__dict__))
    return cookie, session


def find(engine: Engine, cookie: str | None) -> WebSession | None:
    """The unexpired session a cookie names, if any."""
    if not cookie or len(cookie) > 100:
        return None
    c = web_sessions.c
    query = sa.select(c.name, c.role, c.csrf, c.expires).where(c.key_hash == _key(cookie), c.expires > int(time.time()))
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return WebSession(*row) if row else None


def end(engine: Engine, cookie: str | None) -> None:
    if cookie:
        with engine.begin() as connection:
            connection.execute(web_sessions.delete().where(web_sessions.c.key_hash == _key(cookie)))


def engine_of(request: Request) -> Engine:
    return request.app.state.archive.store.engine  # type: ignore[no-any-return]


async def current(request: Request) -> WebSession | None:
    """The archivist signed in on this browser, if any (remembered on `request.state` for the templates)."""
    cookie = request.cookies.get(COOKIE)
    session = await run_in_threadpool(find, engine_of(request), cookie) if cookie else None
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
