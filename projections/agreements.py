"""Agreements: each agreement's state as of any `valid_at` and `known_at`, with its history.

The state is a fold of the agreement's visible facts in timeline order:

- `AgreementSigned` sets title, parties and dates; the agreement is `pending`
  until its `effective` date has certainly come, then `in_force`.
- `AgreementRenewed` puts it back `in_force` with its new dates and forgets an
  earlier refusal to renew; `AgreementAmended` changes no status.
- `AgreementSuspended`, `AgreementTerminated`: `suspended`, `terminated`.
- `AgreementExpired`: `not_renewed` when renewal was refused, else `expired`.
- `VoteHeld` that passed with an `effect`: suspend and terminate act at once;
  not_renew marks renewal as refused (the agreement stays in force until it
  ends); renew puts it `in_force`. Votes that fail, make no decision or are
  postponed change nothing but are listed.
- When the `expires` date has certainly passed, an agreement still `pending`
  or `in_force` has ended: `not_renewed` if renewal was refused, else `expired`.

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
from projections.facts import REVISION_COLUMNS, Revision, about_subjects, visible
from projections.tables import agreements, fact_subjects
from projections.times import AsOf, certain_by

STATUSES = ("pending", "in_force", "suspended", "expired", "terminated", "not_renewed")
_VOTE_STATUS = {"suspend": "suspended", "terminate": "terminated", "renew": "in_force"}
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
    """One fact of the agreement with the status it left behind."""

    fact: Revision
    status: str

    def to_json(self) -> dict[str, Any]:
        return {**self.fact.to_json(), "status_after": self.status}


@dataclass
class AgreementState:
    id: str
    as_of: AsOf
    status: str = "in_force"
    title: str | None = None
    parties: list[str] = field(default_factory=list)
    signed: str | None = None
    effective: str | None = None
    expires: str | None = None
    summary: str | None = None
    renewal_refused: bool = False
    votes: list[Vote] = field(default_factory=list)
    next_vote: Vote | None = None
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def last_vote(self) -> Vote | None:
        return self.votes[-1] if self.votes else None

    def to_json(self, *, history: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "parties": self.parties,
            "signed": self.signed,
            "effective": self.effective,
            "expires": self.expires,
            "summary": self.summary,
            "renewal_refused": self.renewal_refused,
            "last_vote": self.last_vote and self.last_vote.to_json(),
            "next_vote": self.next_vote and self.next_vote.to_json(),
            "as_of": self.as_of.to_json(),
        }
        if history:
            body["votes"] = [v.to_json() for v in self.votes]
            body["history"] = [h.to_json() for h in self.history]
        return body


def fold_agreement(stream: str, facts: Sequence[Revision], as_of: AsOf) -> AgreementState | None:
    """The agreement's state after `facts` (visible as of `as_of`, in timeline order); None without facts."""
    if not facts:
        return None
    state = AgreementState(stream, as_of)
    for fact in facts:
        _apply(state, fact)
        state.history.append(HistoryEntry(fact, _calendar_status(state)))
    state.status = _calendar_status(state)
    return state


def _apply(state: AgreementState, fact: Revision) -> None:
    data, kind = fact.data, fact.type
    if kind == "AgreementSigned":
        state.title, state.parties = data.get("title"), list(data.get("parties") or ())
        state.signed, state.effective, state.expires = data.get("signed"), data.get("effective"), data.get("expires")
        state.summary = data.get("summary")
        state.status = "pending" if _future(state.effective, state.as_of) else "in_force"
    elif kind == "AgreementRenewed":
        state.effective = data.get("effective") or state.effective
        state.expires = data.get("expires") or state.expires
        state.status, state.renewal_refused = "in_force", False
    elif kind in _ENDED_BY:
        state.status = _ENDED_BY[kind]
    elif kind == "AgreementExpired":
        state.renewal_refused = state.renewal_refused or bool(data.get("renewal_refused"))
        state.status = "not_renewed" if state.renewal_refused else "expired"
    elif kind == "VoteHeld":
        vote = Vote.of(fact)
        state.votes.append(vote)
        state.next_vote = None
        if vote.outcome == "passed" and vote.effect == "not_renew":
            state.renewal_refused = True
        elif vote.outcome == "passed" and vote.effect in _VOTE_STATUS:
            state.status = _VOTE_STATUS[vote.effect]
            state.renewal_refused = state.renewal_refused and vote.effect != "renew"
    elif kind == "VoteScheduled":
        vote = Vote.of(fact)
        if vote.scheduled is None or not certain_by(parse_edtf_date(vote.scheduled).upper, state.as_of.valid_at):
            state.next_vote = vote


def _calendar_status(state: AgreementState) -> str:
    """The status once the calendar has had its say: an effective date reached, an end date passed.

    Only ever applied to a copy of the fold's status: a later fact (a renewal)
    may still move the end date."""
    status = state.status
    if status == "pending" and not _future(state.effective, state.as_of):
        status = "in_force"
    if status in ("pending", "in_force") and state.expires and _ended(state.expires, state.as_of):
        status = "not_renewed" if state.renewal_refused else "expired"
    return status


def _future(day: str | None, as_of: AsOf) -> bool:
    return day is not None and not certain_by(parse_edtf_date(day).upper, as_of.valid_at)


def _ended(expires: str, as_of: AsOf) -> bool:
    return parse_edtf_date(expires).upper < as_of.valid_at


def _facts_by_agreement(connection: Connection, streams: Sequence[str], as_of: AsOf) -> dict[str, list[Revision]]:
    s = fact_subjects.c
    query = (
        select(s.subject, *REVISION_COLUMNS)
        .select_from(about_subjects())
        .where(s.subject.in_(bindparam("streams", expanding=True)), visible(as_of))
        .order_by(s.subject, s.occurred_lower, s.position)
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
