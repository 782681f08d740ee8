"""Timelines: the facts about an entity, an agreement or everything, in the order they happened.

Order is where each fact stands (`projections.times.placed`: a date with an
open start at its end, a scheduled vote at its date), then position. Registrations of
entities are directory entries rather than events in the world, so they are
left out unless asked for by type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from projections.facts import REVISION_COLUMNS, Revision, about_subjects, visible, with_log
from projections.tables import fact_revisions, fact_subjects
from projections.times import AsOf

MAX_LIMIT = 1000
DIRECTORY_TYPES = ("EntityRegistered",)


@dataclass(frozen=True)
class TimelinePage:
    total: int
    facts: list[Revision]
    as_of: AsOf

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "facts": [f.to_json() for f in self.facts], "as_of": self.as_of.to_json()}


def timeline(
    connection: Connection,
    as_of: AsOf,
    *,
    subject: str | None = None,
    types: Sequence[str] = (),
    start: str | None = None,
    end: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> TimelinePage:
    """One page of facts; `start`/`end` (ISO days) keep facts whose place on the timeline meets [start, end]."""
    r = fact_revisions.c
    if subject is not None:
        s = fact_subjects.c
        query = select(*REVISION_COLUMNS).select_from(about_subjects()).where(s.subject == subject)
        order = (s.placed_lower, s.position)
    else:
        query = select(*REVISION_COLUMNS).select_from(with_log())
        order = (r.placed_lower, r.position)
    query = query.where(visible(as_of))
    query = query.where(r.type.in_(types)) if types else query.where(r.type.not_in(DIRECTORY_TYPES))
    if start is not None:
        query = query.where(r.placed_upper >= start)
    if end is not None:
        query = query.where(r.placed_lower <= end)
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(*order).limit(min(limit, MAX_LIMIT)).offset(offset))
    return TimelinePage(total, [Revision.from_row(row) for row in rows], as_of)
