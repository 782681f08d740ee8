"""The HTTP API against the app itself (FastAPI's TestClient, lifespan and background catch-up running), on both backends."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime
from typing import Any

import feedparser
import orjson
import pytest
from cloudevents.core.formats.json import JSONFormat
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from events.catalogue import CATALOGUE
from events.prepare import MISSING_VERSION
from projections.times import MOMENT_PATTERN
from service.api import create_app
from service.api.formats import TEXT
from tests.builders import entity, fact, statement
from tests.http.conftest import SEED_RECORDED_AT, Server, make_tokens

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert body["request_id"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


def eventually(check: Any, seconds: float) -> Any:
    """Poll `check` until it returns something truthy, for at most `seconds`; return it and the time it took."""
    started = time.monotonic()
    while True:
        found = check()
        elapsed = time.monotonic() - started
        if found or elapsed > seconds:
            return found, elapsed
        time.sleep(0.02)


# -- appending -----------------------------------------------------------------


def test_append_returns_201_with_where_the_events_landed_and_records_the_token_name(server: Server) -> None:
    given = str(uuid.uuid4())
    response = server.append("org-jinr", entity(id=given), expected="no_stream")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body == {"stream": "org-jinr", "first_version": 0, "last_version": 0, "positions": [1], "ids": [given]}
    two = server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), statement(), expected="no_stream", role="admin")
    assert two.status_code == 201
    assert two.json()["positions"] == [2, 3] and two.json()["last_version"] == 1
    stored = server.client.get(f"/events/{given}").json()
    assert stored["recorded_by"] == "archivist-alice"
    assert server.client.get("/events/" + two.json()["ids"][1]).json()["recorded_by"] == "admin-alice"


def test_recorded_by_cannot_come_from_the_body(server: Server) -> None:
    response = server.append("org-jinr", {**entity(), "recorded_by": "someone-else"})
    body = assert_problem(response, 422)
    assert any(e["field"].startswith("events[0]") and "recorded_by" in e["field"] for e in body["errors"]), body
    assert server.client.get("/events").json()["events"] == []


def test_a_retried_batch_gets_200_and_the_original_result(server: Server) -> None:
    events = [entity(id=str(uuid.uuid4()))]
    first = server.append("org-jinr", *events, expected="no_stream")
    again = server.append("org-jinr", *events, expected="no_stream")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert server.client.get("/events").json()["next_after"] == 1


def test_a_version_conflict_is_409_naming_the_actual_version(server: Server) -> None:
    server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), statement(), expected="no_stream")
    response = server.append("person-vladimir-putin", statement("Another statement"), expected=0)
    body = assert_problem(response, 409)
    assert body["actual_version"] == 1
    assert "version 1" in body["detail"]
    assert_problem(server.append("person-vladimir-putin", statement("x y"), expected="no_stream"), 409)


def test_an_id_reused_with_other_content_is_409(server: Server) -> None:
    given = str(uuid.uuid4())
    server.append("org-jinr", entity(id=given))
    body = assert_problem(server.append("org-jinr", entity("Other name", id=given)), 409)
    assert "other content" in body["detail"]


def test_invalid_events_are_422_naming_each_field_and_why(server: Server) -> None:
    bad = statement(occurred="yesterday", sources=[{"title": "no publisher"}])
    body = assert_problem(server.append("person-vladimir-putin", bad, entity(kind="planet")), 422)
    fields = {e["field"]: e["reason"] for e in body["errors"]}
    assert "not an EDTF date" in fields["events[0].occurred"]
    assert fields["events[0].sources[0].publisher"] == "Field required"
    assert "events[1].data.kind" in fields
    assert server.client.get("/events").json()["events"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        (b'{"expected_version": "sometime", "events": []}', "expected_version"),
        (b'{"stream": "org-cern", "events": []}', "stream"),
    ],
)
def test_a_body_that_is_not_an_append_request_is_422(server: Server, body: bytes, field: str) -> None:
    response = server.client.post("/streams/org-jinr/events", content=body, headers={**server.auth(), "content-type": "application/json"})
    problem = assert_problem(response, 422)
    assert field in {e["field"] for e in problem["errors"]}


def test_a_bad_stream_name_in_the_path_is_422(server: Server) -> None:
    problem = assert_problem(server.append("Not_A_Stream", entity()), 422)
    assert problem["errors"][0]["field"] == "path.stream"


def test_appends_need_an_archivist_or_admin_token(server: Server) -> None:
    url = "/streams/org-jinr/events"
    body = {"expected_version": "any", "events": [entity()]}
    none = assert_problem(server.client.post(url, json=body), 401)
    assert none["detail"]
    assert server.client.post(url, json=body).headers["www-authenticate"].startswith("Bearer")
    assert_problem(server.client.post(url, json=body, headers={"Authorization": "Bearer accord_not-a-token"}), 401)
    assert_problem(server.client.post(url, json=body, headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"}), 401)
    assert_problem(server.append("org-jinr", entity(), role="reader"), 403)
    assert server.client.get("/events").json()["events"] == []


def test_a_body_over_the_limit_is_413(settings_for: Any) -> None:
    settings = settings_for(max_body_bytes=2000)
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {tokens['archivist']}"}
        big = {"expected_version": "any", "events": [statement(f"Statement {i}: " + "words " * 20) for i in range(20)]}
        assert_problem(client.post("/streams/person-vladimir-putin/events", json=big, headers=auth), 413)

        def chunks() -> Any:  # no Content-Length: the limit is counted as the body arrives
            yield orjson.dumps(big)

        assert_problem(client.post("/streams/person-vladimir-putin/events", content=chunks(), headers=auth), 413)
        small = client.post("/streams/org-jinr/events", json={"expected_version": "any", "events": [entity()]}, headers=auth)
        assert small.status_code == 201, small.text


def test_no_endpoint_updates_or_deletes_events(server: Server) -> None:
    ids = server.append("org-jinr", entity()).json()["ids"]
    for method in ("PUT", "PATCH", "DELETE"):
        for path in (f"/events/{ids[0]}", "/streams/org-jinr", "/streams/org-jinr/events", "/events"):
            response = server.client.request(method, path, headers=server.auth("admin"))
            assert_problem(response, 405)
            assert "GET" in response.headers["allow"] or "POST" in response.headers["allow"]


# -- reading the log -----------------------------------------------------------


def test_read_a_stream_in_version_order_and_404_for_an_unknown_one(server: Server) -> None:
    server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), *[statement(f"Words {i}") for i in range(4)])
    page = server.client.get("/streams/person-vladimir-putin", params={"from_version": 1, "limit": 2}).json()
    assert page["version"] == 4 and page["stream"] == "person-vladimir-putin"
    assert [e["version"] for e in page["events"]] == [1, 2] and page["next_from_version"] == 3
    assert page["events"][0]["data"]["quote"] == "Words 0"
    assert set(page["events"][0]) == {
        "id", "position", "stream", "version", "type", "occurred", "recorded_at", "recorded_by", "data", "sources",
        "metadata", "prev_hash", "hash",
    }
    assert_problem(server.client.get("/streams/org-nowhere"), 404)


def test_the_log_pages_with_next_after_and_caps_limit(server: Server) -> None:
    server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), *[statement(f"Words {i}") for i in range(6)])
    first = server.client.get("/events", params={"limit": 3}).json()
    assert [e["position"] for e in first["events"]] == [1, 2, 3] and first["next_after"] == 3
    second = server.client.get("/events", params={"after": 3, "limit": 3}).json()
    assert [e["position"] for e in second["events"]] == [4, 5, 6]
    end = server.client.get("/events", params={"after": 7}).json()
    assert end == {"events": [], "next_after": 7}
    assert_problem(server.client.get("/events", params={"limit": 1001}), 422)
    problem = assert_problem(server.client.get("/events", params={"after": -1}), 422)
    assert problem["errors"][0]["field"] == "query.after"


def test_ndjson_streams_the_whole_log_in_order(server: Server) -> None:
    server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), *[statement(f"Words {i}") for i in range(150)])
    with server.client.stream("GET", "/events", headers={"Accept": "application/x-ndjson"}) as response:
        assert response.headers["content-type"] == "application/x-ndjson"
        lines = [orjson.loads(line) for line in response.iter_lines() if line]
    assert [e["position"] for e in lines] == list(range(1, 152))
    json_page = server.client.get("/events", params={"limit": 1000}).json()["events"]
    assert lines == json_page
    after = server.client.get("/events", params={"after": 149}, headers={"Accept": "application/x-ndjson"})
    assert [orjson.loads(line)["position"] for line in after.text.splitlines()] == [150, 151]


def test_cloudevents_batch_parses_with_the_official_sdk(server: Server) -> None:
    ids = server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), statement()).json()["ids"]
    response = server.client.get("/events", headers={"Accept": "application/cloudevents-batch+json"})
    assert response.headers["content-type"] == "application/cloudevents-batch+json"
    envelopes = server.client.get("/events").json()["events"]
    batch = response.json()
    assert len(batch) == 2
    for raw, envelope in zip(batch, envelopes, strict=True):
        event = JSONFormat().read(None, orjson.dumps(raw))  # the SDK checks the required attributes and their types
        assert event.get_specversion() == "1.0"
        assert event.get_id() == envelope["id"] and event.get_id() in ids
        assert event.get_source() == "/streams/person-vladimir-putin"
        assert event.get_type() == envelope["type"]
        assert event.get_time() == datetime.fromisoformat(envelope["recorded_at"])
        assert event.get_extension("position") == envelope["position"]
        assert event.get_extension("stream") == "person-vladimir-putin"
        assert event.get_extension("streamversion") == envelope["version"]
        assert event.get_extension("occurred") == envelope["occurred"]
        assert event.get_datacontenttype() == "application/json"
        assert event.get_data() == envelope


def test_one_event_with_its_corrections_and_retraction(server: Server) -> None:
    first, second = server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), statement()).json()["ids"]
    correction = fact("FactCorrected", "2026-11-23", target=second, fields={"medium": "interview"}, reason="it was an interview")
    corrected = server.append("person-vladimir-putin", correction).json()["ids"][0]
    retraction = server.append("person-vladimir-putin", fact("FactRetracted", "2026-11-23", target=second, reason="misattributed"))
    body = server.client.get(f"/events/{second}").json()
    assert body["id"] == second and body["data"]["quote"].startswith("We don’t close anything")
    assert [c["id"] for c in body["corrections"]] == [corrected]
    assert body["retraction"]["id"] == retraction.json()["ids"][0]
    untouched = server.client.get(f"/events/{first.upper()}").json()
    assert untouched["corrections"] == [] and untouched["retraction"] is None
    assert_problem(server.client.get(f"/events/{uuid.uuid4()}"), 404)
    assert_problem(server.client.get("/events/not-an-id"), 404)


# -- read models ---------------------------------------------------------------


def test_agreements_and_one_agreement_in_both_times(seeded: Server) -> None:
    listed = seeded.client.get("/agreements").json()
    states = {a["id"]: a["status"] for a in listed["agreements"]}
    assert states["agreement-cern-jinr"] == "expired" and states["agreement-jinr-kek"] == "in_force"
    assert listed["total"] == len(states) == 5
    in_june = seeded.client.get("/agreements/agreement-cern-jinr", params={"valid_at": "2024-06-01"}).json()
    assert in_june["status"] == "in_force" and "org-jinr" in in_june["parties"]
    assert in_june["history"] and all(h["event_id"] and h["sources"] and h["status_after"] for h in in_june["history"])
    assert in_june["as_of"] == {"valid_at": "2024-06-01", "known_at": None}
    in_force = seeded.client.get("/agreements", params={"status": "in_force"}).json()
    assert {a["id"] for a in in_force["agreements"]} == {k for k, v in states.items() if v == "in_force"}
    before_recording = seeded.client.get("/agreements", params={"known_at": "2026-01-04"}).json()
    assert before_recording["total"] == 0
    assert_problem(seeded.client.get("/agreements/agreement-nowhere"), 404)
    assert_problem(seeded.client.get("/agreements", params={"status": "asleep"}), 422)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"valid_at": "someday"}, "valid_at"), ({"known_at": "2026-13-45T00:00:00Z"}, "known_at"), ({"from": "June"}, "from"), ({"to": "x"}, "to")],
)
def test_a_time_that_cannot_be_read_is_422_naming_the_parameter(seeded: Server, params: dict[str, str], parameter: str) -> None:
    as_of = ("/timeline", "/agreements", "/agreements/agreement-cern-jinr", "/entities", "/entities/org-jinr")
    for path in ("/timeline", "/search") if parameter in ("from", "to") else as_of:  # /search too: a 422, as everywhere
        problem = assert_problem(seeded.client.get(path, params=params), 422)
        assert problem["errors"][0]["field"] == f"query.{parameter}"


def test_timeline_filters_by_entity_type_and_dates(seeded: Server) -> None:
    everything = seeded.client.get("/timeline", params={"limit": 1000}).json()
    assert everything["total"] == len(everything["facts"]) > 10
    keys = [(f["occurred"], f["position"]) for f in everything["facts"]]
    assert all(f["event_id"] and f["sources"] for f in everything["facts"])
    jinr = seeded.client.get("/timeline", params={"entity": "agreement-cern-jinr"}).json()
    assert jinr["facts"] and all(f["stream"] == "agreement-cern-jinr" or "agreement-cern-jinr" in orjson.dumps(f["data"]).decode() for f in jinr["facts"])
    votes = seeded.client.get("/timeline", params=[("type", "VoteHeld"), ("type", "VoteScheduled")]).json()
    assert votes["facts"] and {f["type"] for f in votes["facts"]} <= {"VoteHeld", "VoteScheduled"}
    in_2024 = seeded.client.get("/timeline", params={"from": "2024", "to": "2024"}).json()
    assert in_2024["facts"] and all("2024" in f["occurred"] for f in in_2024["facts"])
    assert len(keys) == len(set(keys))
    assert_problem(seeded.client.get("/timeline", params={"type": "Gossip"}), 422)
    assert_problem(seeded.client.get("/timeline", params={"limit": 5000}), 422)


def test_entities_and_one_entity(seeded: Server) -> None:
    people = seeded.client.get("/entities", params={"kind": "person", "limit": 3}).json()
    assert people["total"] > 3 and len(people["entities"]) == 3
    assert all(e["kind"] == "person" for e in people["entities"])
    jinr = seeded.client.get("/entities/org-jinr").json()
    assert jinr["id"] == "org-jinr" and "ОИЯИ" in jinr["aliases"] and jinr["sources"]
    assert seeded.client.get("/entities/org-jinr", params={"known_at": "2026-01-04"}).status_code == 404
    assert_problem(seeded.client.get("/entities/org-nowhere"), 404)


def test_an_appended_fact_shows_in_agreements_and_timeline_within_a_second(seeded: Server) -> None:
    vote = fact(
        "VoteHeld", "2026-11-20", body="body-cern-council", motion="Renew the cooperation agreement with JINR",
        outcome="passed", effect="renew", agreement="agreement-cern-jinr",
    )
    renewal = fact("AgreementRenewed", "2026-11-21", effective="2026-11-21", expires="2031-11-30")
    response = seeded.append("agreement-cern-jinr", vote, renewal)
    assert response.status_code == 201, response.text
    event_id = response.json()["ids"][0]

    def in_timeline() -> bool:
        facts = seeded.client.get("/timeline", params={"entity": "agreement-cern-jinr", "limit": 1000}).json()["facts"]
        return any(f["event_id"] == event_id for f in facts)

    shown, seconds = eventually(in_timeline, 1.0)
    assert shown, f"not in the timeline after {seconds:.2f} s"
    state, seconds = eventually(lambda: seeded.client.get("/agreements/agreement-cern-jinr").json()["status"] == "in_force", 1.0)
    assert state, f"agreement not renewed after {seconds:.2f} s"
    listed = seeded.client.get("/agreements").json()["agreements"]
    assert next(a for a in listed if a["id"] == "agreement-cern-jinr")["last_vote"]["event_id"] == event_id


def test_known_at_before_a_correction_shows_the_fact_as_it_was(seeded: Server) -> None:
    signed = seeded.client.get("/timeline", params={"entity": "agreement-cern-jinr", "type": "AgreementSigned"}).json()["facts"][0]
    before = seeded.client.get("/agreements/agreement-cern-jinr", params={"valid_at": "2025-02-01"}).json()
    assert before["status"] == "expired"
    correction = fact("FactCorrected", "2026-11-23", target=signed["event_id"], fields={"expires": "2030"}, reason="test")
    assert seeded.append("agreement-cern-jinr", correction).status_code == 201
    seeded.settled()
    now = seeded.client.get("/agreements/agreement-cern-jinr", params={"valid_at": "2025-02-01"}).json()
    assert now["status"] == "in_force" and now["expires"] == "2030"
    then = seeded.client.get(
        "/agreements/agreement-cern-jinr", params={"valid_at": "2025-02-01", "known_at": "2026-01-05T09:00:00Z"}
    ).json()
    assert then["status"] == "expired" and then["as_of"]["known_at"] == "2026-01-05T09:00:00.000000Z"
    assert SEED_RECORDED_AT < then["as_of"]["known_at"]


# -- integrity, feed, health, metrics --------------------------------------------


def test_verify_is_ok_then_names_an_edited_row(server: Server, store_url: str) -> None:
    server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), statement(), statement("hide and seek"))
    body = server.client.get("/verify").json()
    assert body["ok"] is True and body["checked"] == 3 and len(body["head"]) == 64
    engine = create_engine(store_url)
    with engine.begin() as connection:  # someone with database access drops the triggers and edits a quote
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_immutable ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_update"))
        connection.execute(text("UPDATE events SET data = replace(data, 'hide', 'HIDE') WHERE position = 3"))
    engine.dispose()
    broken = server.client.get("/verify").json()
    assert broken["ok"] is False and broken["first_bad"] == 3 and broken["checked"] == 2 and broken["reason"]


def test_the_atom_feed_lists_the_newest_facts_first(server: Server) -> None:
    ids = server.append("person-vladimir-putin", entity("Vladimir Putin", kind="person"), *[statement(f"Words {i}") for i in range(5)]).json()["ids"]
    response = server.client.get("/feed.atom", params={"limit": 3})
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.id for e in feed.entries] == [f"urn:uuid:{i}" for i in reversed(ids[-3:])]
    assert "Words 4" in feed.entries[0].summary and "T-invariant" in feed.entries[0].summary
    assert feed.entries[0].link.endswith(f"/events/{ids[-1]}")
    empty_server_feed = feedparser.parse(server.client.get("/feed.atom", params={"limit": 500}).content)
    assert len(empty_server_feed.entries) == 6
    assert_problem(server.client.get("/feed.atom", params={"limit": 0}), 422)


def test_health_names_the_head_and_each_projection_lag(server: Server) -> None:
    server.append("org-jinr", entity())
    server.settled()
    body = server.client.get("/health").json()
    assert body["status"] == "ok" and body["database"] is True and body["index"] is True
    assert body["head"]["position"] == 1 and len(body["head"]["hash"]) == 64
    assert body["projections"] == [{"name": "facts", "position": 1, "lag": 0}, {"name": "search", "position": 1, "lag": 0}]


def _metrics(server: Server) -> dict[str, Any]:
    response = server.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.text)}


def test_metrics_count_requests_latencies_appends_and_lag(server: Server) -> None:
    server.append("org-jinr", entity())
    server.append("org-jinr", entity(), role="reader")
    server.client.get("/events")
    server.settled()
    families = _metrics(server)
    requests = {(s.labels["method"], s.labels["route"], s.labels["status"]): s.value for s in families["accord_http_requests"].samples if s.name.endswith("_total")}
    assert requests[("POST", "/streams/{stream}/events", "201")] == 1
    assert requests[("POST", "/streams/{stream}/events", "403")] == 1
    assert requests[("GET", "/events", "200")] == 1
    counts = [s for s in families["accord_http_request_duration_seconds"].samples if s.name.endswith("_count") and s.labels["route"] == "/events"]
    assert counts[0].value == 1
    appended = next(s for s in families["accord_events_appended"].samples if s.name.endswith("_total"))
    assert appended.value == 1
    lag = families["accord_projection_lag_events"].samples
    assert [(s.labels["projection"], s.value) for s in lag] == [("facts", 0.0), ("search", 0.0)]
    assert families["accord_log_head_position"].samples[0].value == 1
    assert families["accord_database_up"].samples[0].value == 1


# -- errors, security, the contract ----------------------------------------------


def test_unknown_paths_are_404_problems(server: Server) -> None:
    problem = assert_problem(server.client.get("/no/such/thing"), 404)
    assert problem["instance"] == "/no/such/thing"


def test_an_unexpected_error_is_a_500_problem_without_a_trace_and_logged_with_the_request_id(
    settings_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings_for())

    @app.get("/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    with TestClient(app) as client, caplog.at_level(logging.ERROR, logger="accord.http"):
        response = client.get("/boom", headers={"X-Request-ID": "req-42"})
    problem = assert_problem(response, 500)
    assert problem["request_id"] == "req-42"
    assert "hunter2" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text
    logged = [r for r in caplog.records if "req-42" in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_private_reads_need_a_token_of_any_role(settings_for: Any) -> None:
    settings = settings_for(public_read=False)
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        for path in ("/events", "/agreements", "/timeline", "/entities", "/verify", "/feed.atom", "/streams/org-jinr"):
            assert_problem(client.get(path), 401)
            assert_problem(client.get(path, headers={"Authorization": "Bearer accord_nope"}), 401)
        reader = {"Authorization": f"Bearer {tokens['reader']}"}
        assert client.get("/events", headers=reader).status_code == 200
        assert client.get("/agreements", headers=reader).status_code == 200
        assert client.get("/health").status_code == 200  # operations stay open to the load balancer
        assert_problem(client.post("/streams/org-jinr/events", json={"expected_version": "any", "events": [entity()]}, headers=reader), 403)


def test_an_append_must_say_which_version_it_expects(server: Server) -> None:
    response = server.client.post("/streams/org-jinr/events", json={"events": [entity()]}, headers=server.auth())
    problem = assert_problem(response, 422)
    assert problem["errors"] == [{"field": "expected_version", "reason": MISSING_VERSION}]


def test_the_openapi_document_states_the_formats_the_server_checks(server: Server) -> None:
    document = server.client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    parameters = {
        (path, p["name"]): p["schema"] for path, item in document["paths"].items() for p in item.get("get", {}).get("parameters", [])
    }
    for path in ("/timeline", "/agreements", "/agreements/{agreement_id}", "/entities", "/entities/{entity_id}"):
        assert parameters[(path, "known_at")]["pattern"] == MOMENT_PATTERN
        assert parameters[(path, "valid_at")]["format"] == "edtf"
    for path in ("/timeline", "/search"):
        assert {parameters[(path, end)]["format"] for end in ("from", "to")} == {"edtf"}
    body = document["paths"]["/streams/{stream}/events"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"expected_version", "events"}
    statement = components["AppendNewStatementMade"]["properties"]
    assert statement["occurred"]["format"] == "edtf" and statement["occurred"]["maxLength"] == 64
    assert statement["id"]["anyOf"][0]["pattern"].startswith("^[0-9a-fA-F]{8}-")
    assert components["AppendStatementMade"]["if"] == {"properties": {"speaker": {"const": "anonymous"}}, "required": ["speaker"]}
    assert components["AppendMetadata"]["propertyNames"] == {"pattern": TEXT}

    def strings(schema: Any) -> Any:  # every string schema of the document, wherever it stands
        if isinstance(schema, dict):
            if schema.get("type") == "string":
                yield schema
            for value in schema.values():
                yield from strings(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from strings(value)

    requests = [operation.get("parameters", []) + [operation.get("requestBody", {})]
                for item in document["paths"].values() for operation in item.values()]
    for schema in strings([components, requests]):  # every string a request or a JSON answer holds
        admitted = [schema.get("pattern"), *(s.get("pattern") for s in schema.get("allOf", []))]
        assert TEXT in admitted or "enum" in schema or "const" in schema or schema["pattern"].endswith("$"), schema


def test_openapi_lists_every_path_of_the_contract(server: Server) -> None:
    schema = server.client.get("/openapi.json").json()
    assert set(schema["paths"]) >= {
        "/streams/{stream}/events", "/streams/{stream}", "/events", "/events/live", "/events/{event_id}", "/agreements",
        "/agreements/{agreement_id}", "/timeline", "/entities", "/entities/{entity_id}", "/verify", "/feed.atom", "/health",
        "/metrics", "/search",
    }
    post = schema["paths"]["/streams/{stream}/events"]["post"]
    assert {"200", "201", "401", "403", "409", "413", "422"} <= set(post["responses"])
    assert post["responses"]["409"]["content"] == {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert {f"AppendNew{name}" for name in CATALOGUE} <= set(schema["components"]["schemas"])  # each type's own shape
    assert server.client.get("/docs").status_code == 200


@pytest.mark.postgres
def test_health_is_503_and_metrics_say_so_when_the_database_fails(postgres_schema_url: str, tmp_path: Any) -> None:
    from service.settings import Settings

    settings = Settings(data_dir=tmp_path / "data", database_url=postgres_schema_url, poll_seconds=0.2)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").json()["status"] in ("ok", "catching_up")
        schema = postgres_schema_url.rsplit("search_path%3D", 1)[-1].rsplit("search_path=", 1)[-1]
        engine = create_engine(postgres_schema_url)
        with engine.begin() as connection:  # the log's tables vanish under the running server
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
        response = client.get("/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded" and body["database"] is False and body["error"]
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
        assert families["accord_database_up"].samples[0].value == 0
