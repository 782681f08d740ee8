"""The benchmark data generator: deterministic, valid, and shaped like the archive's material."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench.generate import generate, main, write_ndjson
from events.catalogue import CATALOGUE
from events.prepare import prepare_request

N_EVENTS = 5000
SEED = 11
ENTITY_PREFIXES = ("person-", "org-", "body-", "country-", "facility-")


def _ndjson(n_events: int, seed: int, events_per_request: int = 1) -> bytes:
    out = io.BytesIO()
    assert write_ndjson(out, n_events, seed, events_per_request) == n_events
    return out.getvalue()


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    """The requests of one run as they come back from the NDJSON text."""
    return [orjson.loads(line) for line in _ndjson(N_EVENTS, SEED).splitlines()]


def _events(lines: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(line["stream"], event) for line in lines for event in line["events"]]


def _check_versions(lines: list[dict[str, Any]]) -> dict[str, int]:
    """Replay the expected versions with per-stream counters; return each stream's event count."""
    counts: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        seen = counts.get(line["stream"], 0)
        assert line["expected_version"] == ("no_stream" if seen == 0 else seen - 1), f"line {number}"
        counts[line["stream"]] = seen + len(line["events"])
    return counts


def test_same_seed_gives_the_same_bytes_and_another_seed_other_bytes() -> None:
    first = _ndjson(2000, 3)
    assert first == _ndjson(2000, 3)
    assert first != _ndjson(2000, 4)
    assert first.endswith(b"\n") and first.count(b"\n") == 2000


def test_every_line_validates(lines: list[dict[str, Any]]) -> None:
    for number, line in enumerate(lines, 1):
        prepared = prepare_request(line["stream"], line["expected_version"], line["events"])
        assert [event.id for event in prepared.events] == [event["id"] for event in line["events"]], f"line {number}"


def test_every_catalogue_type_appears(lines: list[dict[str, Any]]) -> None:
    types = Counter(event["type"] for _, event in _events(lines))
    assert set(types) == set(CATALOGUE)
    assert 0.5 < types["StatementMade"] / N_EVENTS < 0.7


def test_at_least_forty_streams_and_versions_follow_each_other(lines: list[dict[str, Any]]) -> None:
    counts = _check_versions(lines)
    assert len(counts) >= 40
    assert sum(counts.values()) == N_EVENTS


def test_ids_are_unique_version_4_uuids(lines: list[dict[str, Any]]) -> None:
    ids = [event["id"] for _, event in _events(lines)]
    assert len(set(ids)) == len(ids)
    for event_id in ids[:500]:
        parsed = uuid.UUID(event_id)
        assert parsed.version == 4 and str(parsed) == event_id


def test_streams_open_with_their_first_fact_and_entities_are_registered_before_use(lines: list[dict[str, Any]]) -> None:
    registered: set[str] = set()
    opened: set[str] = set()
    for stream, event in _events(lines):
        if stream not in opened:
            opened.add(stream)
            expected = "AgreementSigned" if stream.startswith("agreement-") else "EntityRegistered"
            assert event["type"] == expected, stream
        else:
            assert event["type"] not in ("AgreementSigned", "EntityRegistered"), stream
        data = event["data"]
        if event["type"] == "EntityRegistered":
            registered.add(stream)
            continue
        refs = [data.get(key) for key in ("speaker", "party", "organization", "body", "host")]
        refs += data.get("parties", []) + data.get("visitors", [])
        for ref in refs:
            if isinstance(ref, str) and ref.startswith(ENTITY_PREFIXES):
                assert ref in registered, f"{ref} used in {stream} before it was registered"


def test_corrections_and_retractions_target_an_earlier_event_of_their_stream(lines: list[dict[str, Any]]) -> None:
    stream_of: dict[str, str] = {}
    retracted: set[str] = set()
    targeted = 0
    for stream, event in _events(lines):
        if event["type"] in ("FactCorrected", "FactRetracted"):
            target = event["data"]["target"]
            assert stream_of.get(target) == stream, f"{event['id']} targets {target} outside {stream}"
            assert target not in retracted
            assert event["metadata"]["causation_id"] == target
            if event["type"] == "FactRetracted":
                retracted.add(target)
            targeted += 1
        stream_of[event["id"]] = stream
    assert targeted > 0


def test_statements_quote_twenty_to_sixty_words_with_an_excerpt_in_their_first_source(lines: list[dict[str, Any]]) -> None:
    languages: Counter[str] = Counter()
    for _, event in _events(lines):
        if event["type"] != "StatementMade":
            continue
        data = event["data"]
        languages[data["language"]] += 1
        assert event["sources"][0]["quote"] in data["quote"]
        if data["language"] != "ja":
            assert 20 <= len(data["quote"].split()) <= 60
        assert 1 <= len(event["sources"]) <= 3
    assert languages["ru"] > 0 and languages["ja"] > 0 and languages["en"] > languages["ru"] > languages["ja"]


@pytest.mark.parametrize("per_request", [2, 5])
def test_several_events_per_request(per_request: int) -> None:
    lines = [orjson.loads(line) for line in _ndjson(1003, 5, per_request).splitlines()]
    assert all(1 <= len(line["events"]) <= per_request for line in lines)
    assert any(len(line["events"]) == per_request for line in lines)
    counts = _check_versions(lines)
    assert sum(counts.values()) == 1003
    for line in lines:
        prepare_request(line["stream"], line["expected_version"], line["events"])


def test_small_runs_and_bad_arguments() -> None:
    assert list(generate(0)) == []
    assert sum(len(request["events"]) for request in generate(3, events_per_request=2)) == 3
    with pytest.raises(ValueError):
        generate(10, events_per_request=0)


def test_write_ndjson_to_a_path_and_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.ndjson"
    assert write_ndjson(path, 120, seed=2) == 120
    assert main(["--events", "120", "--seed", "2", "--out", str(tmp_path / "cli.ndjson")]) == 0
    assert (tmp_path / "cli.ndjson").read_bytes() == path.read_bytes()
    assert "wrote 120 events" in capsys.readouterr().err
