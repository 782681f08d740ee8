"""The shapes the API answers with, for validation-free serialisation and an accurate OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from events.catalogue import CATALOGUE, STRICT
from events.catalogue import NewEvent as CatalogueEvent
from events.prepare import MAX_NESTING, ExpectedVersionField

EventType = Literal.__getitem__(tuple(CATALOGUE))  # type: ignore[attr-defined]

SOURCE_EXAMPLE = {
    "publisher": "T-invariant",
    "title": "“Window to the West”: how will the fate of the last channel of interaction between Russian physicists and CERN be decided?",
    "published": "2024-06",
    "quote": "We don’t close anything, we don’t hide anything, we don’t lock anything.",
    "language": "en",
}
EVENT_ID = "3f0b6a52-8c1e-4f7a-9b55-2d7e0c41a9e3"


class Source(BaseModel):
    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [SOURCE_EXAMPLE]})
    publisher: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    quote: str | None = None
    language: str | None = None
    archived_url: str | None = None


APPEND_EXAMPLE = {
    "expected_version": "no_stream",
    "events": [{
        "id": EVENT_ID, "type": "EntityRegistered", "occurred": "2024-06-13/2024-06-19",
        "data": {"kind": "organization", "name": "Dissernet", "aliases": ["Диссернет"]},
        "sources": [{**SOURCE_EXAMPLE, "quote": "physicist, co-founder of Dissernet Andrei Rostovtsev"}],
        "metadata": {"correlation_id": "import-2026-11"},
    }],
}


class AppendBody(TypedDict):
    """The body of `POST /streams/{stream}/events`: all the events are appended, or none."""

    expected_version: ExpectedVersionField
    events: Annotated[list[CatalogueEvent], Field(min_length=1)]


AppendBody.__pydantic_config__ = STRICT  # type: ignore[attr-defined]


def append_body_schema() -> dict[str, Any]:
    """The append body's JSON Schema, its definitions named `Append…` so that none replaces a response's."""
    schema = TypeAdapter(AppendBody).json_schema(ref_template="#/components/schemas/Append{model}")
    schema["$defs"] = {f"Append{name}": definition for name, definition in schema.pop("$defs").items()}
    schema["examples"] = [APPEND_EXAMPLE]
    schema["description"] += (
        " Each event's shape is the catalogue's for its `type`, `data` included; `data` and `metadata` nest objects and"
        f" arrays at most {MAX_NESTING} levels deep, the value itself counting as one."
    )
    return schema


class AppendResult(BaseModel):
    stream: str = Field(examples=["org-dissernet"])
    first_version: int = Field(examples=[0])
    last_version: int = Field(examples=[0])
    positions: list[int] = Field(examples=[[79]])
    ids: list[str] = Field(examples=[[EVENT_ID]])


class Envelope(BaseModel):
    """A stored event as the log holds it."""

    id: str = Field(examples=[EVENT_ID])
    position: int = Field(examples=[79])
    stream: str = Field(examples=["org-dissernet"])
    version: int = Field(examples=[0])
    type: str = Field(examples=["EntityRegistered"])
    occurred: str = Field(examples=["2024-06-13/2024-06-19"])
    recorded_at: str = Field(examples=["2026-11-23T13:33:36.013840Z"])
    recorded_by: str = Field(examples=["alice"])
    data: dict[str, Any]
    sources: list[Source]
    metadata: dict[str, Any]
    prev_hash: str = Field(examples=["22ce7a7645cb75a8bc41abb7050f5f44aef60e986c396c17f61be857557d0a99"])
    hash: str = Field(examples=["85c0bdc0d27f3760ea23b332733e813c41069066c52beb6e14b665cc1a2a29f6"])


class EventWithAmendments(Envelope):
    corrections: list[Envelope] = Field(description="The FactCorrected events that target this event, in log order")
    retraction: Envelope | None = Field(description="The FactRetracted event that targets this event, if any")


class EventPage(BaseModel):
    events: list[Envelope]
    next_after: int = Field(description="Pass as `after` to read on; equal to `after` when nothing more was there", examples=[79])


class StreamPage(BaseModel):
    stream: str = Field(examples=["org-jinr"])
    version: int = Field(description="The stream's last version", examples=[3])
    events: list[Envelope]
    next_from_version: int = Field(description="Pass as `from_version` to read on", examples=[4])


class AsOf(BaseModel):
    valid_at: str = Field(examples=["2026-11-23"])
    known_at: str | None = Field(examples=[None])


class Fact(BaseModel):
    """A fact as the read models give it: its fields as of a revision, with provenance."""

    event_id: str = Field(examples=[EVENT_ID])
    position: int
    stream: str
    type: str
    occurred: str
    stands_at: str = Field(description="The EDTF date the fact stands at on timelines: `occurred`, or a scheduled vote's "
                           "`scheduled`; a date with an open start is ordered by its end", examples=["2024-06-20"])
    recorded_at: str
    revision: int = Field(description="0 for the fact as appended, n after n corrections")
    revised_by: str | None = Field(description="The correction that made this revision")
    data: dict[str, Any]
    sources: list[Source]


Status = Literal["pending", "in_force", "suspended", "expired", "terminated", "not_renewed", "superseded"]
Basis = Literal["reported", "by_date"]


class HistoryEntry(Fact):
    """A fact of the agreement and the status it left it in; for a change by date, the fact that gave the date."""

    status_before: Status | None = Field(description="The status it left (null for the first fact)", examples=["in_force"])
    status_after: Status = Field(examples=["expired"])
    basis: Basis = Field(description="reported: a sourced fact set it; by_date: only a date passing did", examples=["by_date"])
    on: str = Field(description="When the status changed (EDTF): the fact's date, or the date that passed", examples=["2025-01"])


class Vote(BaseModel):
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
    sources: list[Source]


class AgreementSummary(BaseModel):
    id: str = Field(examples=["agreement-cern-jinr"])
    status: Status
    basis: Basis = Field(description="reported when a sourced fact set the status; by_date when only a date passing did "
                         "(an end date gone by with no fact saying the agreement ended)")
    status_since: str | None = Field(description="When the current status was set (EDTF)", examples=["2025-01"])
    last_reported: str | None = Field(description="The date (EDTF) of the newest fact about the agreement", examples=["/2024-06-19"])
    title: str | None = Field(examples=["Cooperation agreement between CERN and JINR"])
    parties: list[str] = Field(examples=[["org-cern", "org-jinr"]])
    signed: str | None
    effective: str | None
    expires: str | None
    summary: str | None
    unsourced: list[str] = Field(description="Fields whose words no source prints: the archivist's own", examples=[["title"]])
    renewal_refused: bool
    superseded_by: str | None = Field(description="The agreement that superseded it", examples=[None])
    succeeds: list[str] = Field(description="The agreements it superseded", examples=[[]])
    last_vote: Vote | None
    next_vote: Vote | None
    as_of: AsOf


class Agreement(AgreementSummary):
    votes: list[Vote]
    history: list[HistoryEntry]
    statements: list[Fact] = Field(description="Statements about the agreement (those that name it in `about`)")


class AgreementList(BaseModel):
    total: int
    agreements: list[AgreementSummary]
    as_of: AsOf


class Timeline(BaseModel):
    total: int
    facts: list[Fact]
    as_of: AsOf


class Entity(BaseModel):
    id: str = Field(examples=["org-jinr"])
    kind: str = Field(examples=["organization"])
    name: str = Field(examples=["Joint Institute for Nuclear Research"])
    aliases: list[str] = Field(examples=[["ОИЯИ", "JINR"]])
    description: str | None
    event_id: str
    position: int
    revision: int
    sources: list[Source]


class EntityList(BaseModel):
    total: int
    entities: list[Entity]
    as_of: AsOf


class Verification(BaseModel):
    ok: bool
    checked: int = Field(description="Events whose hash was checked", examples=[79])
    head: str = Field(description="The hash of the last intact event")
    first_bad: int | None = Field(default=None, description="The first position whose hash does not match")
    reason: str | None = None


class LogHead(BaseModel):
    position: int
    hash: str


class ProjectionHealth(BaseModel):
    name: str = Field(examples=["facts"])
    position: int
    lag: int = Field(description="Events in the log this projection has not folded yet")


class Health(BaseModel):
    status: Literal["ok", "catching_up", "degraded"] = Field(
        description="ok; catching_up while a projection lags or the node's first catch-up is not over; "
        "degraded when the catch-up fails or has stopped"
    )
    database: bool = Field(description="Whether the database answered")
    index: bool | None = Field(default=None, description="Whether this node's search index answered (null if not asked)")
    head: LogHead | None
    projections: list[ProjectionHealth]
    error: str | None = Field(default=None, description="The last error of the background catch-up, if it failed")


class SearchHit(BaseModel):
    """One fact found, with its provenance; `highlight` is HTML-escaped with the matched words in <mark>."""

    event_id: str = Field(examples=["1a43ea4d-f469-4712-89bf-5943608e59f5"])
    position: int = Field(examples=[51])
    stream: str = Field(examples=["person-boris-grinev"])
    type: str = Field(examples=["StatementMade"])
    speaker: str | None = Field(description="The speaker's name, or an anonymous speaker's description", examples=["Boris Grinev"])
    speaker_id: str | None = Field(description="The speaker's entity stream, or `anonymous`", examples=["person-boris-grinev"])
    occurred: str = Field(examples=["2024-06-05"])
    recorded_at: str
    quote: str = Field(description="The words as printed: a statement's quote, or the matched source's excerpt",
                       examples=["infiltrated by Russian spies"])
    quote_kind: Literal["direct", "reported"] | None = Field(
        description="A statement's kind: `direct` (the speaker's own words as printed) or `reported` (the publisher's account); "
                    "null for other facts", examples=["direct"])
    matched_in: list[Literal["quote", "original_text", "speaker", "source_title", "excerpt", "context"]] = Field(
        description="Where the query matched, the words as printed first; `highlight` shows the first", examples=[["quote"]])
    original_text: str | None = None
    context: str | None = None
    highlight: str = Field(description="The first text the query matched (see `matched_in`), HTML-escaped, the matched words in <mark>",
                           examples=['infiltrated by Russian <mark class="match term0">spies</mark>'])
    sources: list[Source]
    corrections: list[str] = Field(description="Ids of the corrections folded into this fact, oldest first")
    score: float | None = Field(description="Relevance (BM25F); null for a search by filters alone")


class FacetValue(BaseModel):
    value: str = Field(examples=["T-invariant"])
    count: int = Field(examples=[34])


class Facets(BaseModel):
    speaker: list[FacetValue]
    publisher: list[FacetValue]
    year: list[FacetValue]
    type: list[FacetValue]
    kind: list[FacetValue] = Field(description="Statements by kind: direct quotes and reported speech")


class NamedEntity(BaseModel):
    """A registered entity the query names, under any of its names or scripts."""

    id: str = Field(examples=["org-jinr"])
    name: str = Field(examples=["JINR"])
    kind: str = Field(examples=["organization"])
    aliases: list[str] = Field(examples=[["Joint Institute for Nuclear Research", "ОИЯИ"]])


class SearchResults(BaseModel):
    """Facts matching the query; `total` and `facets` count the whole result set, not the page."""

    total: int = Field(examples=[3])
    page: int = Field(examples=[1])
    per_page: int = Field(examples=[20])
    entities: list[NamedEntity] = Field(description="The registered entities the query names, best first")
    hits: list[SearchHit]
    facets: Facets
    suggestion: str | None = Field(description="The query with unknown words replaced by close indexed ones", examples=[None])
    fuzzy: bool = Field(description="True when close spellings were matched because the words as typed found little")


Hash = Annotated[
    str, Field(pattern=r"^[A-Za-z0-9+/]{43}=$", description="A SHA-256 hash, base64 (RFC 4648 §4, padded)",
               examples=["5dBa7mRu0Gp8H+FzvJyd8hZ1Gk6y4uw3cvxXEJTPpAo="])
]


class InclusionProof(BaseModel):
    """RFC 9162 §2.1.3: the event is leaf `leaf_index` (its position - 1) of the signed tree of `tree_size` leaves."""

    leaf_index: int = Field(ge=0, examples=[78])
    tree_size: int = Field(ge=1, examples=[1000])
    leaf_hash: Hash = Field(description="SHA-256(0x00 || the event's canonical JSON), base64")
    audit_path: list[Hash] = Field(description="The sibling hashes from the leaf up to the root")


class ConsistencyProof(BaseModel):
    """RFC 9162 §2.1.4: the signed tree of `first` leaves is a prefix of that of `second` leaves."""

    first: int = Field(ge=1, examples=[500])
    second: int = Field(ge=1, examples=[1000])
    proof: list[Hash]


class ProofBundle(BaseModel):
    """Everything needed to check offline that the event is in the archive's signed tree: `accord check-proof FILE --key KEY`."""

    event: Envelope
    checkpoint: str = Field(description="The signed checkpoint (C2SP tlog-checkpoint, signed note)")
    proof: InclusionProof
    key: str = Field(description="The archive's verifier key, `<name>+<key id>+<base64 key>`")
