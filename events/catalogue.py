"""The catalogue: the payload shape of each event type, keyed by its stable wire name.

Each class documents its fields; `CATALOGUE` maps the `type` string an event
carries to the shape that validates its `data`. Shapes are TypedDicts that
Pydantic validates strictly: unknown fields are refused, so a typo in a field
name is an error instead of lost data, and nothing is coerced, so what
validates is stored exactly as sent. A field left out has no value; where the
docs name a default, readers apply it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, JsonValue, StringConstraints, WithJsonSchema, with_config
from typing_extensions import NotRequired, TypedDict

from events.edtf_dates import MAX_LENGTH, PATTERN, parse_edtf_date


def _edtf(value: str) -> str:
    parse_edtf_date(value)
    return value


EDTF_FORMAT = "edtf"
"""The JSON Schema `format` of an EDTF level 0/1 string: a date (its days in the calendar, an
interval's ends in order) that `PATTERN` spells out as far as a regular expression can."""
EDTF_SCHEMA = {
    "type": "string", "format": EDTF_FORMAT, "pattern": PATTERN, "maxLength": MAX_LENGTH,
    "description": "EDTF levels 0-1: 2024-06-20, 2024-06, 2024, 2024-12~, 2024-21, 201X, 2024-12/2025-03, ../2024",
}

Edtf = Annotated[str, AfterValidator(_edtf), WithJsonSchema(EDTF_SCHEMA)]
"""An EDTF level 0/1 date or interval: `2024-06-20`, `2024-06`, `2024-12~`, `2024-12/2025-03`."""

# Constraints are patterns where they can be: pydantic checks those without a
# Python call, which matters at import speed. PATTERN_REASONS words their errors.
# Characters that show nothing: zero-width spaces and joiners, the byte order mark, soft hyphens,
# direction marks, variation selectors, Hangul fillers (Unicode's default-ignorable code points of
# the Basic Multilingual Plane). Text made of these and white space alone is blank.
INVISIBLE = (
    r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    r"\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
NOT_BLANK = rf"[^\s{INVISIBLE}]"
WEB_URL = r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$"

Text = Annotated[str, StringConstraints(pattern=NOT_BLANK)]
"""Free text with something visible in it, kept exactly as given."""

WebUrl = Annotated[str, StringConstraints(pattern=WEB_URL)]
"""An absolute http or https URL, kept exactly as given."""

STREAM_PATTERN = r"^[a-z][a-z0-9]*-[a-z0-9]+(?:-[a-z0-9]+)*$"

StreamName = Annotated[str, StringConstraints(pattern=STREAM_PATTERN, max_length=200)]
"""A stream id, `category-slug` in lower-case ASCII: `agreement-cern-jinr`, `org-jinr`."""

EntityRef = StreamName
"""The stream of a registered entity: `org-jinr`, `person-grigory-trubnikov`."""

LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")]
"""A BCP 47 language tag: `en`, `ru`, `ja`, `pt-BR`."""

EventId = Annotated[
    str, StringConstraints(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]
"""An event id: a UUID in its hyphenated text form."""

Speaker = Annotated[
    str, StringConstraints(pattern=r"^(?:anonymous|[a-z][a-z0-9]*-[a-z0-9]+(?:-[a-z0-9]+)*)$", max_length=200)
]
"""The speaker's entity stream, or `anonymous`."""

PATTERN_REASONS = {
    Speaker.__metadata__[0].pattern: "must be the speaker's entity stream (person-…) or 'anonymous'",  # type: ignore[attr-defined]
    NOT_BLANK: "must not be blank (white space and invisible characters alone are blank)",
    WEB_URL: "must be an absolute http(s) URL",
    StreamName.__metadata__[0].pattern: "must be a stream id of the form category-slug, e.g. org-jinr",  # type: ignore[attr-defined]
    LanguageTag.__metadata__[0].pattern: "must be a BCP 47 language tag such as en, ru or pt-BR",  # type: ignore[attr-defined]
    EventId.__metadata__[0].pattern: "must be a UUID such as 6f1f0a5e-8f53-4b7e-9d0e-acc0bd000001",  # type: ignore[attr-defined]
}
"""Plain words for the pattern constraints above."""

ANONYMOUS = "anonymous"

EntityKind = Literal["organization", "person", "facility", "body", "country"]
VoteOutcome = Literal["passed", "failed", "no decision", "postponed"]
VoteEffect = Literal["renew", "not_renew", "suspend", "terminate", "amend", "other"]
MembershipStatus = Literal["observer", "associate member", "member", "none"]
StatusChange = Literal["granted", "applied", "application withdrawn"]


STRICT = ConfigDict(extra="forbid", strict=True)
"""Every shape refuses unknown fields and coerces nothing: what validates is stored as sent."""

strict = with_config(STRICT)


@strict
class EntityRegistered(TypedDict):
    """Event name: EntityRegistered. An organization, person, facility, body or country enters the archive.

    kind: what the entity is. name: its usual name. aliases: other names in any
    language or script (`ОИЯИ`, `JINR`). languages: the language of each name
    not in English, by name (`{"ОИЯИ": "ru"}`), so pages can mark it.
    description: one or two sentences. unsourced: the fields whose words no
    source prints (the archivist's own), which pages show as the archivist's notes.
    """

    kind: EntityKind
    name: Text
    aliases: NotRequired[list[Text]]
    languages: NotRequired[dict[str, LanguageTag]]
    description: NotRequired[Text | None]
    unsourced: NotRequired[list[Text]]


@strict
class AgreementSigned(TypedDict):
    """Event name: AgreementSigned. An agreement between two or more parties is signed.

    title: the agreement's name. parties: entity streams of the signatories.
    signed, effective, expires: EDTF dates where known. summary: what it covers.
    unsourced: the fields no source prints (a title the archivist gave it, say).
    """

    title: Text
    parties: Annotated[list[EntityRef], Field(min_length=2)]
    signed: NotRequired[Edtf | None]
    effective: NotRequired[Edtf | None]
    expires: NotRequired[Edtf | None]
    summary: NotRequired[Text | None]
    unsourced: NotRequired[list[Text]]


@strict
class AgreementRenewed(TypedDict):
    """Event name: AgreementRenewed. An agreement is extended or replaced by an updated one.

    effective: when the renewal takes effect. expires: the new end date.
    summary: what the renewal says.
    """

    effective: NotRequired[Edtf | None]
    expires: NotRequired[Edtf | None]
    summary: NotRequired[Text | None]


@strict
class AgreementAmended(TypedDict):
    """Event name: AgreementAmended. The terms of an agreement change; summary says how."""

    summary: Text
    effective: NotRequired[Edtf | None]


@strict
class AgreementSuspended(TypedDict):
    """Event name: AgreementSuspended. An agreement stops applying for now.

    effective: from when. reason: why, as the sources give it.
    """

    effective: NotRequired[Edtf | None]
    reason: NotRequired[Text | None]


@strict
class AgreementTerminated(TypedDict):
    """Event name: AgreementTerminated. An agreement is ended before its term by a party's decision."""

    effective: NotRequired[Edtf | None]
    reason: NotRequired[Text | None]


@strict
class AgreementExpired(TypedDict):
    """Event name: AgreementExpired. An agreement reaches its end date without renewal.

    renewal_refused: true when the parties decided not to renew it (false when absent).
    """

    renewal_refused: NotRequired[bool]
    note: NotRequired[Text | None]


def whole(value: Any) -> Any:
    """JSON has one kind of number, so 16.0 is the integer 16, as JSON Schema reads it too."""
    return int(value) if type(value) is float and value.is_integer() else value


Count = Annotated[int, BeforeValidator(whole), Field(ge=0, le=2**31 - 1)]
"""A count of votes, people or anything else the sources number."""


@strict
class AgreementSuperseded(TypedDict):
    """Event name: AgreementSuperseded. An agreement gives way to another one.

    by: the successor agreement's stream. effective: from when, where the sources say.
    """

    by: StreamName
    effective: NotRequired[Edtf | None]


@strict
class DecisionTaken(TypedDict):
    """Event name: DecisionTaken. An organization or body decides about an agreement, by no vote the sources report.

    by: who decided. decision: what, in the sources' words. agreement: the
    agreement stream it concerns. effect: what it does to that agreement, where
    the sources say (as in VoteHeld).
    """

    by: EntityRef
    decision: Text
    agreement: NotRequired[StreamName | None]
    effect: NotRequired[VoteEffect | None]


@strict
class Tally(TypedDict):
    """Votes counted: any of yes, no, abstain and absent that the sources report."""

    yes: NotRequired[Count | None]
    no: NotRequired[Count | None]
    abstain: NotRequired[Count | None]
    absent: NotRequired[Count | None]


@strict
class VoteScheduled(TypedDict):
    """Event name: VoteScheduled. A body puts a motion on the agenda.

    body: the entity that votes. motion: what is put to the vote. scheduled:
    when the vote is due (EDTF). agreement: the agreement stream it concerns.
    effect: what passing it would do to that agreement.
    """

    body: EntityRef
    motion: Text
    scheduled: NotRequired[Edtf | None]
    agreement: NotRequired[StreamName | None]
    effect: NotRequired[VoteEffect | None]


@strict
class VoteHeld(TypedDict):
    """Event name: VoteHeld. A body votes on a motion.

    outcome: passed, failed, no decision or postponed. tally: the counts
    reported. threshold: the majority required ("two-thirds"). notes: who
    abstained and anything else the sources say. agreement and effect as in
    VoteScheduled.
    """

    body: EntityRef
    motion: Text
    outcome: VoteOutcome
    tally: NotRequired[Tally | None]
    threshold: NotRequired[Text | None]
    notes: NotRequired[Text | None]
    agreement: NotRequired[StreamName | None]
    effect: NotRequired[VoteEffect | None]


@strict
class VisitMade(TypedDict):
    """Event name: VisitMade. Visitors come to a host.

    visitors: entity streams or names of who came. host: who received them.
    place: where. purpose: why, as the sources say.
    """

    visitors: Annotated[list[Text], Field(min_length=1)]
    host: NotRequired[Text | None]
    place: NotRequired[Text | None]
    purpose: NotRequired[Text | None]


# `_anonymous_is_described` below, as JSON Schema can say it.
ANONYMOUS_IS_DESCRIBED = {
    "if": {"properties": {"speaker": {"const": "anonymous"}}, "required": ["speaker"]},
    "then": {"required": ["speaker_description"], "properties": {"speaker_description": {"type": "string"}}},
}


@with_config(ConfigDict(extra="forbid", strict=True, json_schema_extra=ANONYMOUS_IS_DESCRIBED))
class StatementMade(TypedDict):
    """Event name: StatementMade. Someone says something on the record.

    speaker: the speaker's entity stream, or `anonymous` with a
    speaker_description ("a JINR physicist"). quote: the exact words as
    printed. language: the quote's language (en when absent). original_text and
    original_language: the words as first said, where the quote is a
    translation. context: the occasion. medium: interview, letter, speech...
    about: the agreements or entities the statement is about, by stream.
    """

    speaker: Speaker
    speaker_description: NotRequired[Text | None]
    quote: Text
    language: NotRequired[LanguageTag]
    original_text: NotRequired[Text | None]
    original_language: NotRequired[LanguageTag | None]
    context: NotRequired[Text | None]
    medium: NotRequired[Text | None]
    quote_kind: NotRequired[Literal["direct", "reported"]]
    about: NotRequired[list[StreamName]]


@strict
class StatusChanged(TypedDict):
    """Event name: StatusChanged. A party's standing in an organization changes.

    party: whose status. organization: in which organization. status: observer,
    associate member, member or none. change (granted when absent): granted (the status now holds),
    applied (the party asked for it) or application withdrawn. note: details.
    """

    party: EntityRef
    organization: EntityRef
    status: MembershipStatus
    change: NotRequired[StatusChange]
    note: NotRequired[Text | None]


@strict
class FactCorrected(TypedDict):
    """Event name: FactCorrected. Fixes fields of an earlier fact, which stays in the log.

    target: the corrected event's id. fields: the corrected values by field
    name (payload fields, or `occurred` and `sources`). reason: why.
    """

    target: EventId
    fields: Annotated[dict[str, JsonValue], Field(min_length=1)]
    reason: Text


@strict
class FactRetracted(TypedDict):
    """Event name: FactRetracted. Withdraws an earlier fact, which stays in the log."""

    target: EventId
    reason: Text


def _anonymous_is_described(statement: StatementMade) -> StatementMade:
    if statement["speaker"] == ANONYMOUS and statement.get("speaker_description") is None:
        raise ValueError("an anonymous speaker needs a speaker_description, such as 'a JINR physicist'")
    return statement


def _fields_of(model: Any) -> frozenset[str]:
    return frozenset(model.__annotations__) - {"unsourced"}


def _unsourced_are_fields(model: Any) -> Any:
    """A check that every name in a payload's `unsourced` is one of its fields."""
    fields = _fields_of(model)

    def check(payload: Any) -> Any:
        unknown = [name for name in payload.get("unsourced") or () if name not in fields]
        if unknown:
            raise ValueError(f"unsourced names {', '.join(unknown)}, not fields of this fact: {', '.join(sorted(fields))}")
        return payload

    return check


class _UnsourcedNamesFields:
    """`_unsourced_are_fields` as JSON Schema states it: each item of `unsourced` is one of the payload's field names."""

    def __init__(self, model: Any) -> None:
        self.fields = sorted(_fields_of(model))

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        handler.resolve_ref_schema(schema)["properties"]["unsourced"]["items"] = {"type": "string", "enum": self.fields}
        return schema


CATALOGUE: dict[str, Any] = {
    model.__name__: model
    for model in (
        EntityRegistered,
        AgreementSigned,
        AgreementRenewed,
        AgreementAmended,
        AgreementSuspended,
        AgreementTerminated,
        AgreementExpired,
        AgreementSuperseded,
        DecisionTaken,
        VoteScheduled,
        VoteHeld,
        VisitMade,
        StatementMade,
        StatusChanged,
        FactCorrected,
        FactRetracted,
    )
}
CATALOGUE["StatementMade"] = Annotated[StatementMade, AfterValidator(_anonymous_is_described)]
for _model in (EntityRegistered, AgreementSigned):
    CATALOGUE[_model.__name__] = Annotated[_model, AfterValidator(_unsourced_are_fields(_model)), _UnsourcedNamesFields(_model)]
"""The payload shape of each event type, by the type's wire name."""


@strict
class Source(TypedDict):
    """Where a fact was published. Never invent a URL: leave it out where the material gives none."""

    publisher: Text
    title: NotRequired[Text | None]
    url: NotRequired[WebUrl | None]
    published: NotRequired[Edtf | None]
    quote: NotRequired[Text | None]
    language: NotRequired[LanguageTag | None]
    archived_url: NotRequired[WebUrl | None]


@with_config(ConfigDict(extra="allow", strict=True))
class Metadata(TypedDict):
    """Free metadata: correlation and causation ids, plus any other JSON values."""

    correlation_id: NotRequired[str | None]
    causation_id: NotRequired[str | None]


def _new_event(name: str, payload: Any) -> Any:
    shape = TypedDict(  # type: ignore[misc]
        f"New{name}",
        {
            "id": NotRequired[EventId | None],
            "type": Literal[name],  # type: ignore[valid-type]
            "occurred": Edtf,
            "data": payload,
            "sources": Annotated[list[Source], Field(min_length=1)],
            "metadata": NotRequired[Metadata | None],
        },
    )
    shape.__pydantic_config__ = STRICT  # type: ignore[attr-defined]
    return shape


TYPED_EVENTS: dict[str, Any] = {name: _new_event(name, payload) for name, payload in CATALOGUE.items()}
"""Each event type's whole shape as a client sends it: id, type, occurred, data, sources, metadata."""

NewEvent = Annotated[Union[tuple(TYPED_EVENTS.values())], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
"""A fact as a client sends it: `type` picks the payload shape that validates `data`."""
