"""Corrections and retractions, checked against the facts they amend before they are appended.

A `FactCorrected` or `FactRetracted` must name a fact that the log holds (or
that comes earlier in the same append), in the same stream (an amendment goes
into its target's stream, so a stream's history tells the whole story), that
is not itself an amendment and has not been retracted. A correction must
leave the fact valid for its type, judged on the fact as earlier corrections
left it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, NamedTuple

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from events.catalogue import CATALOGUE, Source
from events.edtf_dates import EdtfError, parse_edtf_date
from events.errors import InvalidEvent
from events.prepare import PreparedRequest
from events.prepare import _problems as problems_of

AMENDMENT_TYPES = frozenset({"FactCorrected", "FactRetracted"})
_PAYLOADS = {name: TypeAdapter(shape) for name, shape in CATALOGUE.items()}
_SOURCES = TypeAdapter(Annotated[list[Source], Field(min_length=1)])


class Amendable(NamedTuple):
    """A fact as far as amending it goes: where it is, what it is and what it says now."""

    stream: str
    type: str
    data: dict[str, Any]
    retracted: bool = False

    def amended(self, kind: str, amendment: dict[str, Any]) -> Amendable:
        """The fact after a `FactRetracted` or `FactCorrected` payload."""
        if kind == "FactRetracted":
            return self._replace(retracted=True)
        return self._replace(data=merged(self.data, amendment.get("fields") or {}))


Lookup = Callable[[list[str]], dict[str, Amendable]]
"""Finds the stored facts among some ids, as their stream's own amendments have left them."""


def follow(facts: dict[str, Amendable], amendments: Iterable[tuple[str, str]]) -> dict[str, Amendable]:
    """Apply stored amendments `(type, data JSON)`, in log order, to the facts they target."""
    for kind, raw in amendments:
        data = orjson.loads(raw)
        fact = facts.get(data.get("target"))
        if fact is not None:
            facts[data["target"]] = fact.amended(kind, data)
    return facts


def amendment_targets(requests: Iterable[PreparedRequest]) -> set[str]:
    """The ids that the corrections and retractions in `requests` amend."""
    return {
        orjson.loads(event.data)["target"]
        for request in requests
        for event in request.events
        if event.type in AMENDMENT_TYPES
    }


class AmendmentCheck:
    """Checks the amendments of a run of append requests, fed in order, against the log and each other."""

    def __init__(self, targets: set[str], lookup: Lookup) -> None:
        self.targets = targets
        self.facts = lookup(sorted(targets)) if targets else {}

    def check(self, request: PreparedRequest) -> None:
        """Raise InvalidEvent if an amendment in `request` cannot apply to its target; else take it in."""
        for index, event in enumerate(request.events):
            if event.type not in AMENDMENT_TYPES:
                if event.id in self.targets:
                    self.facts[event.id] = Amendable(request.stream, event.type, orjson.loads(event.data))
                continue
            data = orjson.loads(event.data)
            where = f"events[{index}].data"
            fact = self.facts.get(data["target"])
            reason = _refusal(fact, request.stream, data["target"])
            if reason is not None:
                raise InvalidEvent.single(f"{where}.target", reason)
            assert fact is not None
            if event.type == "FactCorrected":
                _check_correction(fact, data["fields"], f"{where}.fields")
            self.facts[data["target"]] = fact.amended(event.type, data)


def check_amendments(requests: Sequence[PreparedRequest], lookup: Lookup) -> None:
    """Raise InvalidEvent for the first amendment in `requests` that cannot apply to its target."""
    targets = amendment_targets(requests)
    if targets:
        check = AmendmentCheck(targets, lookup)
        for request in requests:
            check.check(request)


def _refusal(fact: Amendable | None, stream: str, target: str) -> str | None:
    if fact is None:
        return f"no fact with id {target} is in the log"
    if fact.type in AMENDMENT_TYPES:
        return f"{target} is a {fact.type}; amend the fact it targets instead"
    if fact.stream != stream:
        return f"{target} is in stream {fact.stream!r}; a correction or retraction goes into its target's stream"
    if fact.retracted:
        return f"{target} was retracted; a retracted fact cannot be corrected or retracted again"
    return None


def _check_correction(fact: Amendable, fields: dict[str, Any], where: str) -> None:
    if "occurred" in fields:
        try:
            parse_edtf_date(fields["occurred"] if isinstance(fields["occurred"], str) else "")
        except EdtfError as exc:
            raise InvalidEvent.single(f"{where}.occurred", str(exc)) from None
    if "sources" in fields:
        try:
            _SOURCES.validate_python(fields["sources"])
        except ValidationError as exc:
            raise InvalidEvent(problems_of(exc, f"{where}.sources")) from None
    try:
        _PAYLOADS[fact.type].validate_python(merged(fact.data, fields))
    except ValidationError as exc:
        raise InvalidEvent(problems_of(exc, where)) from None


def merged(data: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The payload after a correction: its fields replace, a null removes; occurred and sources are not payload."""
    merged = dict(data)
    for name, value in fields.items():
        if name in ("occurred", "sources"):
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged
