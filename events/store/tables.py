"""The row the log stores per event. Rows only: the Alembic migrations own the schema."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid, the cheapest key it has.
_Position = BigInteger().with_variant(Integer(), "sqlite")


class EventRow(SQLModel, table=True):
    """One stored event. `data`, `sources` and `metadata` hold canonical JSON text,
    exactly the bytes the hash covers, so no database can reorder or reformat them."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("stream", "version", name="uq_events_stream_version"),)

    position: int = Field(sa_column=Column(_Position, primary_key=True, autoincrement=False))
    id: str = Field(sa_column=Column(String(36), nullable=False, unique=True))
    stream: str = Field(sa_column=Column(String(200), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    occurred: str = Field(sa_column=Column(String(100), nullable=False))
    occurred_lower: str = Field(sa_column=Column(String(10), nullable=False))
    occurred_upper: str = Field(sa_column=Column(String(10), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))
    recorded_by: str = Field(sa_column=Column(String(200), nullable=False))
    data: str = Field(sa_column=Column(Text, nullable=False))
    sources: str = Field(sa_column=Column(Text, nullable=False))
    metadata_: str = Field(sa_column=Column("metadata", Text, nullable=False))
    prev_hash: str = Field(sa_column=Column(String(64), nullable=False))
    hash: str = Field(sa_column=Column(String(64), nullable=False))


events_table = EventRow.__table__  # type: ignore[attr-defined]

# Column order shared by every query that reads whole rows.
ROW_COLUMNS = (
    "position", "id", "stream", "version", "type", "occurred", "occurred_lower", "occurred_upper",
    "recorded_at", "recorded_by", "data", "sources", "metadata", "prev_hash", "hash",
)
