"""accord's tree, checkpoints and proofs, checked over HTTP by a verifier that shares no code with accord's tree
(tests/proofs/rfc9162.py, tests/proofs/signed_note.py), on SQLite and PostgreSQL: a 1,000-event log with a
checkpoint signed every 50 events."""

from __future__ import annotations

import base64
import hashlib
import json
from itertools import combinations_with_replacement
from typing import Any

from fastapi.testclient import TestClient

from tests.proofs.conftest import SignedArchive
from tests.proofs.rfc9162 import mth, verify_consistency, verify_inclusion
from tests.proofs.signed_note import TreeHead, read_checkpoint, read_verifier_key, verified_text

# RFC 6962's test leaves and the roots of the trees of their first 0 to 8 (transparency-dev/merkle's reference data).
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def canonical(envelope: dict[str, Any]) -> bytes:
    """The contract's canonical JSON, made here with the standard library: every field but `hash`, keys
    sorted at every level, no insignificant white space, UTF-8 without needless escapes."""
    body = {k: v for k, v in envelope.items() if k != "hash"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def log_of(client: TestClient) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while True:
        page = client.get("/events", params={"after": len(events), "limit": 1000}).json()
        if not page["events"]:
            return events
        events += page["events"]


def signed_head(client: TestClient, size: int) -> TreeHead:
    """The checkpoint of `size`, its signature checked with the key the archive publishes."""
    key = read_verifier_key(client.get("/checkpoint/key").text)
    response = client.get("/checkpoint", params={"size": size})
    assert response.status_code == 200 and response.headers["content-type"] == "text/plain; charset=utf-8"
    text = verified_text(response.text, key)
    assert text is not None, "the checkpoint's signature verifies with /checkpoint/key"
    head = read_checkpoint(text)
    assert head is not None and head.size == size and head.origin == key.name
    return head


def test_the_independent_verifier_computes_the_reference_roots() -> None:
    assert [mth(LEAVES[:n]).hex() for n in range(9)] == ROOTS


def check_inclusion(proof: dict[str, Any], event: dict[str, Any], entry: bytes, head: TreeHead) -> None:
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    assert (proof["leaf_index"], proof["tree_size"]) == (event["position"] - 1, head.size)
    assert base64.b64decode(proof["leaf_hash"]) == leaf
    path = [base64.b64decode(h) for h in proof["audit_path"]]
    assert verify_inclusion(proof["leaf_index"], head.size, leaf, path, head.root), (event["position"], head.size)


def test_every_event_is_in_every_signed_tree_of_every_50th_size(thousand: SignedArchive) -> None:
    """Every event against every checkpoint that holds it: 10,500 proofs made from the stored nodes as the
    proof endpoint makes them (`MerkleTree.inclusion`, then the JSON it sends); over HTTP itself for the
    last checkpoint, which holds all 1,000."""
    client, store = thousand.client, thousand.store
    events = log_of(client)
    assert len(events) == 1000 and thousand.sizes == list(range(50, 1001, 50))
    entries = [canonical(e) for e in events]
    # These are the very bytes the hash chain covers.
    assert all(hashlib.sha256(entry).hexdigest() == e["hash"] for entry, e in zip(entries, events, strict=True))
    checked = 0
    with store.reader() as run:
        for size in thousand.sizes:
            head = signed_head(client, size)
            assert head.root == mth(entries[:size]), f"the signed root of size {size} is the RFC 9162 root of the first {size} events"
            for event, entry in zip(events[:size], entries[:size], strict=True):
                check_inclusion(store.tree.inclusion(run, event["position"] - 1, size).to_json(), event, entry, head)
                checked += 1
    assert checked == sum(thousand.sizes) == 10_500
    last = signed_head(client, 1000)
    for event, entry in zip(events, entries, strict=True):
        check_inclusion(client.get(f"/events/{event['id']}/proof", params={"size": 1000}).json(), event, entry, last)


def test_every_pair_of_the_20_checkpoints_is_consistent(thousand: SignedArchive) -> None:
    client = thousand.client
    heads = {size: signed_head(client, size) for size in thousand.sizes}
    for first, second in combinations_with_replacement(thousand.sizes, 2):
        response = client.get("/checkpoint/consistency", params={"first": first, "second": second})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["first"], body["second"]) == (first, second)
        path = [base64.b64decode(h) for h in body["proof"]]
        assert verify_consistency(first, second, heads[first].root, heads[second].root, path), (first, second)
        if first < second:  # and the proof holds for these roots only
            assert not verify_consistency(first, second, heads[second].root, heads[second].root, path)


def test_the_tree_of_every_size_has_the_rfc_root_of_the_first_events(thousand: SignedArchive) -> None:
    entries = [canonical(e) for e in log_of(thousand.client)]
    store = thousand.store
    with store.reader() as run:
        roots = [store.tree.root(run, n) for n in range(len(entries) + 1)]
    for n, root in enumerate(roots):
        assert root == mth(entries[:n]), n


def test_the_newest_checkpoint_is_the_last_signed(thousand: SignedArchive) -> None:
    newest = thousand.client.get("/checkpoint")
    assert newest.text == thousand.client.get("/checkpoint", params={"size": 1000}).text
    assert newest.headers["cache-control"] == "no-cache"
