"""Settings from `ACCORD_*` environment variables, checked when read."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.notes import NoteError, check_key_name
from search_index.postings import DEFAULT_CACHE_MB


class Settings(BaseSettings):
    """Where accord keeps its data and how it behaves.

    data_dir: the SQLite file and the search index live here.
    database_url: a SQLAlchemy URL; SQLite in `data_dir` when unset,
    `postgresql+psycopg://user@host/db` for PostgreSQL.
    The HTTP service's own settings are documented beside each field.
    """

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    data_dir: Path = Path("accord-data")
    database_url: str | None = None
    # The HTTP service.
    public_read: bool = True
    """Reads need no token; when false, every read needs a token of any role."""
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    """Request bodies larger than this are refused with 413."""
    poll_seconds: float = Field(default=1.0, gt=0)
    """How often the server looks for events other processes appended (the fallback to LISTEN/NOTIFY)."""
    heartbeat_seconds: float = Field(default=15.0, gt=0)
    """An idle live stream (`/events/live`) sends a comment this often, so proxies keep it open."""
    search_cache_mb: int = Field(default=DEFAULT_CACHE_MB, ge=0)
    """Decoded postings and word scores each process keeps for the searches that follow (the least
    recently used go first); 0 keeps none."""
    signing_key: str | None = None
    """The Ed25519 key checkpoints are signed with: a file (PKCS#8 PEM, or Go's `PRIVATE+KEY+...` form), or
    the key itself; `signing-key.pem` in `data_dir` (`accord key create`) when unset. Without a key a node
    serves the log but signs nothing, and /checkpoint says why."""
    log_origin: str = "accord.local/log"
    """The log's name: the first line of every checkpoint and the name of its key; one value for every node
    of a deployment, best a schema-less URL of its own (`archive.example.org/accord`)."""
    checkpoint_seconds: float = Field(default=10.0, gt=0)
    """The server signs the head at most this often, and only when the log moved."""
    access_log: bool = False
    """A line per request on the console. Off by default, as gunicorn has it: /metrics counts the
    requests by route and status, and every failure is logged with its request id."""

    @field_validator("log_origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        try:
            return check_key_name(value)
        except NoteError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.startswith(("postgresql://", "postgres://")):
            # The psycopg 3 driver is the one accord installs.
            return "postgresql+psycopg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @property
    def default_key_file(self) -> Path:
        """Where `accord key create` writes the key, and where a node looks for one when ACCORD_SIGNING_KEY is unset."""
        return self.data_dir / "signing-key.pem"

    @property
    def url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'accord.db'}"
