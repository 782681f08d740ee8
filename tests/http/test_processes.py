"""Real server processes: `accord demo` serves what it loaded, and two `accord serve` processes on one
PostgreSQL database see each other's appends within two seconds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from service.settings import Settings
from tests.builders import entity, fact
from tests.http.conftest import make_tokens

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def accord_serve(url: str, data_dir: Path, *, poll_seconds: float, command: str = "serve") -> Iterator[str]:
    """Start `accord serve` (or `demo`) in its own process group; yield its base URL once /health answers; always kill it."""
    port = free_port()
    env = {
        **os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir), "ACCORD_POLL_SECONDS": str(poll_seconds),
    }
    log = (data_dir.parent / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service", command, "--port", str(port)], env=env, cwd=REPO, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"accord serve exited: {(data_dir.parent / f'serve-{port}.log').read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up within 120 s"
            time.sleep(0.1)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
        log.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_an_append_through_one_node_shows_in_the_other_within_two_seconds(postgres_schema_url: str, tmp_path: Path) -> None:
    tokens = make_tokens(Settings(data_dir=tmp_path / "setup", database_url=postgres_schema_url))
    with ExitStack() as stack:
        # Polling alone (every 30 s) could not pass: the second node must hear of the append by LISTEN/NOTIFY.
        first = stack.enter_context(accord_serve(postgres_schema_url, tmp_path / "node-1", poll_seconds=30))
        second = stack.enter_context(accord_serve(postgres_schema_url, tmp_path / "node-2", poll_seconds=30))
        client = stack.enter_context(httpx.Client(timeout=5))
        auth = {"Authorization": f"Bearer {tokens['archivist']}"}
        assert client.post(f"{first}/streams/org-jinr/events", json={"events": [entity()]}, headers=auth).status_code == 201
        visit = fact("VisitMade", "2024-06-13", visitors=["person-vladimir-putin"], host="org-jinr", place="Dubna", purpose="A visit before the vote")
        response = client.post(f"{first}/streams/org-jinr/events", json={"events": [visit]}, headers=auth)
        assert response.status_code == 201, response.text
        event_id = response.json()["ids"][0]
        started = time.monotonic()
        while True:
            facts = client.get(f"{second}/timeline", params={"entity": "org-jinr"}).json()["facts"]
            if any(f["event_id"] == event_id for f in facts):
                break
            assert time.monotonic() - started < 2.0, "the second node's timeline did not show the event within 2 s"
            time.sleep(0.05)
        health = client.get(f"{second}/health").json()
        assert health["head"]["position"] == 2 and health["database"] is True


def test_demo_loads_the_seed_corpus_and_serves_it(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    with accord_serve(f"sqlite:///{data}/accord.db", data, poll_seconds=1, command="demo") as base:
        agreements = httpx.get(f"{base}/agreements", timeout=5).json()
        assert {a["id"] for a in agreements["agreements"]} >= {"agreement-cern-jinr", "agreement-jinr-kek"}
        assert httpx.get(f"{base}/verify", timeout=5).json()["ok"] is True
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert "serving the web pages and the HTTP API at http://127.0.0.1:" in log and "Application shutdown complete" in log
