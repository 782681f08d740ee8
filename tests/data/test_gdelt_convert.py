"""The GDELT sample converted to accord append requests: counts, examples, and a real store.

Data: The GDELT Project, https://www.gdeltproject.org/ (see tests/data/gdelt/README.md).
"""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from events.errors import InvalidEvent
from events.ndjson import plan_import, write_import
from events.prepare import prepare_request
from events.store import open_store
from tests.data.gdelt.convert import (
    GDELT_NAMESPACE,
    NO_TWO_PARTIES,
    NO_VISITOR,
    SAMPLE,
    Conversion,
    Rejected,
    convert,
    publisher_of,
    slugify,
    title_case,
    write_ndjson,
)

ENTITY_REFS = ("visitors", "host", "parties")


def read_rows(path: Path = SAMPLE) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return read_rows()


@pytest.fixture(scope="module")
def conversion() -> Conversion:
    return convert(SAMPLE)


def facts(conversion: Conversion) -> dict[str, tuple[str, dict[str, Any]]]:
    """Converted facts by GLOBALEVENTID: (stream, event)."""
    found = {}
    for request in conversion.requests:
        for event in request["events"]:
            if event["type"] != "EntityRegistered":
                gid = event["metadata"]["correlation_id"].removeprefix("gdelt:")
                assert gid not in found, f"GDELT event {gid} converted twice"
                found[gid] = (request["stream"], event)
    return found


def rejected(conversion: Conversion) -> dict[str, str]:
    return {r.global_event_id: r.reason for r in conversion.rejected}


def entity_events(conversion: Conversion) -> dict[str, dict[str, Any]]:
    return {
        r["stream"]: e for r in conversion.requests for e in r["events"] if e["type"] == "EntityRegistered"
    }


def referenced(event: dict[str, Any]) -> list[str]:
    """The entity streams a fact names."""
    data = event["data"]
    names = []
    for key in ENTITY_REFS:
        value = data.get(key)
        if isinstance(value, list):
            names.extend(value)
        elif value is not None:
            names.append(value)
    return names


# -- counts ----------------------------------------------------------------


def test_the_sample_has_the_rows_its_readme_counts(rows: list[dict[str, str]]) -> None:
    codes = Counter(row["EventCode"] for row in rows)
    assert len(rows) == 6090
    assert (codes["042"], codes["043"], codes["057"]) == (480, 430, 102)
    assert len({row["GLOBALEVENTID"] for row in rows}) == len(rows)


def test_every_visit_or_agreement_row_is_converted_or_rejected(
    conversion: Conversion, rows: list[dict[str, str]]
) -> None:
    in_scope = {row["GLOBALEVENTID"] for row in rows if row["EventCode"] in {"042", "043", "057"}}
    converted, refused = facts(conversion), rejected(conversion)
    assert len(refused) == len(conversion.rejected), "a row is rejected once"
    assert set(converted) | set(refused) == in_scope
    assert not set(converted) & set(refused)
    assert conversion.visits + conversion.agreements + len(conversion.rejected) == 480 + 430 + 102
    assert conversion.in_scope == 1012
    assert conversion.skipped_out_of_scope == 6090 - 1012
    assert conversion.rows == 6090


def test_the_counts_of_this_sample(conversion: Conversion) -> None:
    reasons = Counter(r.reason for r in conversion.rejected)
    assert (conversion.visits, conversion.agreements, conversion.entities) == (725, 67, 258)
    assert reasons[NO_VISITOR] == 95 + 90  # 042 without Actor1, 043 without Actor2
    assert reasons[NO_TWO_PARTIES] == 17 + 13  # 057 with an actor blank
    same_party = sum(n for reason, n in reasons.items() if reason.startswith(f"{NO_TWO_PARTIES}: both actors are"))
    assert same_party == 5
    assert len(conversion.rejected) == 185 + 30 + 5


# -- validity and order ----------------------------------------------------


def test_every_request_validates_with_exact_versions(conversion: Conversion) -> None:
    versions: dict[str, int] = {}
    for request in conversion.requests:
        stream, expected = request["stream"], request["expected_version"]
        assert set(request) == {"stream", "expected_version", "events"}
        assert expected == versions.get(stream, "no_stream")
        prepared = prepare_request(stream, expected, request["events"])
        versions[stream] = versions.get(stream, -1) + len(prepared.events)


def test_entities_are_registered_once_before_any_fact_names_them(conversion: Conversion) -> None:
    registered: dict[str, str] = {}  # stream -> occurred
    used: set[str] = set()
    for request in conversion.requests:
        for event in request["events"]:
            if event["type"] == "EntityRegistered":
                assert request["stream"] not in registered, f"{request['stream']} registered twice"
                assert request["expected_version"] == "no_stream"
                registered[request["stream"]] = event["occurred"]
                continue
            names = referenced(event)
            assert names
            for name in names:
                assert name in registered, f"{name} used before it is registered"
                # Registered with the date of its earliest fact: never after one.
                assert registered[name] <= event["occurred"]
            used.update(names)
    assert used == set(registered), "no entity is registered that no converted fact names"


def test_every_fact_has_one_real_source_and_its_gdelt_id(conversion: Conversion, rows: list[dict[str, str]]) -> None:
    by_id = {row["GLOBALEVENTID"]: row for row in rows}
    for gid, (_, event) in facts(conversion).items():
        row = by_id[gid]
        [source] = event["sources"]
        assert source["url"] == row["SOURCEURL"]
        assert source["publisher"] and not source["publisher"].startswith("www.")
        assert source["published"] == f"{row['DATEADDED'][:4]}-{row['DATEADDED'][4:6]}-{row['DATEADDED'][6:8]}"
        assert "title" not in source
        assert event["metadata"] == {"correlation_id": f"gdelt:{gid}"}
        assert event["id"] == str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt:{gid}"))


# -- examples --------------------------------------------------------------


def test_a_known_visit(conversion: Conversion) -> None:
    """661116566: 042, MAHMOUD ABBAS (PSEGOV) makes a visit to ISRAEL (ISRGOV), Jerusalem."""
    stream, event = facts(conversion)["661116566"]
    assert stream == "country-israel"  # the host's stream
    assert event["type"] == "VisitMade"
    assert event["occurred"] == "2017-06-01"
    assert event["data"] == {
        "visitors": ["person-mahmoud-abbas"],
        "host": "country-israel",
        "place": "Jerusalem, Israel (general), Israel",
        "purpose": "Make a visit",
    }
    assert event["sources"] == [
        {"publisher": "arabnews.com", "url": "http://www.arabnews.com/node/1108546/middle-east", "published": "2017-06-01"}
    ]
    entities = entity_events(conversion)
    abbas, israel = entities["person-mahmoud-abbas"], entities["country-israel"]
    assert abbas["data"]["kind"] == "person"
    assert abbas["data"]["name"] == "Mahmoud Abbas"
    assert abbas["data"]["aliases"] == ["MAHMOUD ABBAS", "PSEGOV"]
    assert israel["data"]["kind"] == "country"
    assert israel["data"]["name"] == "Israel"
    assert israel["data"]["aliases"][0] == "ISRAEL"
    assert israel["data"]["aliases"] == ["ISRAEL", "ISRGOV"]  # every ISRAEL in the facts kept is ISRGOV


def test_host_a_visit_turns_the_actors_round(conversion: Conversion) -> None:
    """043: Actor1 hosts Actor2. 661117170: OBAMA hosts NEW YORK (GDELT's mirror of 042 661117082)."""
    hosted = facts(conversion)["661117170"]
    made = facts(conversion)["661117082"]
    assert hosted[0] == made[0] == "person-obama"
    assert hosted[1]["data"]["visitors"] == made[1]["data"]["visitors"] == ["org-new-york"]
    assert hosted[1]["data"]["purpose"] == "Host a visit"
    assert made[1]["data"]["purpose"] == "Make a visit"


def test_a_known_agreement(conversion: Conversion) -> None:
    """651828062: 057, BELARUS and SUDAN sign a formal agreement (Xinhua)."""
    stream, event = facts(conversion)["651828062"]
    assert stream == "agreement-gdelt-651828062"
    assert event["type"] == "AgreementSigned"
    assert event["occurred"] == "2017-05-01"
    assert event["data"] == {
        "title": "Agreement between Belarus and Sudan (GDELT event 651828062)",
        "parties": ["country-belarus", "country-sudan"],
        "signed": "2017-05-01",
    }
    assert event["sources"][0]["publisher"] == "news.xinhuanet.com"


def test_the_event_date_and_the_ingestion_date_are_kept_apart(conversion: Conversion) -> None:
    """661114848: an article added 2017-06-01 about a visit GDELT dates 2007-06-04."""
    stream, event = facts(conversion)["661114848"]
    assert stream == "org-washington"
    assert event["occurred"] == "2007-06-04"
    assert event["sources"][0]["published"] == "2017-06-01"
    assert entity_events(conversion)["org-washington"]["occurred"] == "2007-06-04"


@pytest.mark.parametrize(
    "gid",
    [
        "661115668",  # Riyadh, Ar Riya?, Saudi Arabia: a lost character
        "651829163",  # Shayrat, ?ims, Syria
        "669666741",  # Helsinki, Eteläuomen Läi, Finland: non-ASCII, and damaged too
    ],
)
def test_a_damaged_place_name_survives_unchanged(conversion: Conversion, rows: list[dict[str, str]], gid: str) -> None:
    [row] = [row for row in rows if row["GLOBALEVENTID"] == gid]
    _, event = facts(conversion)[gid]
    assert event["data"]["place"] == row["ActionGeo_FullName"].strip()
    assert "?" in event["data"]["place"] or not event["data"]["place"].isascii()


def test_near_duplicates_stay_separate_facts(conversion: Conversion) -> None:
    """651829705 and 651829706: OBAMA visits MADRID, same day, same article."""
    first, second = facts(conversion)["651829705"][1], facts(conversion)["651829706"][1]
    assert first["id"] != second["id"]
    assert first["sources"][0]["url"] == second["sources"][0]["url"] == "https://wn.com/Let_Girls_Learn"
    assert first["data"]["visitors"] == second["data"]["visitors"] == ["person-obama"]


# -- blank and unusable actors ---------------------------------------------


def test_a_visit_without_a_visitor_is_rejected(conversion: Conversion) -> None:
    assert rejected(conversion)["669666354"] == NO_VISITOR  # 042, Actor1 (the visitor) blank, CUBA the host
    assert rejected(conversion)["669666358"] == NO_VISITOR  # 043, CUBA the host, Actor2 (the visitor) blank


def test_a_visit_without_a_host_is_kept_in_the_visitor_stream(conversion: Conversion) -> None:
    """669666443: 043 with Actor1, the host, blank; BENEDICT XVI is the visitor."""
    stream, event = facts(conversion)["669666443"]
    assert stream == "person-benedict-xvi"
    assert event["data"]["visitors"] == ["person-benedict-xvi"]
    assert "host" not in event["data"]
    assert entity_events(conversion)["person-benedict-xvi"]["data"]["name"] == "Benedict XVI"


def test_an_agreement_needs_two_distinct_named_parties(conversion: Conversion) -> None:
    refused = rejected(conversion)
    assert refused["669666472"] == NO_TWO_PARTIES  # Actor1 blank, UNITED KINGDOM
    assert refused["669666961"] == NO_TWO_PARTIES  # UNITED KINGDOM, Actor2 blank
    assert refused["661117179"] == f"{NO_TWO_PARTIES}: both actors are person-obama"


CONVERTED_ROW = "661116566"


def sample_with(tmp_path: Path, rows: list[dict[str, str]], changes: dict[str, dict[str, str]]) -> Path:
    """A CSV of the sample's header and the rows named in `changes`, each with its fields changed."""
    path = tmp_path / "sample.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            if row["GLOBALEVENTID"] in changes:
                writer.writerow({**row, **changes[row["GLOBALEVENTID"]]})
    return path


def test_a_fact_the_catalogue_refuses_is_rejected_and_registers_nothing(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    path = sample_with(tmp_path, rows, {CONVERTED_ROW: {"SOURCEURL": "arabnews.com/node/1108546"}})
    conversion = convert(path)
    assert conversion.requests == []
    [refusal] = conversion.rejected
    assert refusal.global_event_id == CONVERTED_ROW
    assert refusal.reason.startswith("invalid: ")
    assert "sources[0].url: must be an absolute http(s) URL" in refusal.reason
    assert "sources[0].publisher: must not be blank" in refusal.reason


def test_an_actor_name_without_a_slug_and_a_bad_date_are_rejected(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    path = sample_with(
        tmp_path,
        rows,
        {CONVERTED_ROW: {"Actor2Name": "إسرائيل", "Actor2CountryCode": ""}, "651828062": {"SQLDATE": "2017"}},
    )
    conversion = convert(path)
    assert conversion.requests == []
    refused = rejected(conversion)
    assert refused == {
        CONVERTED_ROW: "actor name 'إسرائيل' has no letter or digit to make a stream id from",
        "651828062": refused["651828062"],
    }
    assert refused["651828062"].startswith("invalid: events[0].occurred: '2017--' is not an EDTF date")
    assert conversion.rejected[0] == Rejected(CONVERTED_ROW, refused[CONVERTED_ROW])  # in file order


def test_a_rejected_fact_leaves_the_entities_other_facts_need(tmp_path: Path, rows: list[dict[str, str]]) -> None:
    """Two Obama visits to Madrid; one made invalid: both entities are still registered, once."""
    path = sample_with(tmp_path, rows, {"651829705": {"DATEADDED": "2017"}, "651829706": {}})
    conversion = convert(path)
    assert [r.global_event_id for r in conversion.rejected] == ["651829705"]
    assert [r["stream"] for r in conversion.requests] == ["person-obama", "org-madrid", "org-madrid"]
    assert [r["expected_version"] for r in conversion.requests] == ["no_stream", "no_stream", 0]


# -- determinism -----------------------------------------------------------


def test_converting_again_gives_the_same_output(conversion: Conversion, tmp_path: Path) -> None:
    again = convert(SAMPLE)
    assert again == conversion
    assert write_ndjson(conversion, tmp_path / "a.ndjson") == len(conversion.requests)
    write_ndjson(again, tmp_path / "b.ndjson")
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()


def test_ids_are_uuid5_of_fixed_names(conversion: Conversion) -> None:
    ids = [e["id"] for r in conversion.requests for e in r["events"]]
    assert len(set(ids)) == len(ids)
    for stream, event in entity_events(conversion).items():
        assert event["id"] == str(uuid.uuid5(GDELT_NAMESPACE, f"gdelt-entity:{stream}"))


# -- helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("UNITED STATES", "united-states"),
        ("GEORGE W. BUSH", "george-w-bush"),
        ("  Côte d'Ivoire ", "cote-d-ivoire"),
        ("Rabat-Saléemmour-ZaëMO", "rabat-saleemmour-zaemo"),
        ("東京", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_title_case() -> None:
    assert title_case("GEORGE W. BUSH") == "George W. Bush"
    assert title_case("BENEDICT XVI") == "Benedict XVI"
    assert title_case("HO CHI MINH CITY") == "Ho Chi Minh City"


def test_publisher_is_the_host_without_www() -> None:
    assert publisher_of("http://www.reuters.com/article/x") == "reuters.com"
    assert publisher_of("https://news.xinhuanet.com/english/x.htm") == "news.xinhuanet.com"
    assert publisher_of("not a url") == ""


# -- into a real log -------------------------------------------------------


def test_the_whole_conversion_loads_into_a_store(conversion: Conversion, tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/a.db")
    try:
        prepared = [prepare_request(r["stream"], r["expected_version"], r["events"]) for r in conversion.requests]
        store.append_batch(prepared, recorded_by="gdelt")
        events = sum(len(r["events"]) for r in conversion.requests)
        assert events == conversion.visits + conversion.agreements + conversion.entities
        report = store.verify()
        assert report.ok
        assert report.checked == events
        assert store.head().position == events
    finally:
        store.close()


def test_the_ndjson_imports_like_accord_import_and_again_as_a_no_op(conversion: Conversion, tmp_path: Path) -> None:
    path = tmp_path / "gdelt.ndjson"
    write_ndjson(conversion, path)
    store = open_store(f"sqlite:///{tmp_path}/b.db")
    try:
        with open(path, "rb") as source:
            plan = plan_import(source, store)
        assert plan.lines == len(conversion.requests)
        written = write_import(plan, store, recorded_by="gdelt")
        assert written == store.head().position == sum(len(r["events"]) for r in conversion.requests)
        with open(path, "rb") as source:
            again = plan_import(source, store)
        with again.spool:
            assert again.new_events == 0
        assert store.verify().ok
    finally:
        store.close()


def test_prepare_request_refuses_what_the_converter_rejects() -> None:
    """The converter's reasons for refusal agree with the catalogue: a visit needs a visitor."""
    event = {
        "type": "VisitMade",
        "occurred": "2017-06-01",
        "data": {"visitors": []},
        "sources": [{"publisher": "arabnews.com"}],
    }
    with pytest.raises(InvalidEvent) as caught:
        prepare_request("country-israel", "any", [event])
    assert [p.field for p in caught.value.problems] == ["events[0].data.visitors"]
