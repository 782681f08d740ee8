"""Two real `accord serve` processes on one PostgreSQL database, sharing a key: both take appends at once, both sign,
and they serve the same checkpoint for every size, whose root is the RFC 9162 root of the log."""

from __future__ import annotations

import base64
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from events.store import open_store
from events.store.checkpoints import CheckpointLog
from service.keys import create_key
from service.settings import Settings
from tests.builders import statement
from tests.http.conftest import make_tokens
from tests.http.test_processes import accord_serve
from tests.proofs.conftest import ORIGIN
from tests.proofs.rfc9162 import mth, verify_consistency
from tests.proofs.signed_note import read_checkpoint, read_verifier_key, verified_text
from tests.proofs.test_independent_verifier import canonical

PERIOD = 0.3
WRITERS_PER_NODE = 2
REQUESTS_PER_WRITER = 20


@pytest.mark.postgres
@pytest.mark.slow
def test_two_nodes_appending_at_once_sign_one_tree_and_serve_the_same_checkpoints(postgres_schema_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "shared-key.pem"
    create_key(key_file, ORIGIN)
    tokens = make_tokens(Settings(data_dir=tmp_path / "setup", database_url=postgres_schema_url))
    shared = {"ACCORD_SIGNING_KEY": str(key_file), "ACCORD_LOG_ORIGIN": ORIGIN, "ACCORD_CHECKPOINT_SECONDS": str(PERIOD)}
    auth = {"Authorization": f"Bearer {tokens['archivist']}"}
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(accord_serve(postgres_schema_url, tmp_path / f"node-{n}", poll_seconds=1, environment=shared))
            for n in (1, 2)
        ]
        failures: list[str] = []

        def write(node: str, writer: str) -> None:
            with httpx.Client(base_url=node, timeout=30) as client:
                for i in range(REQUESTS_PER_WRITER):
                    quotes = [statement(f"{writer} says {i}.{j}: the vote is due on June 20.") for j in range(1 + i % 3)]
                    response = client.post(f"/streams/person-{writer}/events", json={"expected_version": "any", "events": quotes}, headers=auth)
                    if response.status_code != 201:
                        failures.append(f"{node} {response.status_code} {response.text}")

        writers = [
            threading.Thread(target=write, args=(node, f"writer-{n}-{w}"))
            for n, node in enumerate(nodes) for w in range(WRITERS_PER_NODE)
        ]
        seen: set[int] = set()
        for thread in writers:
            thread.start()
        while any(thread.is_alive() for thread in writers):  # the newest checkpoint, from either node, as it moves
            for node in nodes:
                newest = httpx.get(f"{node}/checkpoint", timeout=10)
                if newest.status_code == 200:
                    seen.add(int(newest.text.split("\n")[1]))
            time.sleep(0.05)
        for thread in writers:
            thread.join()
        assert not failures, failures[:3]
        head = httpx.get(f"{nodes[0]}/health").json()["head"]["position"]
        deadline = time.monotonic() + 15
        while any(httpx.get(f"{node}/checkpoint").text.split("\n")[1] != str(head) for node in nodes):
            assert time.monotonic() < deadline, "the head was not signed within 15 s"
            time.sleep(0.1)

        store = open_store(postgres_schema_url)
        try:
            signed = list(CheckpointLog(store).all())
            report = store.verify()
        finally:
            store.close()
        assert report.ok, report  # the stored tree is the one rebuilt from the log, node for node
        sizes = [c.size for c in signed]
        assert sizes[-1] == head and seen <= set(sizes) and len(sizes) >= 3

        keys = {httpx.get(f"{node}/checkpoint/key").text for node in nodes}
        assert len(keys) == 1
        key = read_verifier_key(keys.pop())
        events: list[dict[str, object]] = []
        while len(events) < head:
            events += httpx.get(f"{nodes[1]}/events", params={"after": len(events), "limit": 1000}).json()["events"]
        entries = [canonical(e) for e in events]
        roots = {}
        for stored in signed:
            notes = {httpx.get(f"{node}/checkpoint", params={"size": stored.size}).text for node in nodes}
            assert notes == {stored.note}, f"both nodes serve the one checkpoint of size {stored.size}"
            text = verified_text(stored.note, key)
            tree_head = read_checkpoint(text or "")
            assert tree_head is not None and tree_head.root == mth(entries[: stored.size])
            roots[stored.size] = tree_head.root
        for first, second in pairwise(sizes):
            proof = httpx.get(f"{nodes[0]}/checkpoint/consistency", params={"first": first, "second": second}).json()["proof"]
            assert verify_consistency(first, second, roots[first], roots[second], [base64.b64decode(h) for h in proof])

    moments = [datetime.fromisoformat(c.signed_at.replace("Z", "+00:00")) for c in signed]
    assert all((b - a).total_seconds() >= PERIOD for a, b in pairwise(moments)), "at most one checkpoint a period, from either node"
