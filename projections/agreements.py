"""Agreements: each agreement's state as of any `valid_at` and `known_at`, with its history.

The state is a fold of the agreement's visible facts in timeline order:

- `AgreementSigned` sets title, parties and dates; the agreement is `pending`
  until its `effective` date has certainly come, then `in_force`.
- `AgreementRenewed` puts it back `in_force` with its new dates and forgets an
  earlier refusal to renew; `AgreementAmended` changes no status.
- `AgreementSuspended`, `AgreementTerminated`: `suspended`, `terminated`.
- `AgreementExpired`: `not_renewed` when renewal was refused, else `expired`.
- `AgreementSuperseded`: `superseded` by the agreement it names; that
  successor lists it among the agreements it `succeeds`.
- `VoteHeld` that passed, and `DecisionTaken`, with an `effect`: suspend and
  terminate act at once; not_renew marks renewal as refused (the agreement
  stays in force until it ends); renew puts it `in_force`. Votes that fail,
  make no decision or are postponed change nothing but are listed.
- When the `expires` date has certainly passed, an agreement still `pending`
  or `in_force` has ended: `not_renewed` if renewal was refused, else `expired`.

A status a fact set has the basis `reported`; one that only a date passing set
(an end date gone by, a start date come) has the basis `by_date`: no source
says so, and pages must say that. Every change is a history entry naming the
status it left, the one it set, its basis and the fact that set it (for a
change by date, the fact that gave the date). Statements `about` the
agreement are kept beside the history; `last_reported` is the date of the
newest fact about it.

An agreement known only from later facts (a vote about it, say) counts as in
force: the archive knows it exists. Dates are judged as `projections.times` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from events.edtf_dates import parse_edtf_date
from projections.facts import DECISION_TYPES, REVISION_COLUMNS, Revision, about_subjects, visible
from projections.tables import agreements, fact_subjects
from projections.times import AsOf, certain_by, standing

STATUSES = ("pending", "in_force", "suspended", "expired", "terminated", "not_renewed", "superseded")
REPORTED, BY_DATE = "reported", "by_date"
_EFFECT_STATUS = {"suspend": "suspended", "terminate": "terminated", "renew": "in_force"}
_ENDED_BY = {"AgreementSuspended": "suspended", "AgreementTerminated": "terminated"}


@dataclass
class Vote:
    event_id: str
    position: int
    occurred: str
    body: str
    motion: str
    outcome: str | None
    effect: str | None
    tally: dict[str, int] | None
    threshold: str | None
    notes: str | None
    scheduled: str | None
    sources: list[dict[str, Any]]

    @classmethod
    def of(cls, fact: Revision) -> Vote:
        data = fact.data
        return cls(
            fact.event_id, fact.position, fact.occurred, data.get("body", ""), data.get("motion", ""), data.get("outcome"),
            data.get("effect"), data.get("tally"), data.get("threshold"), data.get("notes"), data.get("scheduled"),
            fact.sources,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class HistoryEntry:
    """A fact of the agreement with the status it left (`before`, None for the first) and the one it set,
    on what `basis`, and `on` which date (EDTF). For a change by date, `fact` is the one that gave the date."""

    fact: Revision
    before: str | None
    status: str
    basis: str
    on: str

    @property
    def changed(self) -> bool:
        return self.before != self.status

    def to_json(self) -> dict[str, Any]:
        return {
            **self.fact.to_json(), "status_before": self.before, "status_after": self.status, "basis": self.basis,
            "on": self.on,
        }


@dataclass
class AgreementState:
    id: str
    as_of: AsOf
    status: str = "in_force"
    basis: str = REPORTED
    title: str | None = None
    parties: list[str] = field(default_factory=list)
    signed: str | None = None
    effective: str | None = None
    expires: str | None = None
    summary: str | None = None
    unsourced: list[str] = field(default_factory=list)
    renewal_refused: bool = False
    superseded_by: str | None = None
    succeeds: list[str] = field(default_factory=list)
    last_reported: str | None = None
    votes: list[Vote] = field(default_factory=list)
    next_vote: Vote | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    statements: list[Revision] = field(default_factory=list)
    dated_by: Revision | None = None
    """The fact that gave the current `effective` and `expires` dates."""

    @property
    def last_vote(self) -> Vote | None:
        return self.votes[-1] if self.votes else None

    @property
    def set_by(self) -> HistoryEntry | None:
        """The history entry that set the current status."""
        return next((h for h in reversed(self.history) if h.changed), None)

    def to_json(self, *, history: bool = True) -> dict[str, Any]:
        setter = self.set_by
        body: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "basis": self.basis,
            "status_since": setter.on if setter else None,
            "last_reported": self.last_reported,
            "title": self.title,
            "parties": self.parties,
            "signed": self.signed,
            "effective": self.effective,
            "expires": self.expires,
            "summary": self.summary,
            "unsourced": self.unsourced,
            "renewal_refused": self.renewal_refused,
            "superseded_by": self.superseded_by,
            "succeeds": self.succeeds,
            "last_vote": self.last_vote and self.last_vote.to_json(),
            "next_vote": self.next_vote and self.next_vote.to_json(),
            "as_of": self.as_of.to_json(),
        }
        if history:
            body["votes"] = [v.to_json() for v in self.votes]
            body["history"] = [h.to_json() for h in self.history]
            body["statements"] = [s.to_json() for s in self.statements]
        return body


def fold_agreement(stream: str, facts: Sequence[Revision], as_of: AsOf) -> AgreementState | None:
    """The agreement's state after `facts` (visible as of `as_of`, in timeline order); None without a fact
    of the agreement itself."""
    if not facts:
        return None
    state = AgreementState(stream, as_of)
    newest = ""
    for fact in facts:
        reported = standing(fact.occurred, fact.occurred_lower, fact.occurred_upper)[0]
        if reported >= newest:
            newest, state.last_reported = reported, fact.occurred
        if fact.type == "StatementMade":
            state.statements.append(fact)
            continue
        _calendar(state, fact.placed_lower)
        before = state.status if state.history else None
        asserted = _apply(state, fact)
        if asserted is not None:
            state.history.append(HistoryEntry(fact, before, state.status, REPORTED, fact.stands_at))
            if asserted or before != state.status or before is None:
                state.basis = REPORTED
    if not state.history:
        return None  # statements about an agreement the archive knows nothing else of
    _calendar(state, as_of.valid_at)
    return state


def _apply(state: AgreementState, fact: Revision) -> bool | None:
    """Fold one fact into `state`: True when it reports the status it leaves (a signing, an expiry...),
    False when it leaves the status as it was, None when it is not part of this agreement's history."""
    data, kind = fact.data, fact.type
    own = fact.stream == state.id
    if kind == "AgreementSigned" and own:
        state.title, state.parties = data.get("title"), list(data.get("parties") or ())
        state.signed, state.effective, state.expires = data.get("signed"), data.get("effective"), data.get("expires")
        state.summary, state.unsourced = data.get("summary"), list(data.get("unsourced") or ())
        state.dated_by = fact
        if state.history:
            return False  # facts that stand before the signing already set the status
        state.status = "pending" if _future(state.effective, fact) else "in_force"
    elif kind == "AgreementRenewed" and own:
        state.effective = data.get("effective") or state.effective
        state.expires = data.get("expires") or state.expires
        state.dated_by = fact
        state.status = "pending" if _future(state.effective, fact) else "in_force"
        state.renewal_refused = False
    elif kind in _ENDED_BY and own:
        state.status = _ENDED_BY[kind]
    elif kind == "AgreementExpired" and own:
        state.renewal_refused = state.renewal_refused or bool(data.get("renewal_refused"))
        state.status = "not_renewed" if state.renewal_refused else "expired"
    elif kind == "AgreementSuperseded":
        if own:
            state.status, state.superseded_by = "superseded", data.get("by")
        elif data.get("by") == state.id:
            state.succeeds.append(fact.stream)
            return False
        else:
            return None
    elif kind == "AgreementAmended" and own:
        return False
    elif kind in DECISION_TYPES and data.get("agreement") == state.id:
        if kind == "VoteScheduled":
            vote = Vote.of(fact)
            if vote.scheduled is None or not certain_by(parse_edtf_date(vote.scheduled).upper, state.as_of.valid_at):
                state.next_vote = vote
            return False
        if kind == "VoteHeld":
            vote = Vote.of(fact)
            state.votes.append(vote)
            state.next_vote = None
            if vote.outcome != "passed":
                return False
        effect = data.get("effect")
        if effect == "not_renew":
            state.renewal_refused = True
            return False
        if effect not in _EFFECT_STATUS:
            return False
        state.status = _EFFECT_STATUS[effect]
        state.renewal_refused = state.renewal_refused and effect != "renew"
    else:
        return None
    return True


def _calendar(state: AgreementState, day: str) -> None:
    """Let the calendar have its say by `day` (ISO): an effective date certainly come, an end date certainly gone
    (after the last day it can mean)."""
    dated_by = state.dated_by
    if dated_by is None:
        return
    if state.status == "pending" and state.effective and certain_by(parse_edtf_date(state.effective).upper, day):
        _by_date(state, dated_by, "in_force", state.effective)
    if state.status in ("pending", "in_force") and state.expires and parse_edtf_date(state.expires).upper < day:
        _by_date(state, dated_by, "not_renewed" if state.renewal_refused else "expired", state.expires)


def _by_date(state: AgreementState, fact: Revision, status: str, on: str) -> None:
    state.history.append(HistoryEntry(fact, state.status, status, BY_DATE, on))
    state.status, state.basis = status, BY_DATE


def _future(day: str | None, fact: Revision) -> bool:
    """Whether `day` had not certainly come by the time `fact` stands at."""
    return day is not None and not certain_by(parse_edtf_date(day).upper, fact.placed_lower)


def _facts_by_agreement(connection: Connection, streams: Sequence[str], as_of: AsOf) -> dict[str, list[Revision]]:
    s = fact_subjects.c
    query = (
        select(s.subject, *REVISION_COLUMNS)
        .select_from(about_subjects())
        .where(s.subject.in_(bindparam("streams", expanding=True)), visible(as_of))
        .order_by(s.subject, s.placed_lower, s.position)
    )
    found: dict[str, list[Revision]] = {stream: [] for stream in streams}
    for row in connection.execute(query, {"streams": list(streams)}):
        found[row[0]].append(Revision.from_row(row[1:]))
    return found


def agreement(connection: Connection, stream: str, as_of: AsOf) -> AgreementState | None:
    """One agreement as of `as_of`, or None if the archive knew no fact of it by then."""
    return fold_agreement(stream, _facts_by_agreement(connection, [stream], as_of)[stream], as_of)


@dataclass(frozen=True)
class AgreementList:
    total: int
    agreements: list[AgreementState]
    as_of: AsOf

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "agreements": [a.to_json(history=False) for a in self.agreements],
            "as_of": self.as_of.to_json(),
        }


def list_agreements(
    connection: Connection, as_of: AsOf, *, status: str | None = None, party: str | None = None,
    limit: int = 100, offset: int = 0,
) -> AgreementList:
    """Agreements by stream name, with their state as of `as_of`, optionally of one status or party."""
    a = agreements.c
    query = select(a.stream).order_by(a.stream)
    if as_of.known_at is not None:
        query = query.where(a.first_known <= as_of.known_at)
    # Whether an agreement had begun by valid_at, or has some status, is known
    # only after folding it, so all are folded: agreements number in the thousands.
    states = [
        state for state in _states(connection, list(connection.execute(query).scalars()), as_of)
        if (status is None or state.status == status) and (party is None or party in state.parties)
    ]
    return AgreementList(len(states), states[offset : offset + limit], as_of)


def _states(connection: Connection, streams: list[str], as_of: AsOf) -> list[AgreementState]:
    facts = _facts_by_agreement(connection, streams, as_of) if streams else {}
    return [state for stream in streams if (state := fold_agreement(stream, facts[stream], as_of)) is not None]
