"""GET /search over HTTP: hits with provenance, facets, highlights, suggestions, filters, errors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import statement
from tests.http.conftest import Server
from tests.http.test_api import PROBLEM, eventually


def test_a_phrase_finds_the_statement_with_its_provenance_and_facets(seeded: Server) -> None:
    response = seeded.client.get("/search", params={"q": '"feeds the Russian war machine"'})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) >= {"total", "hits", "facets", "suggestion"}
    assert set(body["facets"]) == {"speaker", "publisher", "year", "type", "kind"}
    hit = body["hits"][0]
    assert set(hit) >= {"event_id", "position", "stream", "type", "speaker", "occurred", "quote", "highlight", "sources", "score"}
    assert (hit["speaker"], hit["stream"], hit["quote"]) == ("Boris Grinev", "person-boris-grinev", "feeds the Russian war machine")
    assert '<mark class="match term0">feeds</mark>' in hit["highlight"]
    event = seeded.client.get(f"/events/{hit['event_id']}").json()
    assert (event["position"], event["data"]["quote"], event["sources"]) == (hit["position"], hit["quote"], hit["sources"])


def test_an_entity_named_in_any_script_heads_the_results_and_every_hit_says_where_it_matched(seeded: Server) -> None:
    jinr = seeded.client.get("/search", params={"q": "ОИЯИ", "per_page": 100}).json()
    latin = seeded.client.get("/search", params={"q": "JINR", "per_page": 100}).json()
    assert jinr["entities"][0] == latin["entities"][0]
    assert jinr["entities"][0]["id"] == "org-jinr" and "ОИЯИ" in jinr["entities"][0]["aliases"]
    assert {h["event_id"] for h in jinr["hits"]} == {h["event_id"] for h in latin["hits"]} and jinr["total"] == latin["total"]
    assert all(hit["matched_in"] and hit["quote_kind"] in ("direct", "reported", None) for hit in jinr["hits"])
    window = seeded.client.get("/search", params={"q": '"window to the West"', "per_page": 100}).json()
    titles = [hit for hit in window["hits"] if hit["matched_in"] == ["source_title"]]
    assert titles and all('<mark class="match term0">Window</mark>' in hit["highlight"] for hit in titles)
    quotes = seeded.client.get("/search", params={"q": '"window to the West"', "quotes_only": "true"}).json()
    assert 0 < quotes["total"] < window["total"] and not any(hit["matched_in"] == ["source_title"] for hit in quotes["hits"])


def test_direct_quotes_and_reported_speech_apart(seeded: Server) -> None:
    direct = seeded.client.get("/search", params={"q": "JINR", "kind": "direct"}).json()
    assert direct["total"] > 0 and {hit["quote_kind"] for hit in direct["hits"]} == {"direct"}
    assert {f["value"] for f in direct["facets"]["kind"]} == {"direct"}
    assert seeded.client.get("/search", params={"q": "JINR", "kind": "hearsay"}).status_code == 422


def test_filters_sort_and_pages(seeded: Server) -> None:
    by_speaker = seeded.client.get("/search", params={"q": "", "speaker": "person-boris-grinev", "sort": "date"}).json()
    assert by_speaker["total"] == 3 and {h["speaker"] for h in by_speaker["hits"]} == {"Boris Grinev"}
    dated = seeded.client.get("/search", params={"q": "JINR", "from": "2026", "to": "2026", "type": "StatementMade"}).json()
    assert dated["total"] > 0 and all(h["occurred"].startswith("2026") for h in dated["hits"])
    first = seeded.client.get("/search", params={"q": "JINR", "per_page": 2, "page": 1}).json()
    second = seeded.client.get("/search", params={"q": "JINR", "per_page": 2, "page": 2}).json()
    assert first["total"] == second["total"] > 4
    assert not {h["event_id"] for h in first["hits"]} & {h["event_id"] for h in second["hits"]}
    publishers = {f["value"] for f in first["facets"]["publisher"]}
    assert {"T-invariant", "JINR"} <= publishers


def test_a_misspelling_is_matched_and_a_suggestion_offered(seeded: Server) -> None:
    body = seeded.client.get("/search", params={"q": "Dubnna"}).json()
    assert body["suggestion"] == "Dubna" and body["fuzzy"] and body["total"] > 0


@pytest.mark.parametrize(("params", "parameter", "status"), [
    ({"q": "AND"}, "query.q", 400),
    ({"q": "x" * 10_000}, "query.q", 422),  # longer than the OpenAPI document's maxLength
    ({"q": "spies", "from": "yesterday"}, "query.from", 422),  # not an EDTF date, as on every endpoint
])
def test_an_unreadable_query_is_a_problem_naming_the_parameter(seeded: Server, params: dict[str, Any], parameter: str, status: int) -> None:
    response = seeded.client.get("/search", params=params)
    assert response.status_code == status and response.headers["content-type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == parameter


@pytest.mark.parametrize("q", ['"unbalanced', "(spies OR", "spies)", "spies AND", "((()))", "*", "NOT"])
def test_odd_queries_never_give_a_500(seeded: Server, q: str) -> None:
    assert seeded.client.get("/search", params={"q": q}).status_code in (200, 400)


@pytest.mark.parametrize("params", [{"per_page": 101}, {"page": 0}, {"sort": "popularity"}, {"type": "Gossip"}])
def test_out_of_range_parameters_are_422(seeded: Server, params: dict[str, Any]) -> None:
    response = seeded.client.get("/search", params={"q": "spies", **params})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM


def test_an_appended_statement_is_found_within_a_second(server: Server) -> None:
    response = server.append("person-boris-grinev", statement("a brand new statement about neutrinos", speaker="anonymous",
                                                             speaker_description="a physicist"))
    assert response.status_code == 201
    found, seconds = eventually(lambda: server.client.get("/search", params={"q": "neutrinos"}).json()["total"] == 1, 1.0)
    assert found, f"not found after {seconds:.2f} s"


def test_private_search_needs_a_token(settings_for: Any) -> None:
    from fastapi.testclient import TestClient

    from service.api import create_app
    from tests.http.conftest import make_tokens

    settings = settings_for(public_read=False)
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        assert client.get("/search", params={"q": "x"}).status_code == 401
        ok = client.get("/search", params={"q": "spies"}, headers={"Authorization": f"Bearer {tokens['reader']}"})
        assert ok.status_code == 200
