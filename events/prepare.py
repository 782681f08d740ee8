"""From what a client sends to what the store writes: validation and normalisation.

Every path into the log (the API, `accord import`, restored envelopes) goes
through here, so a fact is checked by one set of rules. Validation is strict
(no coercion), so an accepted payload is stored exactly as it was sent, less
its null fields, as canonical JSON. The result is a `PreparedEvent` that the
store only has to number, chain and insert.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, NamedTuple

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, WithJsonSchema
from typing_extensions import NotRequired, TypedDict

from events.catalogue import CATALOGUE, PATTERN_REASONS, STRICT, TYPED_EVENTS, NewEvent, StreamName, whole
from events.edtf_dates import parse_edtf_date
from events.envelope import ExpectedVersion
from events.errors import FieldProblem, InvalidEvent

# Ids derived from content (for import lines that carry none) live in their own namespace.
CONTENT_ID_NAMESPACE = uuid.UUID("6f1f0a5e-8f53-4b7e-9d0e-acc0bd000001")

MAX_VERSION = 2**31 - 1
"""The highest version a stream can reach (the column that stores it is a 32-bit integer)."""
MAX_NESTING = 32
"""How deep `data` and `metadata` may nest objects and arrays, the value itself counting as 1.
Checked before anything is serialised: canonical JSON cannot be written below 255 levels."""
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters no text in the archive holds: the C0 controls but tab, line feed and carriage return (NUL,
which PostgreSQL cannot store, among them), and the two noncharacters XML refuses as well."""
MISSING_VERSION = "is required: the stream's last version, 'no_stream' for a stream that must not exist yet, or 'any'"
IMPORT_VERSION_DEFAULT: ExpectedVersion = "any"
"""What an import line without `expected_version` expects: an import checks every line against the
log as it stands before it writes, in file order, so a file need not know the versions it builds on."""


def _expected_version(value: Any) -> ExpectedVersion:
    value = whole(value)
    if value in ("any", "no_stream") or (type(value) is int and 0 <= value <= MAX_VERSION):
        return value  # type: ignore[no-any-return]
    raise ValueError(f"{value!r} is not 'any', 'no_stream' or a version number from 0 to {MAX_VERSION}")


ExpectedVersionField = Annotated[
    Any,
    AfterValidator(_expected_version),
    WithJsonSchema({
        "anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_VERSION}, {"type": "string", "enum": ["any", "no_stream"]}],
        "description": "The stream's last version, `no_stream` (the stream must not exist yet), or `any`",
        "examples": ["no_stream"],
    }),
]


class _RequestHead(BaseModel):
    """An append request apart from its events, which are validated one by one by type."""

    model_config = ConfigDict(extra="forbid", strict=True)
    stream: StreamName
    expected_version: ExpectedVersionField
    events: list[Any] = Field(min_length=1)


class _WholeRequest(TypedDict):
    """A whole import line, validated in one pass over its JSON text: the fast path for valid input.

    It accepts exactly what `_RequestHead` and the event shapes accept together,
    less the nesting and storability checks that `_normalised` makes (and
    `expected_version` may be left out, see IMPORT_VERSION_DEFAULT); a line it
    refuses is validated again piece by piece, which names every problem.
    """

    stream: StreamName
    expected_version: NotRequired[ExpectedVersionField]
    events: Annotated[list[NewEvent], Field(min_length=1)]


_WholeRequest.__pydantic_config__ = STRICT  # type: ignore[attr-defined]

# The adapters' schema validators, called directly: TypeAdapter.validate_python only
# forwards to them, at a cost per call that shows when an import validates every line.
_HEAD = TypeAdapter(_RequestHead).validator
_STREAM = TypeAdapter(StreamName).validator
_WHOLE = TypeAdapter(_WholeRequest).validator
# Looking the type up here is several times cheaper than pydantic's discriminated union.
_BY_TYPE = {name: TypeAdapter(model).validator for name, model in TYPED_EVENTS.items()}


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


def canonical(value: Any) -> str:
    """Canonical JSON text: sorted keys, no insignificant white space, UTF-8."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _without_nulls(fields: dict[str, Any]) -> dict[str, Any]:
    """Leave out a model's unset optional fields; values inside free JSON are kept as sent."""
    if None not in fields.values():  # the usual case, checked in C: no copy needed
        return fields
    return {k: v for k, v in fields.items() if v is not None}


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    tally = data.get("tally")
    if type(tally) is dict:  # its counts as validation read them: 16.0 is stored as 16
        data = {**data, "tally": {name: whole(count) for name, count in tally.items() if count is not None}}
    return _without_nulls(data)


def _event_problems(raw: Any, where: str = "") -> list[FieldProblem]:
    """Validate one event against the model of its type; return what is wrong with it."""
    if not isinstance(raw, Mapping):
        return [FieldProblem(where, "an event must be a JSON object")]
    too_deep = _nesting_problems(raw, where)
    if too_deep:  # validating such a value would only bury the reason under a path hundreds of levels long
        return too_deep
    kind = raw.get("type")
    validator = _BY_TYPE.get(kind) if isinstance(kind, str) else None
    if validator is None:
        reason = f"unknown event type {kind!r}; known: {', '.join(CATALOGUE)}" if kind else "an event needs a type from the catalogue"
        return [FieldProblem(f"{where}.type".lstrip("."), reason)]
    try:
        validator.validate_python(raw)
    except ValidationError as exc:
        return _problems(exc, where)
    return []


def _nesting_problems(event: Mapping[str, Any], where: str) -> list[FieldProblem]:
    return [
        FieldProblem(f"{where}.{name}".lstrip("."), f"nests objects and arrays deeper than {MAX_NESTING} levels")
        for name in ("data", "metadata")
        if _deeper_than(event.get(name), MAX_NESTING)
    ]


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether `value` nests dicts and lists more than `limit` levels deep (a scalar is 0, `{}` is 1)."""
    kind = type(value)
    if kind is dict:
        value = value.values()
    elif kind is not list:
        return False
    if limit == 0:
        return True
    for item in value:
        kind = type(item)
        if (kind is dict or kind is list) and _deeper_than(item, limit - 1):
            return True
    return False


def _problems(exc: ValidationError, where: str = "") -> list[FieldProblem]:
    found = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        reason = error["msg"]
        if loc[:1] == ["events"] and len(loc) > 2:
            continue  # each event is validated, and reported, on its own
        if error["type"] == "missing" and loc == ["expected_version"]:
            reason = MISSING_VERSION
        elif error["type"] == "value_error":
            reason = reason.removeprefix("Value error, ")
        elif error["type"] == "string_pattern_mismatch":
            reason = PATTERN_REASONS.get(error["ctx"]["pattern"], reason)
        path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        found.append(FieldProblem(path.lstrip("."), reason))
    return found


def _prepared(event: Mapping[str, Any], stream: str, derive_id: bool, where: str = "") -> PreparedEvent:
    """Normalise one raw event that validation has accepted; raise InvalidEvent for a value the log cannot store."""
    data = _stored("data", _payload(event["data"]), where)
    sources = _stored("sources", [_without_nulls(source) for source in event["sources"]], where)
    metadata = _stored("metadata", _without_nulls(event.get("metadata") or {}), where)
    occurred = parse_edtf_date(event["occurred"])
    event_id = event.get("id")
    if event_id is not None:
        event_id = event_id.lower()
    elif derive_id:
        key = "\x1f".join((stream, event["type"], occurred.text, data, sources, metadata))
        event_id = str(uuid.uuid5(CONTENT_ID_NAMESPACE, key))
    else:
        event_id = str(uuid.uuid4())
    return PreparedEvent(event_id, event["type"], occurred.text, occurred.lower, occurred.upper, data, sources, metadata)


def _stored(name: str, value: Any, where: str) -> str:
    """`value` as canonical JSON, which the log stores as text, or InvalidEvent naming what it cannot store."""
    try:
        text = canonical(value)
    except orjson.JSONEncodeError:
        text = None
    if text is not None and not _may_hold_control_characters(text):
        return text
    field = f"{where}.{name}".lstrip(".")
    problem = unstorable(value, field)
    if problem is None and text is None:
        problem = FieldProblem(field, "cannot be written as canonical JSON")
    if problem is not None:
        raise InvalidEvent([problem])
    # The text held an escaped backslash before "u00", "b" or "f", not a control character.
    return text  # type: ignore[return-value]


def _may_hold_control_characters(text: str) -> bool:
    """Whether canonical JSON text may hold a character that `_unstorable_text` refuses: JSON escapes
    the C0 controls, as \\u00XX or, for backspace and form feed, \\b and \\f."""
    return ("\\" in text and ("\\u00" in text or "\\b" in text or "\\f" in text)) or "\ufffe" in text or "\uffff" in text


def unstorable(value: Any, where: str) -> FieldProblem | None:
    """The first part of a JSON value the log cannot store, located under `where`, and why; None if it can store it all."""
    if isinstance(value, str):
        return _unstorable_text(value, where)
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return None
    if isinstance(value, int):
        if -(2**63) <= value < 2**64:
            return None
        return FieldProblem(where, "is an integer beyond 64 bits, which canonical JSON cannot hold")
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in items:
        inner = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}"
        problem = (_unstorable_text(key, where, "a key") if isinstance(key, str) else None) or unstorable(item, inner)
        if problem is not None:
            return problem
    return None


def _unstorable_text(text: str, where: str, what: str = "text") -> FieldProblem | None:
    found = NOT_TEXT.search(text)
    if found is not None:
        return FieldProblem(where, f"holds {what} with {not_text(found.group())}")
    try:
        text.encode()
    except UnicodeEncodeError:
        return FieldProblem(where, f"holds {what} with a lone surrogate, which is not Unicode text")
    return None


def not_text(character: str) -> str:
    """Why `character`, which NOT_TEXT matches, is refused, in words."""
    if character == "\x00":
        return "the NUL character (U+0000), which the archive cannot store"
    return f"the control character U+{ord(character):04X}, which is not text (and no XML feed can carry it)"


def prepare_request(
    stream: object, expected_version: object, events: object, *, derive_ids: bool = False
) -> PreparedRequest:
    """Validate a whole append request and report every problem in it at once.

    Without a client id an event gets a random one, or with `derive_ids` one
    derived from its stream and content, so that importing it again is a no-op.
    """
    return prepare_request_json({"stream": stream, "expected_version": expected_version, "events": events}, derive_ids=derive_ids)


def prepare_request_json(raw: Any, *, derive_ids: bool = False) -> PreparedRequest:
    """Validate an already parsed append request `{"stream", "expected_version", "events"}`, all three required."""
    problems: list[FieldProblem] = []
    try:
        request = _HEAD.validate_python(raw)
    except ValidationError as exc:
        problems = _problems(exc)
        request = None
    events = raw.get("events") if isinstance(raw, Mapping) else None
    for index, event in enumerate(events if isinstance(events, list) else ()):
        problems.extend(_event_problems(event, f"events[{index}]"))
    if problems or request is None:
        raise InvalidEvent(problems)
    return _normalised(request.stream, request.expected_version, request.events, derive_ids)


def prepare_request_text(text: bytes | str, *, derive_ids: bool = False) -> PreparedRequest | None:
    """Validate an import line's append request from its JSON text in one pass, or return None if
    it is not a valid one; `prepare_request_json` then says why. Parsing and validating together
    costs about a third less than parsing first, which counts when an import reads a million lines."""
    try:
        request = _WHOLE.validate_json(text)
    except ValidationError:
        return None
    events = request["events"]
    if any(_deeper_than(event.get("data"), MAX_NESTING) or _deeper_than(event.get("metadata"), MAX_NESTING) for event in events):
        return None
    try:
        return _normalised(request["stream"], request.get("expected_version", IMPORT_VERSION_DEFAULT), events, derive_ids)
    except InvalidEvent:
        return None  # e.g. a value the log cannot store: named by the careful path


def _normalised(stream: str, expected: ExpectedVersion, events: list[Any], derive_ids: bool) -> PreparedRequest:
    prepared = [_prepared(event, stream, derive_ids, f"events[{index}]") for index, event in enumerate(events)]
    seen: set[str] = set()
    for index, event in enumerate(prepared):
        if event.id in seen:
            raise InvalidEvent.single(f"events[{index}].id", f"{event.id} appears twice in one request")
        seen.add(event.id)
    return PreparedRequest(stream, expected, prepared)


def prepare_event(raw: Any, stream: str, *, derive_id: bool = False) -> PreparedEvent:
    """Validate one event for `stream`; raise InvalidEvent naming each bad field."""
    problems = _event_problems(raw)
    if problems:
        raise InvalidEvent(problems)
    return _prepared(raw, stream, derive_id)


def prepare_envelope(raw: Mapping[str, Any]) -> PreparedRequest:
    """Validate an envelope as `accord export` writes it, for restoring it into a log.

    It keeps its id, stream, version, `recorded_at` and `recorded_by`; its
    position and hashes are assigned anew by the log it is restored into.
    """
    problems: list[FieldProblem] = []
    version = raw.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        problems.append(FieldProblem("version", "an envelope needs its version, a number >= 0"))
    if not isinstance(raw.get("id"), str):
        problems.append(FieldProblem("id", "an envelope needs its id"))
    if not isinstance(raw.get("recorded_by"), str) or not raw["recorded_by"].strip():
        problems.append(FieldProblem("recorded_by", "an envelope needs a non-empty recorded_by"))
    elif (problem := _unstorable_text(raw["recorded_by"], "recorded_by")) is not None:
        problems.append(problem)
    recorded_at = raw.get("recorded_at")
    if not isinstance(recorded_at, str) or not _is_utc_moment(recorded_at):
        problems.append(FieldProblem("recorded_at", "an envelope needs recorded_at as RFC 3339 UTC, e.g. 2026-11-23T09:30:00.000000Z"))
    stream = raw.get("stream")
    try:
        _STREAM.validate_python(stream)
    except ValidationError as exc:
        problems.extend(_problems(exc, "stream"))
    event_fields = {k: raw[k] for k in ("id", "type", "occurred", "data", "sources", "metadata") if k in raw}
    problems.extend(_event_problems(event_fields))
    if problems:
        raise InvalidEvent(problems)
    event = _prepared(event_fields, stream, False)._replace(recorded_at=recorded_at, recorded_by=raw["recorded_by"])  # type: ignore[arg-type]
    expected: ExpectedVersion = "no_stream" if version == 0 else version - 1  # type: ignore[operator]
    return PreparedRequest(stream, expected, [event])  # type: ignore[arg-type]


def _is_utc_moment(value: str) -> bool:
    if not value.endswith("Z"):
        return False
    try:
        datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        return False
    return True
