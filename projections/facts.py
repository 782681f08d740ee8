"""The facts projection: every fact of the log as bitemporal revisions, with what it concerns.

Agreements, timelines and entities are all answered from these tables (see
`projections.tables` for how revisions carry the archive's time). A
`FactCorrected` closes the target's open revision and opens the corrected one;
a `FactRetracted` closes it and opens none. The append path refuses
amendments of unknown or retracted facts; a log that holds one anyway (an old
import) is folded without harm: the amendment is kept with `applied = 0`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, FromClause, Table, and_, bindparam, or_, select
from sqlalchemy.engine import Connection

from events.amendments import AMENDMENT_TYPES, merged
from events.catalogue import ANONYMOUS, STREAM_PATTERN
from events.edtf_dates import parse_edtf_date
from events.envelope import EventEnvelope
from events.store.tables import events_table
from projections.runner import SqlProjection
from projections.tables import agreements, entity_names, fact_amendments, fact_revisions, fact_subjects
from projections.text import fold
from projections.times import AsOf, moment, placed

AGREEMENT_TYPES = frozenset(
    {"AgreementSigned", "AgreementRenewed", "AgreementAmended", "AgreementSuspended", "AgreementTerminated", "AgreementExpired",
     "AgreementSuperseded"}
)
DECISION_TYPES = frozenset({"VoteHeld", "VoteScheduled", "DecisionTaken"})
"""Facts that name, in `agreement`, the agreement they concern."""
_STREAM = re.compile(STREAM_PATTERN)
# The payload fields of each type that may name another entity or agreement by its stream.
_REFERENCES = {
    "AgreementSigned": ("parties",),
    "VoteScheduled": ("body", "agreement"),
    "VoteHeld": ("body", "agreement"),
    "DecisionTaken": ("by", "agreement"),
    "AgreementSuperseded": ("by",),
    "VisitMade": ("visitors", "host"),
    "StatementMade": ("speaker", "about"),
    "StatusChanged": ("party", "organization"),
}


class Revision(NamedTuple):
    """One revision of a fact: its data parsed, its sources as JSON text until asked for.

    `fact_revisions` stores data and sources only for corrected revisions:
    revision 0 is the event as the log holds it, so its row points at the
    log's row instead of copying a kilobyte of JSON per fact.
    """

    position: int
    revision: int
    event_id: str
    stream: str
    type: str
    occurred: str
    occurred_lower: str
    occurred_upper: str
    placed_lower: str
    placed_upper: str
    recorded_at: str
    known_from: str
    known_until: str | None
    revised_by: str | None
    data: dict[str, Any]
    sources_json: str

    @property
    def sources(self) -> list[dict[str, Any]]:
        return orjson.loads(self.sources_json)  # type: ignore[no-any-return]

    @property
    def stands_at(self) -> str:
        """The EDTF date the fact stands at on timelines: `occurred`, or a scheduled vote's `scheduled`."""
        scheduled = self.data.get("scheduled") if self.type == "VoteScheduled" else None
        return scheduled if isinstance(scheduled, str) else self.occurred

    def row(self) -> tuple[Any, ...]:
        if self.revision == 0:
            return (*self[:_HEAD], None, None)
        return (*self[:_HEAD], orjson.dumps(self.data, option=orjson.OPT_SORT_KEYS).decode(), self.sources_json)

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Revision:
        """From the columns of `REVISION_COLUMNS`: the row, then the log's data and sources."""
        data = row[_HEAD] if row[_HEAD] is not None else row[_HEAD + 2]
        sources = row[_HEAD + 1] if row[_HEAD + 1] is not None else row[_HEAD + 3]
        return cls(*row[:_HEAD], orjson.loads(data), sources)

    def to_json(self) -> dict[str, Any]:
        """The fact as read models return it: the event's fields as of this revision, with provenance."""
        return {
            "event_id": self.event_id,
            "position": self.position,
            "stream": self.stream,
            "type": self.type,
            "occurred": self.occurred,
            "stands_at": self.stands_at,
            "recorded_at": self.recorded_at,
            "revision": self.revision,
            "revised_by": self.revised_by,
            "data": self.data,
            "sources": self.sources,
        }


_HEAD = 14
"""The fields before `data` and `sources`: the columns a revision row shares with its table."""

REVISION_COLUMNS = (*fact_revisions.c, events_table.c.data.label("log_data"), events_table.c.sources.label("log_sources"))
"""What `Revision.from_row` reads; select them from `with_log(...)`."""


def with_log(revisions: FromClause = fact_revisions) -> FromClause:
    """`revisions` joined to the log rows that hold revision 0's data and sources."""
    return revisions.join(events_table, events_table.c.position == fact_revisions.c.position)


def about_subjects() -> FromClause:
    """Subjects joined to their revisions and the log rows behind them."""
    s, r = fact_subjects.c, fact_revisions.c
    return with_log(fact_subjects.join(fact_revisions, (s.position == r.position) & (s.revision == r.revision)))


def visible(as_of: AsOf, *, by_world: bool = True) -> ColumnElement[bool]:
    """The revisions that answer `as_of`: what the archive said at `known_at`, about facts that had
    certainly happened by `valid_at` (see `projections.times`)."""
    c = fact_revisions.c
    if as_of.known_at is None:
        known = c.known_until.is_(None)
    else:
        known = and_(c.known_from <= as_of.known_at, or_(c.known_until.is_(None), c.known_until > as_of.known_at))
    return and_(known, c.occurred_upper <= as_of.valid_at) if by_world else known


def original(event: EventEnvelope) -> Revision:
    """Revision 0 of a fact: the event as recorded."""
    recorded = moment(event.recorded_at)
    data = event.data
    return Revision(
        event.position, 0, event.id, event.stream, event.type, event.occurred, event.occurred_lower,
        event.occurred_upper, *placed(event.type, event.occurred, event.occurred_lower, event.occurred_upper, data),
        recorded, recorded, None, None, data, event.sources_json,
    )


def corrected(current: Revision, fields: dict[str, Any], correction: EventEnvelope, known_from: str) -> Revision:
    """The next revision: `fields` replace payload fields (null removes one), `occurred` or `sources`."""
    occurred, lower, upper, sources = current.occurred, current.occurred_lower, current.occurred_upper, current.sources_json
    if isinstance(fields.get("occurred"), str):
        occurred, lower, upper = parse_edtf_date(fields["occurred"])
    if isinstance(fields.get("sources"), list):
        sources = orjson.dumps(fields["sources"], option=orjson.OPT_SORT_KEYS).decode()
    data = merged(current.data, fields)
    placed_lower, placed_upper = placed(current.type, occurred, lower, upper, data)
    return current._replace(
        revision=current.revision + 1, occurred=occurred, occurred_lower=lower, occurred_upper=upper,
        placed_lower=placed_lower, placed_upper=placed_upper, known_from=known_from, known_until=None,
        revised_by=correction.id, data=data, sources_json=sources,
    )


def subjects(revision: Revision) -> set[str]:
    """The streams a fact concerns: its own, and the entities and agreement its payload names."""
    found = {revision.stream}
    data = revision.data
    for key in _REFERENCES.get(revision.type, ()):
        value = data.get(key)
        for ref in value if isinstance(value, list) else (value,):
            if isinstance(ref, str) and ref != ANONYMOUS and _STREAM.fullmatch(ref):
                found.add(ref)
    return found


def agreement_of(revision: Revision) -> str | None:
    """The agreement stream a fact is part of, if any."""
    if revision.type in AGREEMENT_TYPES:
        return revision.stream
    if revision.type in DECISION_TYPES:
        agreement = revision.data.get("agreement")
        return agreement if isinstance(agreement, str) else None
    return None


class FactsProjection(SqlProjection):
    """Revisions of every fact, their subjects, amendments, agreement streams and entity names."""

    name = "facts"
    version = 2  # 2: where each fact stands on timelines (placed_lower, placed_upper)
    tables = (fact_revisions, fact_subjects, fact_amendments, agreements, entity_names)

    def fold(self, connection: Connection, events: Sequence[EventEnvelope]) -> None:
        pending = _Pending(connection)
        amendments = {e.position: e.data for e in events if e.type in AMENDMENT_TYPES}
        pending.look_up({a.get("target", "") for a in amendments.values()} - {e.id for e in events})
        for event in events:
            if event.position in amendments:
                pending.amend(event, amendments[event.position])
            else:
                pending.add(original(event))
        pending.flush()


class _Pending:
    """The new revisions of one batch, written with one statement per table when the batch ends.

    Revisions stay at hand until then, so an amendment of a fact from the same
    batch changes them in memory; the open revisions of older facts that the
    batch amends are read up front, and their closings written with the rest.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.new: dict[tuple[int, int], Revision] = {}
        self.open: dict[str, Revision] = {}  # by event id: the latest revision, if still open
        self.closings: list[tuple[str, int, int]] = []
        self.amendments: list[tuple[Any, ...]] = []

    def add(self, revision: Revision) -> None:
        self.new[revision.position, revision.revision] = revision
        self.open[revision.event_id] = revision

    def amend(self, event: EventEnvelope, amendment: dict[str, Any]) -> None:
        recorded = moment(event.recorded_at)
        target = amendment.get("target", "")
        current = self.open.get(target)
        applied = current is not None and current.stream == event.stream
        if current is not None and applied:
            # An imported log may carry moments out of order; a revision never ends before it starts.
            until = max(recorded, current.known_from)
            del self.open[target]
            if (current.position, current.revision) in self.new:
                self.new[current.position, current.revision] = current._replace(known_until=until)
            else:
                self.closings.append((until, current.position, current.revision))
            if event.type == "FactCorrected":
                self.add(corrected(current, amendment["fields"], event, until))
        fields = amendment.get("fields")
        self.amendments.append((
            event.position, event.id, target, event.type, recorded,
            None if fields is None else orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode(),
            amendment.get("reason", ""), int(applied),
        ))

    def look_up(self, event_ids: set[str]) -> None:
        """Fetch the open revisions of earlier batches' facts that this batch amends, in few queries."""
        query = (
            select(*REVISION_COLUMNS)
            .select_from(with_log())
            .where(events_table.c.id.in_(bindparam("ids", expanding=True)), fact_revisions.c.known_until.is_(None))
        )
        wanted = sorted(event_ids)
        for start in range(0, len(wanted), 500):
            for row in self.connection.execute(query, {"ids": wanted[start : start + 500]}):
                revision = Revision.from_row(row)
                self.open[revision.event_id] = revision

    def flush(self) -> None:
        subject_rows: list[tuple[Any, ...]] = []
        name_rows: list[tuple[Any, ...]] = []
        found_agreements: dict[str, tuple[Any, ...]] = {}
        for revision in self.new.values():
            subject_rows.extend(
                (revision.position, revision.revision, subject, revision.placed_lower, revision.type)
                for subject in sorted(subjects(revision))
            )
            agreement = agreement_of(revision)
            if agreement is not None and agreement not in found_agreements:
                found_agreements[agreement] = (agreement, revision.position, revision.known_from)
            if revision.type == "EntityRegistered":
                names = [revision.data.get("name"), *(revision.data.get("aliases") or ())]
                kind = str(revision.data.get("kind", ""))
                name_rows.extend(
                    (revision.stream, revision.position, revision.revision, ordinal, kind, name, fold(name))
                    for ordinal, name in enumerate(names)
                    if isinstance(name, str)
                )
        if self.closings:
            mark = _mark(self.connection)
            self.connection.exec_driver_sql(
                f"UPDATE fact_revisions SET known_until = {mark} WHERE position = {mark} AND revision = {mark}",
                self.closings,
            )
        _insert(self.connection, fact_revisions, [r.row() for r in self.new.values()])
        _insert(self.connection, fact_subjects, subject_rows)
        _insert(self.connection, entity_names, name_rows)
        _insert(self.connection, fact_amendments, self.amendments)
        if found_agreements:
            known = set(
                self.connection.execute(
                    select(agreements.c.stream).where(agreements.c.stream.in_(bindparam("streams", expanding=True))),
                    {"streams": list(found_agreements)},
                ).scalars()
            )
            _insert(self.connection, agreements, [row for stream, row in found_agreements.items() if stream not in known])


def _insert(connection: Connection, table: Table, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert plain tuples in the table's column order through the driver: the cheapest path."""
    rows = list(rows)
    if not rows:
        return
    mark = _mark(connection)
    columns = ", ".join(column.name for column in table.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join([mark] * len(table.columns))})", rows
    )


def _mark(connection: Connection) -> str:
    """The driver's placeholder: `?` for sqlite3, `%s` for psycopg."""
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"
