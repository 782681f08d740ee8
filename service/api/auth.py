"""Bearer tokens: who is asking, and whether their role lets them.

Reads are public unless `ACCORD_PUBLIC_READ=false`, when any known token
will do; appends need an `archivist` or `admin` token. No token, or one the
archive does not know, is 401; a known token whose role does not suffice is
403. The name of the token that appended an event is its `recorded_by`.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from service.api.problems import ApiProblem
from service.tokens import Role, authenticate
from service.web.session import current as current_session

bearer = HTTPBearer(auto_error=False, description="An accord token: `accord token create --name N --role R`")
APPEND_ROLES: tuple[Role, ...] = ("archivist", "admin")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="accord"'}


TOKEN_CACHE_SECONDS = 10.0
"""How long a known token is trusted without asking the database again (tokens are never changed in place)."""


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role


class TokenCache:
    """Known tokens by their SHA-256, each for TOKEN_CACHE_SECONDS: an append should not cost a token lookup."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[Caller, float]] = {}

    def get(self, token: str) -> Caller | None:
        hit = self._known.get(hashlib.sha256(token.encode()).hexdigest())
        return hit[0] if hit is not None and hit[1] > time.monotonic() else None

    def put(self, token: str, caller: Caller) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[hashlib.sha256(token.encode()).hexdigest()] = (caller, time.monotonic() + TOKEN_CACHE_SECONDS)


async def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiProblem(401, "this needs Authorization: Bearer <token>", headers=_CHALLENGE)
    cache: TokenCache = request.app.state.tokens
    cached = cache.get(credentials.credentials)
    if cached is not None:
        return cached
    engine = request.app.state.archive.store.engine
    found = await run_in_threadpool(authenticate, engine, credentials.credentials)
    if found is None:
        raise ApiProblem(401, "the archive knows no such token", headers={**_CHALLENGE, "WWW-Authenticate": _CHALLENGE["WWW-Authenticate"] + ', error="invalid_token"'})
    caller = Caller(*found)
    cache.put(credentials.credentials, caller)
    return caller


async def archivist(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    """The caller, who must hold an archivist or admin token."""
    caller = await _caller(request, credentials)
    if caller.role not in APPEND_ROLES:
        raise ApiProblem(403, f"a {caller.role} token may not append; it takes an archivist or admin token")
    return caller


async def reader(request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller | None:
    """Anyone while reads are public; otherwise the holder of any known token."""
    if request.app.state.settings.public_read:
        return None
    if credentials is None:
        session = await current_session(request)
        if session is not None:  # an archivist signed in on the web pages reads them too
            return Caller(session.name, session.role)
    return await _caller(request, credentials)
