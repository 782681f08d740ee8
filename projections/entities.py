"""Entities: the directory of organizations, people, bodies, facilities and countries, with their names.

An entity is what its `EntityRegistered` fact says, as corrected by `known_at`;
registrations are directory entries, so `valid_at` does not hide them. Names
and aliases in any script are found case- and accent-blind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Connection

from projections.facts import REVISION_COLUMNS, Revision, visible, with_log
from projections.tables import entity_names, fact_revisions
from projections.text import fold
from projections.times import AsOf


@dataclass(frozen=True)
class Entity:
    id: str
    registration: Revision

    @property
    def name(self) -> str:
        return str(self.registration.data.get("name", self.id))

    @property
    def kind(self) -> str:
        return str(self.registration.data.get("kind", ""))

    @property
    def aliases(self) -> list[str]:
        return list(self.registration.data.get("aliases") or ())

    def to_json(self) -> dict[str, Any]:
        data = self.registration.data
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "aliases": self.aliases,
            "description": data.get("description"),
            "event_id": self.registration.event_id,
            "position": self.registration.position,
            "revision": self.registration.revision,
            "sources": self.registration.sources,
        }


@dataclass(frozen=True)
class EntityList:
    total: int
    entities: list[Entity]
    as_of: AsOf

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "entities": [e.to_json() for e in self.entities], "as_of": self.as_of.to_json()}


def _registrations(as_of: AsOf) -> Select[Any]:
    n, r = entity_names.c, fact_revisions.c
    return (
        select(n.folded, *REVISION_COLUMNS)
        .select_from(with_log(entity_names.join(fact_revisions, (n.position == r.position) & (n.revision == r.revision))))
        .where(n.ordinal == 0, visible(as_of, by_world=False))
    )


def list_entities(
    connection: Connection, as_of: AsOf, *, kind: str | None = None, limit: int = 100, offset: int = 0
) -> EntityList:
    """The directory in order of name."""
    query = _registrations(as_of)
    if kind is not None:
        query = query.where(entity_names.c.kind == kind)
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(entity_names.c.folded, entity_names.c.entity).limit(limit).offset(offset))
    return EntityList(total, [_entity(row) for row in rows], as_of)


def entity(connection: Connection, stream: str, as_of: AsOf) -> Entity | None:
    """The entity registered in `stream` as the archive knew it at `known_at`; the latest registration wins."""
    query = _registrations(as_of).where(entity_names.c.entity == stream).order_by(entity_names.c.position.desc()).limit(1)
    row = connection.execute(query).first()
    return _entity(row) if row else None


def find_entities(connection: Connection, name: str) -> list[str]:
    """Streams of the entities one of whose current names or aliases is `name`, case- and accent-blind."""
    n = entity_names.c
    query = (
        select(n.entity)
        .join(fact_revisions, (n.position == fact_revisions.c.position) & (n.revision == fact_revisions.c.revision))
        .where(n.folded == fold(name), fact_revisions.c.known_until.is_(None))
        .distinct()
        .order_by(n.entity)
    )
    return list(connection.execute(query).scalars())


def _entity(row: Any) -> Entity:
    revision = Revision.from_row(row[1:])
    return Entity(revision.stream, revision)


def names_of(connection: Connection, streams: Iterable[str]) -> dict[str, str]:
    """The current name of each of `streams` that names a registered entity (others are left out)."""
    wanted = sorted(set(streams))
    if not wanted:
        return {}
    n = entity_names.c
    query = (
        select(n.entity, n.name)
        .join(fact_revisions, (n.position == fact_revisions.c.position) & (n.revision == fact_revisions.c.revision))
        .where(n.entity.in_(wanted), n.ordinal == 0, fact_revisions.c.known_until.is_(None))
        .order_by(n.entity, n.position)
    )
    return {entity: name for entity, name in connection.execute(query)}
