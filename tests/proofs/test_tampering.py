"""What must not verify: a checkpoint edited by one character, a proof with one hash changed, an event or a tree
node edited behind the archive's back. Each is checked with accord's own offline check (what `accord
check-proof` runs) and with the independent verifier; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from events.notes import parse_verifier
from events.proofs import BundleError, check_bundle
from events.store import SqlEventStore
from tests.proofs.conftest import SignedArchive, served
from tests.proofs.rfc9162 import verify_consistency, verify_inclusion
from tests.proofs.signed_note import read_checkpoint, read_verifier_key, verified_text
from tests.proofs.test_independent_verifier import canonical


@pytest.fixture
def small(store_url: str, tmp_path: Path) -> Iterator[SignedArchive]:
    """21 events, checkpoints at 7, 14 and 21, served."""
    yield from served(store_url, tmp_path, batches=3, per_batch=7)


def bundle_of(client: TestClient, position: int, size: int) -> dict[str, Any]:
    event = client.get("/events", params={"after": position - 1, "limit": 1}).json()["events"][0]
    response = client.get(f"/events/{event['id']}/bundle", params={"size": size})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def independently_verified(found: dict[str, Any], key_text: str) -> bool:
    """The independent verifier's whole check of a bundle: signature, checkpoint, leaf, inclusion."""
    key = read_verifier_key(key_text)
    signed = verified_text(found["checkpoint"], key)
    head = read_checkpoint(signed) if signed is not None else None
    if head is None or head.origin != key.name or found["proof"]["tree_size"] != head.size:
        return False
    entry = canonical(found["event"])
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    path = [base64.b64decode(h) for h in found["proof"]["audit_path"]]
    return hashlib.sha256(entry).hexdigest() == found["event"]["hash"] and verify_inclusion(
        found["event"]["position"] - 1, head.size, leaf, path, head.root
    )


def accord_check(found: dict[str, Any], key_text: str) -> str | None:
    """Why accord's offline check refuses the bundle, or None if it passes."""
    try:
        check_bundle(found, parse_verifier(key_text))
    except BundleError as exc:
        return str(exc)
    return None


def drop_triggers(store: SqlEventStore, table: str) -> None:
    """What someone with the database in hand would do first."""
    names = {"events": ["events_immutable"], "merkle_nodes": ["merkle_nodes_append_only"]}
    with store.engine.begin() as connection:
        if store.dialect == "postgresql":
            for name in names[table]:
                connection.execute(text(f"DROP TRIGGER {name} ON {table}"))
        else:
            for action in ("update", "delete"):
                connection.execute(text(f"DROP TRIGGER {table}_no_{action}"))


def test_an_untouched_bundle_verifies_both_ways(small: SignedArchive) -> None:
    key = small.client.get("/checkpoint/key").text
    for position in (1, 8, 21):
        found = bundle_of(small.client, position, 21)
        assert accord_check(found, key) is None
        assert independently_verified(found, key)


def test_a_checkpoint_edited_by_any_one_character_fails(small: SignedArchive) -> None:
    key = small.client.get("/checkpoint/key").text
    found = bundle_of(small.client, 5, 14)
    note = found["checkpoint"]
    for i, original in enumerate(note):
        for replacement in {"A" if original != "A" else "B", "\n" if original != "\n" else " "}:
            edited = {**found, "checkpoint": note[:i] + replacement + note[i + 1 :]}
            assert accord_check(edited, key) is not None, (i, original, replacement)
            assert not independently_verified(edited, key), (i, original, replacement)


def test_a_proof_with_any_one_hash_changed_fails(small: SignedArchive) -> None:
    key = small.client.get("/checkpoint/key").text
    found = bundle_of(small.client, 10, 21)
    proof = found["proof"]
    assert proof["audit_path"], "a proof with hashes to change"
    for i in range(len(proof["audit_path"])):
        raw = bytearray(base64.b64decode(proof["audit_path"][i]))
        raw[i % 32] ^= 0x01
        path = [*proof["audit_path"][:i], base64.b64encode(bytes(raw)).decode(), *proof["audit_path"][i + 1 :]]
        edited = {**found, "proof": {**proof, "audit_path": path}}
        assert "proof: the inclusion proof does not lead to the root" in (accord_check(edited, key) or "")
        assert not independently_verified(edited, key)
    changed_leaf = {**found, "proof": {**proof, "leaf_hash": base64.b64encode(bytes(32)).decode()}}
    assert "leaf hash" in (accord_check(changed_leaf, key) or "")
    consistency = small.client.get("/checkpoint/consistency", params={"first": 7, "second": 21}).json()["proof"]
    heads = [read_checkpoint(verified_text(small.client.get("/checkpoint", params={"size": s}).text, read_verifier_key(key)) or "")
             for s in (7, 21)]
    assert heads[0] and heads[1]
    hashes = [base64.b64decode(h) for h in consistency]
    assert verify_consistency(7, 21, heads[0].root, heads[1].root, hashes)
    for i in range(len(hashes)):
        changed = [*hashes[:i], bytes(b ^ 0x80 for b in hashes[i]), *hashes[i + 1 :]]
        assert not verify_consistency(7, 21, heads[0].root, heads[1].root, changed)


@pytest.mark.parametrize("rehashed", [False, True], ids=["hash-left", "hash-recomputed"])
def test_an_event_edited_behind_the_archives_back_fails(small: SignedArchive, rehashed: bool) -> None:
    client, store = small.client, small.store
    key = client.get("/checkpoint/key").text
    event = bundle_of(client, 9, 21)["event"]
    drop_triggers(store, "events")
    forged = {**event["data"], "quote": "Words nobody said."}
    forged_json = orjson.dumps(forged, option=orjson.OPT_SORT_KEYS).decode()
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE events SET data = :data WHERE position = 9"), {"data": forged_json})
        if rehashed:  # the forger also fixes the event's own hash (the next event's prev_hash still names the old one)
            new_hash = hashlib.sha256(canonical({**event, "data": forged})).hexdigest()
            connection.execute(text("UPDATE events SET hash = :hash WHERE position = 9"), {"hash": new_hash})
    found = bundle_of(client, 9, 21)
    assert found["event"]["data"]["quote"] == "Words nobody said."
    reason = accord_check(found, key) or ""
    assert reason.startswith("proof: its leaf hash" if rehashed else "event: its hash does not match")
    assert not independently_verified(found, key)
    report = store.verify()  # with the hash recomputed, the chain would break only at 10; the tree already at 9
    assert (report.ok, report.first_bad) == (False, 9)
    assert ("Merkle tree" if rehashed else "hash does not match") in (report.reason or "")


def test_a_tree_node_edited_behind_the_archives_back_fails(small: SignedArchive) -> None:
    client, store = small.client, small.store
    key = client.get("/checkpoint/key").text
    drop_triggers(store, "merkle_nodes")
    with store.engine.begin() as connection:  # leaf 5's hash, as if event 6 had other content
        connection.execute(text("UPDATE merkle_nodes SET hashes = :h WHERE position = 6"), {"h": bytes(32) * 2})
    found = bundle_of(client, 6, 21)  # the served leaf hash is the forged one (the event itself is intact)
    assert "leaf hash" in (accord_check(found, key) or "")
    sibling = bundle_of(client, 5, 21)  # its neighbour's proof carries the forged hash
    assert "does not lead to the root" in (accord_check(sibling, key) or "")
    assert not independently_verified(sibling, key)
    report = store.verify()
    assert (report.ok, report.first_bad) == (False, 6) and "Merkle tree" in (report.reason or "")
