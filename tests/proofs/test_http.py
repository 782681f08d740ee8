"""Checkpoints and proofs as a client meets them: statuses, media types, the signer at work, a node without a
key, the fact page and the feed; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient

from events.notes import open_checkpoint, parse_verifier
from events.proofs import check_bundle
from service.api import create_app
from service.settings import Settings
from tests.builders import entity, statement
from tests.http.conftest import Server, make_tokens
from tests.proofs.conftest import SignedArchive, key_settings, served
from tests.web.conftest import BROWSER

PROBLEM = "application/problem+json"


@pytest.fixture
def signed(store_url: str, tmp_path: Path) -> Iterator[SignedArchive]:
    """12 events, checkpoints at 4, 8 and 12, and 3 more events no checkpoint holds yet; served."""
    yield from served(store_url, tmp_path, batches=3, per_batch=4, unsigned=3)


def event_id(client: TestClient, position: int) -> str:
    return client.get("/events", params={"after": position - 1, "limit": 1}).json()["events"][0]["id"]  # type: ignore[no-any-return]


def assert_problem(response: object, status: int, *words: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    for word in words:
        assert word in str(body), (word, body)
    return body  # type: ignore[no-any-return]


def test_checkpoints_are_text_signed_by_the_published_key_and_kept_at_every_size(signed: SignedArchive) -> None:
    client = signed.client
    key = client.get("/checkpoint/key")
    assert key.status_code == 200 and key.headers["content-type"] == "text/plain; charset=utf-8"
    verifier = parse_verifier(key.text)
    assert key.text == f"{verifier}\n" and verifier.name == "archive.test/accord"
    for size in (4, 8, 12):
        response = client.get("/checkpoint", params={"size": size})
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        checkpoint = open_checkpoint(response.text, verifier)
        assert (checkpoint.origin, checkpoint.size) == ("archive.test/accord", size)
        assert response.text.startswith(f"archive.test/accord\n{size}\n") and response.text.count("\n") == 5
    assert open_checkpoint(client.get("/checkpoint").text, verifier).size == 12, "the newest; events 13 to 15 wait for the next"
    assert_problem(client.get("/checkpoint", params={"size": 5}), 404, "never signed a checkpoint of tree size 5")
    assert_problem(client.get("/checkpoint", params={"size": 0}), 404)
    assert_problem(client.get("/checkpoint", params={"size": -1}), 422, "query.size")
    assert_problem(client.get("/checkpoint", params={"size": "twelve"}), 422, "query.size")


def test_inclusion_proofs_answer_for_signed_sizes_that_hold_the_event(signed: SignedArchive) -> None:
    client = signed.client
    third, thirteenth = event_id(client, 3), event_id(client, 13)
    proof = client.get(f"/events/{third}/proof", params={"size": 8})
    assert proof.status_code == 200 and proof.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert set(proof.json()) == {"leaf_index", "tree_size", "leaf_hash", "audit_path"}
    assert (proof.json()["leaf_index"], proof.json()["tree_size"]) == (2, 8) and len(proof.json()["audit_path"]) == 3
    assert client.get(f"/events/{third}/proof").json()["tree_size"] == 12, "the newest checkpoint by default"
    assert client.get(f"/events/{third.upper()}/proof").status_code == 200
    assert_problem(client.get(f"/events/{third}/proof", params={"size": 9}), 404, "never signed a checkpoint of tree size 9")
    body = assert_problem(client.get(f"/events/{event_id(client, 10)}/proof", params={"size": 8}), 422, "not in the tree of size 8")
    assert body["errors"] == [{"field": "query.size", "reason": "the tree of this size does not hold the event"}]
    assert_problem(client.get("/events/3f0b6a52-8c1e-4f7a-9b55-2d7e0c41a9e3/proof"), 404, "no event")
    waiting = client.get(f"/events/{thirteenth}/proof")  # not yet signed: it says when to come back
    assert_problem(waiting, 404, "no signed checkpoint holds the event yet", "within 3600 s")
    assert waiting.headers["retry-after"] == "3600"


def test_consistency_proofs_between_signed_sizes_only(signed: SignedArchive) -> None:
    client = signed.client
    assert client.get("/checkpoint/consistency", params={"first": 4, "second": 12}).json()["first"] == 4
    assert client.get("/checkpoint/consistency", params={"first": 8, "second": 8}).json() == {"first": 8, "second": 8, "proof": []}
    body = assert_problem(client.get("/checkpoint/consistency", params={"first": 12, "second": 4}), 422)
    assert body["errors"] == [{"field": "query.first", "reason": "larger than second (4)"}]
    body = assert_problem(client.get("/checkpoint/consistency", params={"first": 5, "second": 12}), 422, "tree size 5")
    assert body["errors"][0]["field"] == "query.first"  # type: ignore[index]
    body = assert_problem(client.get("/checkpoint/consistency", params={"first": 4, "second": 15}), 422, "tree size 15")
    assert body["errors"][0]["field"] == "query.second"  # type: ignore[index]
    assert_problem(client.get("/checkpoint/consistency", params={"first": 0, "second": 4}), 422, "query.first")
    assert_problem(client.get("/checkpoint/consistency", params={"second": 4}), 422, "query.first")


def test_the_bundle_downloads_and_checks_offline(signed: SignedArchive) -> None:
    client = signed.client
    third = event_id(client, 3)
    response = client.get(f"/events/{third}/bundle", params={"size": 4})
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="accord-proof-{third}-4.json"'
    found = response.json()
    assert set(found) == {"event", "checkpoint", "proof", "key"} and found["key"] == client.get("/checkpoint/key").text.strip()
    assert found["event"] == {k: v for k, v in client.get(f"/events/{third}").json().items() if k not in ("corrections", "retraction")}
    checked = check_bundle(found, parse_verifier(found["key"]))
    assert (checked.position, checked.checkpoint.size) == (3, 4)


def test_a_node_without_a_key_serves_the_log_and_says_why_it_signs_nothing(server: Server) -> None:
    client = server.client
    assert server.append("org-jinr", entity()).status_code == 201
    for path in ("/checkpoint", "/checkpoint/key", f"/events/{event_id(client, 1)}/proof", f"/events/{event_id(client, 1)}/bundle"):
        assert_problem(client.get(path), 503, "no signing key", "accord key create", "ACCORD_SIGNING_KEY")
    assert_problem(client.get("/checkpoint/consistency", params={"first": 1, "second": 1}), 503, "no signing key")
    assert client.get("/events").json()["events"][0]["position"] == 1
    page = client.get(f"/events/{event_id(client, 1)}", headers=BROWSER).text
    assert "This server does not sign checkpoints" in page and "accord key create" in page


def test_the_server_signs_the_head_when_the_log_moved_at_most_every_period(store_url: str, tmp_path: Path) -> None:
    settings = key_settings(store_url, tmp_path / "node", checkpoint_seconds=0.5)
    tokens = make_tokens(settings)
    with TestClient(create_app(settings)) as client:
        app = Server(client, tokens)
        assert_problem(client.get("/checkpoint"), 404, "signed no checkpoint yet", "within 0.5 s of an append")
        started = time.monotonic()
        while time.monotonic() - started < 2.0:  # appends all the while
            quotes = [statement(f"Statement {time.monotonic_ns()}-{i}: the vote is due on June 20.") for i in range(2)]
            assert app.append("person-speaker-0", *quotes).status_code == 201
            time.sleep(0.05)
        head = client.get("/health").json()["head"]["position"]
        deadline = time.monotonic() + 5
        while open_checkpoint(client.get("/checkpoint").text, parse_verifier(client.get("/checkpoint/key").text)).size < head:
            assert time.monotonic() < deadline, "the head was not signed within 5 s"
            time.sleep(0.1)
        signed = list(app.archive.checkpoints.all())
    moments = [datetime.fromisoformat(c.signed_at.replace("Z", "+00:00")) for c in signed]
    gaps = [(b - a).total_seconds() for a, b in zip(moments, moments[1:], strict=False)]
    assert len(signed) >= 3 and all(gap >= 0.5 for gap in gaps), gaps
    assert [c.size for c in signed] == sorted({c.size for c in signed})


def test_the_fact_page_names_its_signed_checkpoint_and_offers_the_bundle(signed: SignedArchive) -> None:
    client = signed.client
    third = event_id(client, 3)
    page = client.get(f"/events/{third}", headers=BROWSER).text
    moment = next(c for c in signed.client.app.state.archive.checkpoints.all() if c.size == 12).signed_at  # type: ignore[attr-defined]
    assert "In the archive's signed checkpoint of tree size 12 (signed <time" in page
    assert f'datetime="{moment}"' in page
    assert f'href="/events/{third}/bundle?size=12"' in page and "accord check-proof" in page and "RFC 9162" in page
    assert client.get(f"/events/{third}/bundle", params={"size": 12}).status_code == 200
    waiting = client.get(f"/events/{event_id(client, 14)}", headers=BROWSER).text
    assert "Not in a signed checkpoint yet" in waiting


def test_the_feed_links_the_newest_checkpoint_for_witnesses(signed: SignedArchive) -> None:
    feed = feedparser.parse(signed.client.get("/feed.atom").text)
    [related] = [link for link in feed.feed.links if link.get("rel") == "related"]
    assert related["href"].endswith("/checkpoint?size=12") and related["type"] == "text/plain"
    assert signed.client.get(related["href"]).text == signed.client.get("/checkpoint").text


def test_a_key_that_cannot_be_read_stops_the_server_before_it_serves(store_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    settings = Settings(data_dir=tmp_path / "node", database_url=store_url, signing_key=str(broken))
    with pytest.raises(Exception, match="cannot be used"):
        with TestClient(create_app(settings)):
            pass
    missing = Settings(data_dir=tmp_path / "node", database_url=store_url, signing_key=str(tmp_path / "nowhere.pem"))
    with pytest.raises(Exception, match="does not exist"):
        with TestClient(create_app(missing)):
            pass
