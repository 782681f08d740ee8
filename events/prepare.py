"""From what a client sends to what the store writes: validation and normalisation.

Every path into the log (the API, `accord import`, restored envelopes) goes
through here, so a fact is checked by one set of rules. The result is a
`PreparedEvent` whose JSON parts are already canonical text: the store only
has to number, chain and insert it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from events.catalogue import CATALOGUE, NewEvent, StreamName
from events.edtf_dates import parse_edtf_date
from events.envelope import ExpectedVersion
from events.errors import FieldProblem, InvalidEvent

# Ids derived from content (for import lines that carry none) live in their own namespace.
CONTENT_ID_NAMESPACE = uuid.UUID("6f1f0a5e-8f53-4b7e-9d0e-acc0bd000001")

_STREAM_PATTERN = StreamName.__metadata__[0].pattern  # type: ignore[attr-defined]


class PreparedEvent(NamedTuple):
    """A validated fact, normalised, ready to be numbered and chained."""

    id: str
    type: str
    occurred: str
    occurred_lower: str
    occurred_upper: str
    data: str
    sources: str
    metadata: str
    recorded_at: str | None = None
    recorded_by: str | None = None

    def content(self, stream: str) -> tuple[str, ...]:
        """What must be identical for a re-append of the same id to count as a retry."""
        return (stream, self.type, self.occurred, self.data, self.sources, self.metadata)


class PreparedRequest(NamedTuple):
    """One append request: a stream, the version the writer expects, its events."""

    stream: str
    expected_version: ExpectedVersion
    events: list[PreparedEvent]


def _canonical(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _problems(exc: ValidationError, prefix: str) -> list[FieldProblem]:
    found = []
    for error in exc.errors(include_url=False):
        path = prefix + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        found.append(FieldProblem(path.lstrip("."), error["msg"]))
    return found


def check_stream(stream: object) -> str:
    """Return `stream` if it is a valid stream id, else raise InvalidEvent."""

    if not isinstance(stream, str) or not re.fullmatch(_STREAM_PATTERN, stream) or len(stream) > 200:
        raise InvalidEvent(
            [FieldProblem("stream", f"{stream!r} is not a stream id of the form category-slug, e.g. agreement-cern-jinr")]
        )
    return stream


def check_expected_version(value: object) -> ExpectedVersion:
    if value in ("any", "no_stream"):
        return value  # type: ignore[return-value]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise InvalidEvent(
        [FieldProblem("expected_version", f"{value!r} is not 'any', 'no_stream' or a version number >= 0")]
    )


def prepare_event(raw: Any, stream: str, *, where: str = "", derive_id: bool = False) -> PreparedEvent:
    """Validate one client event against the catalogue; raise InvalidEvent naming each bad field.

    Without a client id the event gets a random one, or with `derive_id` one
    derived from its stream and content, so that importing it again is a no-op.
    """
    try:
        event = NewEvent.model_validate(raw)
    except ValidationError as exc:
        raise InvalidEvent(_problems(exc, where)) from None
    model = CATALOGUE.get(event.type)
    if model is None:
        raise InvalidEvent(
            [FieldProblem(f"{where}.type".lstrip("."), f"unknown event type {event.type!r}; known: {', '.join(CATALOGUE)}")]
        )
    try:
        payload = model.model_validate(event.data)
    except ValidationError as exc:
        raise InvalidEvent(_problems(exc, f"{where}.data")) from None
    data = _canonical(payload.model_dump(mode="json", exclude_none=True))
    sources = _canonical([s.model_dump(mode="json", exclude_none=True) for s in event.sources])
    metadata = _canonical(event.metadata.model_dump(mode="json", exclude_none=True) if event.metadata else {})
    occurred = parse_edtf_date(event.occurred)
    if event.id is not None:
        event_id = str(event.id)
    elif derive_id:
        key = "\x1f".join((stream, event.type, event.occurred, data, sources, metadata))
        event_id = str(uuid.uuid5(CONTENT_ID_NAMESPACE, key))
    else:
        event_id = str(uuid.uuid4())
    return PreparedEvent(event_id, event.type, occurred.text, occurred.lower, occurred.upper, data, sources, metadata)


def prepare_request(
    stream: object, expected_version: object, events: object, *, derive_ids: bool = False
) -> PreparedRequest:
    """Validate a whole append request; every problem in it is reported at once."""
    problems: list[FieldProblem] = []
    prepared: list[PreparedEvent] = []
    try:
        stream = check_stream(stream)
    except InvalidEvent as exc:
        problems.extend(exc.problems)
    try:
        expected = check_expected_version(expected_version)
    except InvalidEvent as exc:
        problems.extend(exc.problems)
    if not isinstance(events, list) or not events:
        problems.append(FieldProblem("events", "must be a non-empty list of events"))
    else:
        for index, raw in enumerate(events):
            try:
                prepared.append(
                    prepare_event(raw, stream if isinstance(stream, str) else "", where=f"events[{index}]", derive_id=derive_ids)
                )
            except InvalidEvent as exc:
                problems.extend(exc.problems)
        seen: set[str] = set()
        for index, event in enumerate(prepared):
            if event.id in seen:
                problems.append(FieldProblem(f"events[{index}].id", f"{event.id} appears twice in one request"))
            seen.add(event.id)
    if problems:
        raise InvalidEvent(problems)
    return PreparedRequest(stream, expected, prepared)  # type: ignore[arg-type]


def prepare_envelope(raw: Mapping[str, Any]) -> PreparedRequest:
    """Validate an envelope as `accord export` writes it, for restoring it into a log.

    It keeps its id, stream, version, `recorded_at` and `recorded_by`; its
    position and hashes are assigned anew by the log it is restored into.
    """
    problems: list[FieldProblem] = []
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        problems.append(FieldProblem("version", "an envelope needs its version, a number >= 0"))
    for name in ("id", "recorded_at", "recorded_by"):
        if not isinstance(raw.get(name), str) or not raw.get(name):
            problems.append(FieldProblem(name, "an envelope needs this field as a non-empty string"))
    stream = raw.get("stream")
    try:
        check_stream(stream)
    except InvalidEvent as exc:
        problems.extend(exc.problems)
    event_fields = {k: raw[k] for k in ("id", "type", "occurred", "data", "sources", "metadata") if k in raw}
    try:
        event = prepare_event(event_fields, stream if isinstance(stream, str) else "")
    except InvalidEvent as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidEvent(problems)
    event = event._replace(recorded_at=raw["recorded_at"], recorded_by=raw["recorded_by"])
    expected: ExpectedVersion = "no_stream" if version == 0 else version - 1  # type: ignore[operator]
    return PreparedRequest(stream, expected, [event])  # type: ignore[arg-type]
