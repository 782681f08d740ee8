"""Bearer tokens: who is asking, and whether their role lets them.

Reads are public unless `ACCORD_PUBLIC_READ=false`, when any known token
will do; appends need an `archivist` or `admin` token. No token, or one the
archive does not know or has revoked, is 401; a known token whose role does
not suffice is 403. The name of the token that appended an event is its
`recorded_by`.

A revoked token is refused from the first request after `accord token
revoke` returns, on every node. Every request asks the database whether its
token is in force, except an append: a node keeps the name and role of the
tokens it has met (`TokenCache`), and the committer asks once for all the
appends it commits together (`service.api.committer`), so an append costs no
query of its own.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from service.api.problems import ApiProblem
from service.tokens import LAST_USED_EVERY, Role, authenticate, digest, note_use
from service.web.session import current as current_session

bearer = HTTPBearer(auto_error=False, description="An accord token: `accord token create --name N --role R`")
APPEND_ROLES: tuple[Role, ...] = ("archivist", "admin")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="accord"'}
log = logging.getLogger("accord.http")


TOKEN_CACHE_SECONDS = 10.0
"""How long a node keeps the name and role of a token it has met (whether it is in force is asked apart)."""


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role
    token_hash: str | None = None
    """The SHA-256 of the bearer token; None for an archivist signed in on the web pages."""


def unknown_token() -> ApiProblem:
    """The 401 for a token the archive does not know, or has revoked."""
    challenge = _CHALLENGE["WWW-Authenticate"] + ', error="invalid_token"'
    return ApiProblem(401, "the archive knows no such token, or it was revoked", headers={"WWW-Authenticate": challenge})


class TokenCache:
    """The tokens a node has met, by hash: who each belongs to (for TOKEN_CACHE_SECONDS), and when its
    use was last noted in the database."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Caller, float]] = {}
        self._noted: dict[str, float] = {}

    def get(self, hashed: str) -> Caller | None:
        hit = self._known.get(hashed)
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def put(self, caller: Caller) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[caller.token_hash] = (caller, time.monotonic() + TOKEN_CACHE_SECONDS)  # type: ignore[index]

    def use_to_note(self, hashed: str) -> bool:
        """Whether this use of the token is the one to note, none having been noted in LAST_USED_EVERY seconds."""
        now = time.monotonic()
        if now - self._noted.get(hashed, -LAST_USED_EVERY) < LAST_USED_EVERY:
            return False
        if len(self._noted) > 10_000:
            self._noted.clear()
        self._noted[hashed] = now
        return True


async def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None, *, cached: bool) -> Caller:
    """The token's holder; with `cached`, possibly from what this node remembers, whether or not the token
    is still in force (the caller must then have that checked)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "this needs Authorization: Bearer <token>", headers=_CHALLENGE)
    cache: TokenCache = request.app.state.tokens
    hashed = digest(credentials.credentials)
    engine = request.app.state.archive.store.engine
    caller = cache.get(hashed) if cached else None
    if caller is None:
        found = await run_in_threadpool(authenticate, engine, credentials.credentials)
        if found is None:
            raise unknown_token()
        caller = Caller(*found, token_hash=hashed)
        cache.put(caller)
    if cache.use_to_note(hashed):
        try:
            await run_in_threadpool(note_use, engine, hashed)
        except Exception:  # a note of when it was used is not worth failing a request over
            log.warning("could not note the use of token %s", caller.name, exc_info=True)
    return caller


def _may_append(caller: Caller) -> Caller:
    if caller.role not in APPEND_ROLES:
        raise ApiProblem(403, f"a {caller.role} token may not append; it takes an archivist or admin token")
    return caller


async def archivist(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller, who must hold an archivist or admin token in force."""
    return _may_append(await _caller(request, credentials, cached=False))


async def appender(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """As `archivist`, for a request whose token the committer checks is in force (see the module's doc)."""
    return _may_append(await _caller(request, credentials, cached=True))


async def reader(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller | None:
    """Anyone while reads are public; otherwise the holder of any token in force."""
    if request.app.state.settings.public_read:
        return None
    if credentials is None:
        session = await current_session(request)
        if session is not None:  # an archivist signed in on the web pages reads them too
            return Caller(session.name, session.role)
    return await _caller(request, credentials, cached=False)
