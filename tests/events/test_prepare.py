"""Validation and normalisation of append requests through `prepare_request`."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter

from events.catalogue import CATALOGUE
from events.errors import InvalidEvent
from events.prepare import PreparedRequest, prepare_request
from tests.builders import JINR_NEWS, entity, source, statement

KEK_AGREEMENT_NEWS = source(
    publisher=JINR_NEWS,
    title="JINR–KEK: new stage in strategic partnership with Japanese high energy physics centre",
    published="2026-02-16",
)
TIMES_ARTICLE = source(
    publisher="The Times",
    title="Nuclear research body is backdoor for Russian spies, says Ukraine",
    published="2024-06-05",
)
SOME_EVENT_ID = "3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e5f"


def refusal(stream: object, expected: object, events: object, **kwargs: Any) -> list[str]:
    """The fields `prepare_request` names when it refuses the request (fails if it accepts it)."""
    with pytest.raises(InvalidEvent) as caught:
        prepare_request(stream, expected, events, **kwargs)
    assert caught.value.problems, "a refusal names at least one problem"
    return [p.field for p in caught.value.problems]


def one(raw: dict[str, Any], stream: str = "org-jinr") -> PreparedRequest:
    return prepare_request(stream, "any", [raw])


# -- what is refused, and where ----------------------------------------------------


def test_an_unknown_type_is_refused_naming_its_field() -> None:
    assert refusal("org-jinr", "any", [statement(type="TreatyDenounced")]) == ["events[0].type"]


def test_a_missing_type_is_refused() -> None:
    raw = statement()
    del raw["type"]
    assert any(f.startswith("events[0]") for f in refusal("org-jinr", "any", [raw]))


def test_a_source_without_publisher_is_refused_naming_it() -> None:
    raw = statement(sources=[{"title": "A letter on the CERN mailing list"}])
    assert refusal("org-jinr", "any", [raw]) == ["events[0].sources[0].publisher"]


def test_a_blank_publisher_is_refused() -> None:
    assert refusal("org-jinr", "any", [statement(sources=[source(publisher="   ")])]) == ["events[0].sources[0].publisher"]


@pytest.mark.parametrize("sources", [[], None], ids=["empty", "null"])
def test_an_event_without_sources_is_refused(sources: Any) -> None:
    assert refusal("org-jinr", "any", [statement(sources=sources)]) == ["events[0].sources"]


def test_an_event_with_no_sources_field_is_refused() -> None:
    raw = statement()
    del raw["sources"]
    assert refusal("org-jinr", "any", [raw]) == ["events[0].sources"]


@pytest.mark.parametrize("occurred", ["June 20, 2024", "2024-13-45", "2023-02-29", "", "2004-06-~11"])
def test_a_bad_occurred_date_is_refused_naming_it(occurred: str) -> None:
    assert refusal("org-jinr", "any", [statement(occurred=occurred)]) == ["events[0].occurred"]


def test_a_bad_published_date_in_a_later_source_is_refused_naming_it() -> None:
    raw = statement(sources=[source(), source(publisher="TASS", published="yesterday")])
    assert refusal("org-jinr", "any", [raw]) == ["events[0].sources[1].published"]


def test_a_bad_date_in_the_payload_is_refused_naming_it() -> None:
    raw = {
        "type": "AgreementSigned", "occurred": "2026-02-09", "sources": [KEK_AGREEMENT_NEWS],
        "data": {"title": "Cooperation agreement", "parties": ["org-jinr", "org-kek"], "signed": "9 Feb 2026"},
    }
    assert refusal("agreement-jinr-kek", "any", [raw]) == ["events[0].data.signed"]


def test_a_relative_url_is_refused() -> None:
    assert refusal("org-jinr", "any", [statement(sources=[source(url="/news/jinr-kek")])]) == ["events[0].sources[0].url"]


def test_an_unknown_payload_field_is_refused_naming_it() -> None:
    assert refusal("org-jinr", "any", [statement(quoted="a typo")]) == ["events[0].data.quoted"]


def test_an_anonymous_statement_without_a_speaker_description_is_refused() -> None:
    fields = refusal("org-jinr", "any", [statement(speaker="anonymous")])
    assert len(fields) == 1 and fields[0].startswith("events[0].data")


def test_an_anonymous_statement_with_a_speaker_description_is_accepted() -> None:
    raw = statement(
        "Such checks of circuits and magnets in the accelerator are now carried out regularly.",
        speaker="anonymous",
        speaker_description="a physicist, one of the JINR employees",
    )
    assert one(raw).events[0].type == "StatementMade"


@pytest.mark.parametrize(
    "stream",
    ["Org-JINR", "org", "org_jinr", "org-jinr-", "-org-jinr", "1org-jinr", "org--jinr", "org-дубна", "", "org-" + "x" * 200,
     "org-jinr\n", 42, None],
)
def test_a_bad_stream_id_is_refused_naming_stream(stream: object) -> None:
    assert refusal(stream, "any", [statement()]) == ["stream"]


@pytest.mark.parametrize("stream", ["org-jinr", "agreement-cern-jinr", "person-boris-grinev", "vote2024-cern-council-06"])
def test_good_stream_ids_are_accepted(stream: str) -> None:
    assert prepare_request(stream, "any", [statement()]).stream == stream


@pytest.mark.parametrize("expected", [-1, "latest", "", True, False, 1.5, None, "0", [0], 2**31])
def test_a_bad_expected_version_is_refused_naming_it(expected: object) -> None:
    assert refusal("org-jinr", expected, [statement()]) == ["expected_version"]


@pytest.mark.parametrize("expected", ["any", "no_stream", 0, 7])
def test_good_expected_versions_are_kept(expected: object) -> None:
    assert prepare_request("org-jinr", expected, [statement()]).expected_version == expected


@pytest.mark.parametrize("events", [[], None, {"type": "StatementMade"}, "events"])
def test_events_must_be_a_non_empty_list(events: object) -> None:
    assert refusal("org-jinr", "any", events) == ["events"]


def test_every_problem_in_a_request_is_reported_at_once() -> None:
    bad_date = statement(occurred="summer 2024")
    bad_type = statement(type="Rumour")
    fields = refusal("org-jinr", "any", [statement(), bad_date, bad_type])
    assert fields == ["events[1].occurred", "events[2].type"]


def test_request_level_and_event_level_problems_are_reported_together() -> None:
    fields = refusal("Org JINR", "soon", [statement(sources=[]), statement(occurred="")])
    assert fields == ["stream", "expected_version", "events[0].sources", "events[1].occurred"]


def test_the_same_id_twice_in_one_request_is_refused_naming_the_second() -> None:
    fields = refusal("org-jinr", "any", [statement(id=SOME_EVENT_ID), statement("Other words.", id=SOME_EVENT_ID)])
    assert fields == ["events[1].id"]


def test_a_bad_event_id_is_refused() -> None:
    assert refusal("org-jinr", "any", [statement(id="not-a-uuid")]) == ["events[0].id"]


# -- ids ---------------------------------------------------------------------------------


def test_a_client_id_is_kept() -> None:
    assert one(statement(id=SOME_EVENT_ID)).events[0].id == SOME_EVENT_ID


def test_without_a_client_id_each_event_gets_a_fresh_uuid() -> None:
    first, second = (one(statement()).events[0].id for _ in range(2))
    assert first != second
    assert uuid.UUID(first).version == 4


def test_derived_ids_are_the_same_for_the_same_content() -> None:
    first = prepare_request("org-jinr", "any", [statement()], derive_ids=True).events[0].id
    again = prepare_request("org-jinr", "no_stream", [statement()], derive_ids=True).events[0].id
    assert first == again
    assert uuid.UUID(first).version == 5


@pytest.mark.parametrize(
    ("stream", "raw"),
    [
        ("org-jinr", statement("Other words.")),
        ("org-cern", statement()),
        ("org-jinr", statement(occurred="2024-06-14")),
        ("org-jinr", statement(sources=[TIMES_ARTICLE])),
        ("org-jinr", statement(metadata={"correlation_id": "import-1"})),
    ],
    ids=["data", "stream", "occurred", "sources", "metadata"],
)
def test_derived_ids_differ_for_other_content(stream: str, raw: dict[str, Any]) -> None:
    base = prepare_request("org-jinr", "any", [statement()], derive_ids=True).events[0].id
    assert prepare_request(stream, "any", [raw], derive_ids=True).events[0].id != base


def test_derived_ids_ignore_key_order_and_dropped_nulls() -> None:
    raw = statement()
    reordered = {k: raw[k] for k in reversed(list(raw))}
    reordered["data"] = {**{k: raw["data"][k] for k in reversed(list(raw["data"]))}, "original_text": None}
    first = prepare_request("org-jinr", "any", [raw], derive_ids=True).events[0].id
    assert prepare_request("org-jinr", "any", [reordered], derive_ids=True).events[0].id == first


def test_a_client_id_is_kept_in_lower_case() -> None:
    assert one(statement(id=SOME_EVENT_ID.upper())).events[0].id == SOME_EVENT_ID


def test_a_client_id_wins_over_a_derived_one() -> None:
    assert prepare_request("org-jinr", "any", [statement(id=SOME_EVENT_ID)], derive_ids=True).events[0].id == SOME_EVENT_ID


# -- canonical form ------------------------------------------------------------------------


def test_data_is_canonical_json_with_sorted_keys_and_no_nulls() -> None:
    raw = entity(aliases=["ОИЯИ", "JINR"], description=None)
    raw["data"] = dict(reversed(list(raw["data"].items())))
    event = one(raw).events[0]
    assert event.data == '{"aliases":["ОИЯИ","JINR"],"kind":"organization","name":"Joint Institute for Nuclear Research"}'


def test_sources_and_metadata_are_canonical_too() -> None:
    raw = statement(
        sources=[{"title": "Kremlin transcript", "url": None, "publisher": "TASS", "language": "ru"}],
        metadata={"correlation_id": "seed-2024", "causation_id": None},
    )
    event = one(raw).events[0]
    assert event.sources == '[{"language":"ru","publisher":"TASS","title":"Kremlin transcript"}]'
    assert event.metadata == '{"correlation_id":"seed-2024"}'


def test_a_correction_to_null_keeps_its_null_value() -> None:
    # Correcting a field to "not known" is a correction; dropping the null
    # would store a FactCorrected that corrects nothing.
    raw = {
        "type": "FactCorrected", "occurred": "2019", "sources": [source()],
        "data": {"target": SOME_EVENT_ID, "fields": {"expires": None}, "reason": "The source gives no end date."},
    }
    data = orjson.loads(one(raw, "agreement-cern-russia").events[0].data)
    assert data["fields"] == {"expires": None}


def test_missing_metadata_becomes_an_empty_object() -> None:
    assert one(statement()).events[0].metadata == "{}"


def test_canonical_text_is_what_orjson_writes_with_sorted_keys() -> None:
    event = one(statement("«учёные» 高エネルギー加速器研究機構 🔬⚛️")).events[0]
    for part in (event.data, event.sources, event.metadata):
        assert part == orjson.dumps(orjson.loads(part), option=orjson.OPT_SORT_KEYS).decode()
    assert "«учёные» 高エネルギー加速器研究機構 🔬⚛️" in event.data


def test_text_is_kept_exactly_as_given() -> None:
    quote = "  “We don’t close anything”  \u200f"
    assert orjson.loads(one(statement(quote)).events[0].data)["quote"] == quote


def test_occurred_is_kept_with_its_bounds() -> None:
    event = one(statement(occurred="2024-12~/2025-01")).events[0]
    assert (event.occurred, event.occurred_lower, event.occurred_upper) == ("2024-12~/2025-01", "2024-12-01", "2025-01-31")


def test_prepared_events_carry_no_recording_stamp() -> None:
    event = one(statement()).events[0]
    assert (event.recorded_at, event.recorded_by) == (None, None)


# -- one realistic example per catalogue type ------------------------------------------------

EXAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "EntityRegistered": ("org-kek", entity(
        "High Energy Accelerator Research Organization",
        aliases=["KEK", "高エネルギー加速器研究機構"],
        description="Japan's high energy physics centre; runs SuperKEKB and, with JAEA, J-PARC.",
        occurred="1997-04",
        sources=[KEK_AGREEMENT_NEWS],
    )),
    "AgreementSigned": ("agreement-jinr-kek", {
        "type": "AgreementSigned", "occurred": "2026-02-09", "sources": [KEK_AGREEMENT_NEWS],
        "data": {
            "title": "Cooperation agreement between JINR and KEK",
            "parties": ["org-jinr", "org-kek"],
            "signed": "2026-02-09",
            "summary": "Academic exchange, joint participation in new international projects and accelerator "
            "technologies; exclusively peaceful in nature.",
        },
    }),
    "AgreementRenewed": ("agreement-cern-russia", {
        "type": "AgreementRenewed", "occurred": "2019", "sources": [source()],
        "data": {"effective": "2019", "summary": "An updated agreement for a period of five years."},
    }),
    "AgreementAmended": ("agreement-cern-russia", {
        "type": "AgreementAmended", "occurred": "1993-10-30/2019", "sources": [source()],
        "data": {"summary": "Protocols to the bilateral agreement of 30 October 1993 set the terms of "
                 "Russian participation in the LHC."},
    }),
    "AgreementSuspended": ("agreement-cern-russia", {
        "type": "AgreementSuspended", "occurred": "2022-03~",
        "sources": [source(publisher="CERN", title="CERN Council statement", published="2022-03")],
        "data": {"effective": "2022-03~",
                 "reason": "No new collaborations with Russia and its institutions until further notice."},
    }),
    "AgreementTerminated": ("agreement-cern-belarus", {
        "type": "AgreementTerminated", "occurred": "2024-06-27", "sources": [source()],
        "data": {"effective": "2024-06-27", "reason": "Cooperation between CERN and Belarus ends from June 27, 2024."},
    }),
    "AgreementExpired": ("agreement-cern-russia", {
        "type": "AgreementExpired", "occurred": "2024-11-30", "sources": [source()],
        "data": {"renewal_refused": True, "note": "Passes issued to Russian scientists are valid until November 30, 2024."},
    }),
    "AgreementSuperseded": ("agreement-cern-ussr", {
        "type": "AgreementSuperseded", "occurred": "1993-10-30", "sources": [source()],
        "data": {"by": "agreement-cern-russia", "effective": "1993-10-30"},
    }),
    "DecisionTaken": ("agreement-cern-russia", {
        "type": "DecisionTaken", "occurred": "/2024-03", "sources": [source()],
        "data": {"by": "org-cern", "agreement": "agreement-cern-russia",
                 "decision": "To stop cooperation with hundreds of specialists working at universities and research institutes in Russia"},
    }),
    "VoteScheduled": ("vote-cern-council-2024-06", {
        "type": "VoteScheduled", "occurred": "2024-03/2024-06", "sources": [source()],
        "data": {
            "body": "org-cern-council", "motion": "Extension of the cooperation agreement with JINR",
            "scheduled": "2024-06-20", "agreement": "agreement-cern-jinr", "effect": "renew",
        },
    }),
    "VoteHeld": ("vote-cern-council-2024-03", {
        "type": "VoteHeld", "occurred": "2024-03-XX", "sources": [source()],
        "data": {
            "body": "org-cern-council", "motion": "Non-renewal of the cooperation agreement with JINR",
            "outcome": "no decision", "threshold": "two-thirds",
            "notes": "Germany abstained, and this played a decisive role on that day.",
            "agreement": "agreement-cern-jinr", "effect": "not_renew", "tally": {"abstain": 1},
        },
    }),
    "VisitMade": ("org-jinr", {
        "type": "VisitMade", "occurred": "2024-06-13", "sources": [source(), source(publisher="TASS", language="ru")],
        "data": {
            "visitors": ["person-vladimir-putin", "Deputy Prime Minister Chernyshenko"], "host": "org-jinr", "place": "Dubna",
            "purpose": "Technological launch of the NICA collider and a meeting with mega-grant scientists.",
        },
    }),
    "StatementMade": ("person-boris-grinev", statement(
        "feeds the Russian war machine",
        speaker="person-boris-grinev",
        context="Calling on physicists to vote against extending the agreement with Dubna",
        medium="interview",
        occurred="2024-06-05",
        sources=[TIMES_ARTICLE],
    )),
    "StatusChanged": ("country-russia", {
        "type": "StatusChanged", "occurred": "2012", "sources": [source()],
        "data": {
            "party": "country-russia", "organization": "org-cern", "status": "associate member", "change": "applied",
            "note": "Fees of about ten million euros per year; the application was withdrawn in March 2018.",
        },
    }),
    "FactCorrected": ("org-jinr", {
        "type": "FactCorrected", "occurred": "2024-06-13", "sources": [source()],
        "data": {"target": SOME_EVENT_ID, "fields": {"place": "Dubna", "visitors": ["person-vladimir-putin"]},
                 "reason": "The visit took place in Dubna, not Moscow."},
    }),
    "FactRetracted": ("org-jinr", {
        "type": "FactRetracted", "occurred": "2024-06-13", "sources": [source()],
        "data": {"target": SOME_EVENT_ID, "reason": "Entered twice from the same article."},
    }),
}


def test_there_is_an_example_for_every_catalogue_type() -> None:
    assert sorted(EXAMPLES) == sorted(CATALOGUE)


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_a_realistic_example_of_each_type_is_accepted(event_type: str) -> None:
    stream, raw = EXAMPLES[event_type]
    prepared = prepare_request(stream, "any", [raw])
    event = prepared.events[0]
    assert (prepared.stream, event.type, event.occurred) == (stream, event_type, raw["occurred"])
    for name, value in raw["data"].items():
        assert orjson.loads(event.data)[name] == value


@pytest.mark.parametrize("event_type", sorted(CATALOGUE))
def test_stored_data_of_each_example_is_valid_for_its_type(event_type: str) -> None:
    stream, raw = EXAMPLES[event_type]
    event = prepare_request(stream, "any", [raw]).events[0]
    TypeAdapter(CATALOGUE[event_type]).validate_python(orjson.loads(event.data))


def test_all_examples_fit_in_one_request_per_stream() -> None:
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for stream, raw in EXAMPLES.values():
        by_stream.setdefault(stream, []).append(raw)
    for stream, raws in by_stream.items():
        assert len(prepare_request(stream, "no_stream", raws).events) == len(raws)
