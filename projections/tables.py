"""The read-model tables, in the log's own database.

Read models are disposable: everything here can be rebuilt from the log. So
their tables are created by the projection that owns them, and dropped and
created afresh when its version changes, instead of being migrated with Alembic
like the log: a new projection version is a new fold, not an edit of old rows.

Facts are bitemporal. Each fact has one row per revision: the original is
revision 0, each correction adds the next one. A revision is what the archive
said from `known_from` until `known_until` (open while NULL): a correction
closes the revision it replaces, a retraction closes the last one and adds
none. What the archive said at moment K is the revisions with
`known_from <= K < known_until`, so a correction recorded today never changes
an answer about yesterday.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

# One SQLModel metadata for all accord tables; each projection names its own.


class CheckpointRow(SQLModel, table=True):
    """How far each projection has folded the log, and with which version of its code."""

    __tablename__ = "projection_checkpoints"

    name: str = Field(sa_column=Column(String(64), primary_key=True))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))


class FactRevisionRow(SQLModel, table=True):
    """One revision of one fact: the event's content as corrected up to that revision.

    `placed_lower` and `placed_upper` are where it stands on timelines (see
    `projections.times.placed`). `data` and `sources` are NULL in revision 0:
    they are the log row's own.
    """

    __tablename__ = "fact_revisions"
    __table_args__ = (
        Index("ix_fact_revisions_placed", "placed_lower", "position"),
        {"sqlite_with_rowid": False},
    )

    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    revision: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    stream: str = Field(sa_column=Column(String(200), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    occurred: str = Field(sa_column=Column(String(100), nullable=False))
    occurred_lower: str = Field(sa_column=Column(String(10), nullable=False))
    occurred_upper: str = Field(sa_column=Column(String(10), nullable=False))
    placed_lower: str = Field(sa_column=Column(String(10), nullable=False))
    placed_upper: str = Field(sa_column=Column(String(10), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))
    known_from: str = Field(sa_column=Column(String(32), nullable=False))
    known_until: str | None = Field(default=None, sa_column=Column(String(32), nullable=True))
    revised_by: str | None = Field(default=None, sa_column=Column(String(36), nullable=True))
    data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    sources: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class FactSubjectRow(SQLModel, table=True):
    """A fact revision concerns this entity or agreement (its stream, parties, speaker, host...).

    Stored in the order facts are folded; the index by subject, then date, makes
    one subject's timeline a single ordered range.
    """

    __tablename__ = "fact_subjects"
    __table_args__ = (
        Index("ix_fact_subjects_subject", "subject", "placed_lower", "position", "revision"),
        {"sqlite_with_rowid": False},
    )

    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    revision: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    subject: str = Field(sa_column=Column(String(200), primary_key=True))
    placed_lower: str = Field(sa_column=Column(String(10), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))


class AmendmentRow(SQLModel, table=True):
    """A correction or retraction, kept beside the fact it touched."""

    __tablename__ = "fact_amendments"
    __table_args__ = (Index("ix_fact_amendments_target", "target"),)

    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    event_id: str = Field(sa_column=Column(String(36), nullable=False))
    target: str = Field(sa_column=Column(String(36), nullable=False))
    type: str = Field(sa_column=Column(String(64), nullable=False))
    recorded_at: str = Field(sa_column=Column(String(32), nullable=False))
    fields: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    applied: int = Field(sa_column=Column(Integer, nullable=False))


class AgreementRow(SQLModel, table=True):
    """An agreement stream the log speaks of, from its first fact on."""

    __tablename__ = "agreements"

    stream: str = Field(sa_column=Column(String(200), primary_key=True))
    first_position: int = Field(sa_column=Column(Integer, nullable=False))
    first_known: str = Field(sa_column=Column(String(32), nullable=False))


class EntityNameRow(SQLModel, table=True):
    """A name or alias of an entity in one revision of its registration; `folded` is for lookups."""

    __tablename__ = "entity_names"
    __table_args__ = (Index("ix_entity_names_folded", "folded"), {"sqlite_with_rowid": False})

    entity: str = Field(sa_column=Column(String(200), primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    revision: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    ordinal: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    folded: str = Field(sa_column=Column(Text, nullable=False))


checkpoints_table = CheckpointRow.__table__  # type: ignore[attr-defined]
fact_revisions = FactRevisionRow.__table__  # type: ignore[attr-defined]
fact_subjects = FactSubjectRow.__table__  # type: ignore[attr-defined]
fact_amendments = AmendmentRow.__table__  # type: ignore[attr-defined]
agreements = AgreementRow.__table__  # type: ignore[attr-defined]
entity_names = EntityNameRow.__table__  # type: ignore[attr-defined]
