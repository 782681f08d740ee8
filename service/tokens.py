"""API tokens: created once, shown once, stored as a hash.

Tokens carry 256 random bits, so a plain SHA-256 is enough to store them: no
one can search that space, and a lookup by hash keeps the check constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Column, Engine, String, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

Role = Literal["reader", "archivist", "admin"]
ROLES: tuple[Role, ...] = ("reader", "archivist", "admin")
PREFIX = "accord_"


class TokenRow(SQLModel, table=True):
    __tablename__ = "tokens"

    name: str = Field(sa_column=Column(String(200), primary_key=True))
    role: str = Field(sa_column=Column(String(20), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: str = Field(sa_column=Column(String(32), nullable=False))


class TokenError(ValueError):
    """The token cannot be created as asked."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, role: str) -> str:
    """Store a new token for `name` with `role` and return it; it is never shown again."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name.strip():
        raise TokenError("a token needs a name")
    token = PREFIX + secrets.token_urlsafe(32)
    row = {"name": name, "role": role, "token_hash": _digest(token),
           "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    try:
        with engine.begin() as connection:
            connection.execute(TokenRow.__table__.insert(), row)  # type: ignore[attr-defined]
    except IntegrityError:
        raise TokenError(f"a token named {name!r} already exists") from None
    return token


def authenticate(engine: Engine, token: str) -> tuple[str, Role] | None:
    """Return the name and role a token belongs to, or None."""
    digest = _digest(token)
    table = TokenRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as connection:
        row = connection.execute(select(table.c.name, table.c.role, table.c.token_hash).where(table.c.token_hash == digest)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row.name, row.role
