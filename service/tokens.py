"""API tokens: created once, shown once, stored as a hash; listed without their secret; revoked for good.

Tokens carry 256 random bits, so a plain SHA-256 is enough to store them: no
one can search that space, and a lookup by hash keeps the check constant-time.
A revoked token keeps its row, marked with when it was revoked: the archive
refuses it from then on, and its name, which the log records as `recorded_by`
of what it appended, is never given to anyone else. When a token was last
used is noted at most once every LAST_USED_EVERY seconds per token and
process, so using a token does not mean writing to the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Column, Engine, String, column, select, table
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

Role = Literal["reader", "archivist", "admin"]
ROLES: tuple[Role, ...] = ("reader", "archivist", "admin")
PREFIX = "accord_"
LAST_USED_EVERY = 60.0
"""Seconds between two notes of when one token was used, in one process."""


class TokenRow(SQLModel, table=True):
    __tablename__ = "tokens"

    name: str = Field(sa_column=Column(String(200), primary_key=True))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))
    last_used_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    revoked_at: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))


_table = TokenRow.__table__  # type: ignore[attr-defined]
_sessions = table("web_sessions", column("name"))
"""The browser sessions a token signed in (`service.web.session`), as far as revoking the token ends them."""


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown of a token: never its secret, nor its hash."""

    name: str
    role: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokenError(ValueError):
    """The token cannot be created or revoked as asked."""


def digest(token: str) -> str:
    """The SHA-256 a token is stored and looked up by."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_token(engine: Engine, name: str, role: str) -> str:
    """Store a new token for `name` with `role` and return it; it is never shown again."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise TokenError("a token needs a name")
    if len(name) > 200:
        raise TokenError("a token's name is at most 200 characters")
    token = PREFIX + secrets.token_urlsafe(32)
    row = {"name": name, "role": role, "token_hash": digest(token), "created_at": _now()}
    try:
        with engine.begin() as connection:
            connection.execute(_table.insert(), row)
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists; names are never reused, not even a revoked token's") from None
    return token


def authenticate(engine: Engine, token: str) -> tuple[str, Role] | None:
    """Return the name and role a token belongs to, or None for a token unknown or revoked."""
    hashed = digest(token)
    query = select(_table.c.name, _table.c.role, _table.c.token_hash).where(
        _table.c.token_hash == hashed, _table.c.revoked_at.is_(None)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None or not hmac.compare_digest(row.token_hash, hashed):
        return None
    return row.name, row.role


def in_force(engine: Engine, hashes: Iterable[str]) -> set[str]:
    """Those of the token hashes `hashes` that belong to tokens neither unknown nor revoked."""
    wanted = tuple(set(hashes))
    if not wanted:
        return set()
    # Asked once for every group of appends, so straight to the driver, as the store's own queries on that path.
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    query = f"SELECT token_hash FROM tokens WHERE revoked_at IS NULL AND token_hash IN ({', '.join([mark] * len(wanted))})"
    with engine.connect() as connection:
        return {row[0] for row in connection.exec_driver_sql(query, wanted)}


def note_use(engine: Engine, hashed: str) -> None:
    """Note that the token with hash `hashed` was used now."""
    with engine.begin() as connection:
        connection.execute(_table.update().where(_table.c.token_hash == hashed).values(last_used_at=_now()))


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, by name: role, when created, last used and revoked."""
    c = _table.c
    with engine.connect() as connection:
        rows = connection.execute(select(c.name, c.role, c.created_at, c.last_used_at, c.revoked_at).order_by(c.name))
        return [TokenInfo(*row) for row in rows]


def revoke_token(engine: Engine, name: str) -> TokenInfo:
    """Revoke the token named `name`, and end the web sessions it signed in; raise TokenError if there is none in force."""
    c = _table.c
    with engine.begin() as connection:
        row = connection.execute(select(c.name, c.role, c.created_at, c.last_used_at, c.revoked_at).where(c.name == name)).first()
        if row is None:
            raise TokenError(f"no token is named {name!r}")
        if row.revoked_at is not None:
            raise TokenError(f"the token {name!r} was revoked at {row.revoked_at}")
        revoked_at = _now()
        connection.execute(_table.update().where(c.name == name).values(revoked_at=revoked_at))
        connection.execute(_sessions.delete().where(_sessions.c.name == name))
    return TokenInfo(row.name, row.role, row.created_at, row.last_used_at, revoked_at)
