"""Event stores: the contract (`EventStore`) and its SQL implementation."""

from events.store.base import EventStore
from events.store.sql import SqlEventStore

__all__ = ["EventStore", "SqlEventStore", "open_store"]


def open_store(url: str, *, extra_migrations: tuple[str, ...] = ()) -> SqlEventStore:
    """Open (and on first use, migrate) the log at a SQLAlchemy URL."""
    return SqlEventStore(url, extra_migrations=extra_migrations)
