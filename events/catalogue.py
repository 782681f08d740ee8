"""The catalogue: one payload model per event type, keyed by its stable wire name.

Each class documents its fields; `CATALOGUE` maps the `type` string an event
carries to the model that validates its `data`. Payloads are frozen and refuse
unknown fields, so a typo in a field name is an error instead of lost data.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, StringConstraints, create_model, model_validator

from events.edtf_dates import parse_edtf_date


def _edtf(value: str) -> str:
    parse_edtf_date(value)
    return value


Edtf = Annotated[str, AfterValidator(_edtf)]
"""An EDTF level 0/1 date or interval: `2024-06-20`, `2024-06`, `2024-12~`, `2024-12/2025-03`."""

# Constraints are patterns where they can be: pydantic checks those without a
# Python call, which matters at import speed. PATTERN_REASONS words their errors.
NOT_BLANK = r"\S"
WEB_URL = r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$"

Text = Annotated[str, StringConstraints(pattern=NOT_BLANK)]
"""Free text that is not empty or only white space, kept exactly as given."""

WebUrl = Annotated[str, StringConstraints(pattern=WEB_URL)]
"""An absolute http or https URL, kept exactly as given."""

StreamName = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9]*-[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=200)
]
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
    NOT_BLANK: "must not be blank",
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


class Payload(BaseModel):
    """Base of every payload: frozen, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    event_type: ClassVar[str]


class EntityRegistered(Payload):
    """Event name: EntityRegistered. An organization, person, facility, body or country enters the archive.

    kind: what the entity is. name: its usual name. aliases: other names in any
    language or script (`ОИЯИ`, `JINR`). description: one or two sentences.
    """

    event_type: ClassVar[str] = "EntityRegistered"
    kind: EntityKind
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    description: Text | None = None


class AgreementSigned(Payload):
    """Event name: AgreementSigned. An agreement between two or more parties is signed.

    title: the agreement's name. parties: entity streams of the signatories.
    signed, effective, expires: EDTF dates where known. summary: what it covers.
    """

    event_type: ClassVar[str] = "AgreementSigned"
    title: Text
    parties: list[EntityRef] = Field(min_length=2)
    signed: Edtf | None = None
    effective: Edtf | None = None
    expires: Edtf | None = None
    summary: Text | None = None


class AgreementRenewed(Payload):
    """Event name: AgreementRenewed. An agreement is extended or replaced by an updated one.

    effective: when the renewal takes effect. expires: the new end date.
    summary: what the renewal says.
    """

    event_type: ClassVar[str] = "AgreementRenewed"
    effective: Edtf | None = None
    expires: Edtf | None = None
    summary: Text | None = None


class AgreementAmended(Payload):
    """Event name: AgreementAmended. The terms of an agreement change; summary says how."""

    event_type: ClassVar[str] = "AgreementAmended"
    summary: Text
    effective: Edtf | None = None


class AgreementSuspended(Payload):
    """Event name: AgreementSuspended. An agreement stops applying for now.

    effective: from when. reason: why, as the sources give it.
    """

    event_type: ClassVar[str] = "AgreementSuspended"
    effective: Edtf | None = None
    reason: Text | None = None


class AgreementTerminated(Payload):
    """Event name: AgreementTerminated. An agreement is ended before its term by a party's decision."""

    event_type: ClassVar[str] = "AgreementTerminated"
    effective: Edtf | None = None
    reason: Text | None = None


class AgreementExpired(Payload):
    """Event name: AgreementExpired. An agreement reaches its end date without renewal.

    renewal_refused: true when the parties decided not to renew it.
    """

    event_type: ClassVar[str] = "AgreementExpired"
    renewal_refused: bool = False
    note: Text | None = None


class Tally(BaseModel):
    """Votes counted: any of yes, no, abstain and absent that the sources report."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    yes: int | None = Field(default=None, ge=0)
    no: int | None = Field(default=None, ge=0)
    abstain: int | None = Field(default=None, ge=0)
    absent: int | None = Field(default=None, ge=0)


class VoteScheduled(Payload):
    """Event name: VoteScheduled. A body puts a motion on the agenda.

    body: the entity that votes. motion: what is put to the vote. scheduled:
    when the vote is due (EDTF). agreement: the agreement stream it concerns.
    effect: what passing it would do to that agreement.
    """

    event_type: ClassVar[str] = "VoteScheduled"
    body: EntityRef
    motion: Text
    scheduled: Edtf | None = None
    agreement: StreamName | None = None
    effect: VoteEffect | None = None


class VoteHeld(Payload):
    """Event name: VoteHeld. A body votes on a motion.

    outcome: passed, failed, no decision or postponed. tally: the counts
    reported. threshold: the majority required ("two-thirds"). notes: who
    abstained and anything else the sources say. agreement and effect as in
    VoteScheduled.
    """

    event_type: ClassVar[str] = "VoteHeld"
    body: EntityRef
    motion: Text
    outcome: VoteOutcome
    tally: Tally | None = None
    threshold: Text | None = None
    notes: Text | None = None
    agreement: StreamName | None = None
    effect: VoteEffect | None = None


class VisitMade(Payload):
    """Event name: VisitMade. Visitors come to a host.

    visitors: entity streams or names of who came. host: who received them.
    place: where. purpose: why, as the sources say.
    """

    event_type: ClassVar[str] = "VisitMade"
    visitors: list[Text] = Field(min_length=1)
    host: Text | None = None
    place: Text | None = None
    purpose: Text | None = None


class StatementMade(Payload):
    """Event name: StatementMade. Someone says something on the record.

    speaker: the speaker's entity stream, or `anonymous` with a
    speaker_description ("a JINR physicist"). quote: the exact words as
    printed. language: the quote's language. original_text and
    original_language: the words as first said, where the quote is a
    translation. context: the occasion. medium: interview, letter, speech...
    """

    event_type: ClassVar[str] = "StatementMade"
    speaker: Speaker
    speaker_description: Text | None = None
    quote: Text
    language: LanguageTag = "en"
    original_text: Text | None = None
    original_language: LanguageTag | None = None
    context: Text | None = None
    medium: Text | None = None

    @model_validator(mode="after")
    def _anonymous_is_described(self) -> StatementMade:
        if self.speaker == ANONYMOUS and self.speaker_description is None:
            raise ValueError("an anonymous speaker needs a speaker_description, such as 'a JINR physicist'")
        return self


class StatusChanged(Payload):
    """Event name: StatusChanged. A party's standing in an organization changes.

    party: whose status. organization: in which organization. status: observer,
    associate member, member or none. change: granted (the status now holds),
    applied (the party asked for it) or application withdrawn. note: details.
    """

    event_type: ClassVar[str] = "StatusChanged"
    party: EntityRef
    organization: EntityRef
    status: MembershipStatus
    change: StatusChange = "granted"
    note: Text | None = None


class FactCorrected(Payload):
    """Event name: FactCorrected. Fixes fields of an earlier fact, which stays in the log.

    target: the corrected event's id. fields: the corrected values by field
    name (payload fields, or `occurred` and `sources`). reason: why.
    """

    event_type: ClassVar[str] = "FactCorrected"
    target: EventId
    fields: dict[str, JsonValue] = Field(min_length=1)
    reason: Text


class FactRetracted(Payload):
    """Event name: FactRetracted. Withdraws an earlier fact, which stays in the log."""

    event_type: ClassVar[str] = "FactRetracted"
    target: EventId
    reason: Text


CATALOGUE: dict[str, type[Payload]] = {
    model.event_type: model
    for model in (
        EntityRegistered,
        AgreementSigned,
        AgreementRenewed,
        AgreementAmended,
        AgreementSuspended,
        AgreementTerminated,
        AgreementExpired,
        VoteScheduled,
        VoteHeld,
        VisitMade,
        StatementMade,
        StatusChanged,
        FactCorrected,
        FactRetracted,
    )
}


class Source(BaseModel):
    """Where a fact was published. Never invent a URL: leave it out where the material gives none."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    publisher: Text
    title: Text | None = None
    url: WebUrl | None = None
    published: Edtf | None = None
    quote: Text | None = None
    language: LanguageTag | None = None
    archived_url: WebUrl | None = None


class Metadata(BaseModel):
    """Free metadata: correlation and causation ids, plus any other JSON values."""

    model_config = ConfigDict(frozen=True, extra="allow", strict=True)
    correlation_id: str | None = None
    causation_id: str | None = None


class EventFields(BaseModel):
    """What every new fact carries besides its type and payload."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
    id: EventId | None = None
    occurred: Edtf
    sources: list[Source] = Field(min_length=1)
    metadata: Metadata | None = None


TYPED_EVENTS: dict[str, type[EventFields]] = {
    name: create_model(f"New{name}", __base__=EventFields, type=(Literal[name], ...), data=(model, ...))  # type: ignore[call-overload]
    for name, model in CATALOGUE.items()
}

NewEvent = Annotated[Union[tuple(TYPED_EVENTS.values())], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
"""A fact as a client sends it: `type` picks the payload model that validates `data`."""
