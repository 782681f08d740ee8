"""The hash chain: canonical JSON of an event, its hash, and the walker that checks stored rows."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from events.chain import ChainWalker, canonical_event, event_hash
from events.envelope import GENESIS_HASH
from events.prepare import canonical

DATA: dict[str, Any] = {
    "speaker": "anonymous",
    "speaker_description": "физик ОИЯИ",
    "quote": "«учёные» — 高エネルギー加速器研究機構 🔬⚛️ \u200fالمعهد\u200f \"quoted\" \\ back\nslash",
    "tally": {"yes": 15, "no": 2, "abstain": 5, "absent": None},
    "parties": ["org-cern", "org-jinr"],
    "nested": {"z": [1, 2.5, {"b": True, "a": None}], "a": {"ключ": "значение"}},
}
SOURCES: list[dict[str, Any]] = [{"publisher": "T-invariant", "published": "2024-06", "title": "“Window to the West”"}]
METADATA: dict[str, Any] = {"correlation_id": "seed-2024", "extra": {"b": 1, "a": [0]}}


def fields(**overrides: Any) -> dict[str, Any]:
    """The hashed fields of a sample event, JSON parts as canonical text."""
    sample: dict[str, Any] = {
        "position": 7,
        "id": "3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e5f",
        "stream": "person-anonymous",
        "version": 0,
        "type": "StatementMade",
        "occurred": "2024-06~",
        "recorded_at": "2026-11-23T09:22:00.123456Z",
        "recorded_by": "archivist-anna",
        "data": canonical(DATA),
        "sources": canonical(SOURCES),
        "metadata": canonical(METADATA),
        "prev_hash": "a" * 64,
    }
    sample.update(overrides)
    return sample


def test_canonical_event_equals_sorted_orjson_of_the_parsed_event() -> None:
    sample = fields()
    parsed = {**sample, "data": DATA, "sources": SOURCES, "metadata": METADATA}
    assert canonical_event(**sample) == orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS)


def test_canonical_event_is_compact_utf8_with_sorted_keys() -> None:
    canonical = canonical_event(**fields())
    assert b": " not in canonical and b", " not in canonical
    assert "«учёные» — 高エネルギー加速器研究機構 🔬⚛️".encode() in canonical
    assert list(orjson.loads(canonical)) == sorted(fields())


def test_canonical_event_does_not_depend_on_the_order_of_the_input_dicts() -> None:
    reversed_data = dict(reversed(list(DATA.items())))
    assert canonical_event(**fields(data=canonical(reversed_data))) == canonical_event(**fields())


def test_event_hash_is_the_hex_sha256_of_the_canonical_bytes() -> None:
    canonical = canonical_event(**fields())
    assert event_hash(canonical) == hashlib.sha256(canonical).hexdigest()
    assert len(event_hash(canonical)) == 64


def test_every_hashed_field_changes_the_hash() -> None:
    base = event_hash(canonical_event(**fields()))
    changes = {
        "position": 8, "id": "3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e60", "stream": "person-someone", "version": 1,
        "type": "FactRetracted", "occurred": "2024-06", "recorded_at": "2026-11-23T09:22:00.123457Z",
        "recorded_by": "archivist-boris", "data": "{}", "sources": "[]", "metadata": "{}", "prev_hash": "b" * 64,
    }
    assert set(changes) == set(fields())
    for name, value in changes.items():
        assert event_hash(canonical_event(**fields(**{name: value}))) != base, name


def chained_rows(count: int) -> list[dict[str, Any]]:
    """`count` rows as the store would write them, each hash linked to the one before."""
    rows, prev = [], GENESIS_HASH
    for position in range(1, count + 1):
        row = fields(position=position, version=position - 1, prev_hash=prev)
        row["hash"] = event_hash(canonical_event(**row))
        rows.append(row)
        prev = row["hash"]
    return rows


def test_the_walker_accepts_a_chain_built_from_genesis() -> None:
    walker = ChainWalker()
    assert [walker.check(row) for row in chained_rows(4)] == [None] * 4
    assert walker.checked == 4


def test_the_walker_refuses_a_gap_an_unlinked_row_and_an_edited_row() -> None:
    rows = chained_rows(3)
    gap = ChainWalker()
    assert gap.check(rows[1]) is not None

    unlinked = ChainWalker()
    assert unlinked.check({**rows[0], "prev_hash": "1" * 64}) is not None

    edited = ChainWalker()
    assert edited.check(rows[0]) is None
    assert edited.check({**rows[1], "recorded_by": "someone-else"}) is not None
    assert edited.checked == 1
