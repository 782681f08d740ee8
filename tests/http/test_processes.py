"""Real server processes: `accord demo` serves what it loaded, two `accord serve` processes on one
PostgreSQL database see each other's appends within two seconds, and the worker processes of one
`accord serve --workers 2` share their archive, their index and their metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from service.settings import Settings
from tests.builders import entity, fact, statement
from tests.http.conftest import make_tokens

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def accord_serve(
    url: str, data_dir: Path, *, poll_seconds: float, command: str = "serve", options: Sequence[str] = (),
    environment: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Start `accord serve` (or `demo`) in its own process group; yield its base URL once /health answers; always kill it."""
    port = free_port()
    env = {
        **os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir), "ACCORD_POLL_SECONDS": str(poll_seconds),
        **(environment or {}),
    }
    log = (data_dir.parent / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service", command, "--port", str(port), *options], env=env, cwd=REPO, stdout=log,
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
        assert client.post(f"{first}/streams/org-jinr/events", json={"expected_version": "no_stream", "events": [entity()]}, headers=auth).status_code == 201
        visit = fact("VisitMade", "2024-06-13", visitors=["person-vladimir-putin"], host="org-jinr", place="Dubna", purpose="A visit before the vote")
        response = client.post(f"{first}/streams/org-jinr/events", json={"expected_version": 0, "events": [visit]}, headers=auth)
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


def accord_cli(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCORD_DATABASE_URL": url, "ACCORD_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "service", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_revoked_token_is_refused_by_both_nodes_from_the_next_request(postgres_schema_url: str, tmp_path: Path) -> None:
    tokens = make_tokens(Settings(data_dir=tmp_path / "setup", database_url=postgres_schema_url))
    private = {"ACCORD_PUBLIC_READ": "false"}
    with ExitStack() as stack:
        nodes = [
            stack.enter_context(accord_serve(postgres_schema_url, tmp_path / f"node-{n}", poll_seconds=1, environment=private))
            for n in (1, 2)
        ]
        client = stack.enter_context(httpx.Client(timeout=10))
        appends = {"Authorization": f"Bearer {tokens['archivist']}"}
        reads = {"Authorization": f"Bearer {tokens['reader']}"}

        def append(node: str, version: object, event: dict[str, object]) -> int:
            return client.post(f"{node}/streams/org-jinr/events", json={"expected_version": version, "events": [event]}, headers=appends).status_code

        # Each node meets both tokens, and keeps who the archivist's belongs to.
        assert append(nodes[0], "no_stream", entity()) == 201
        assert append(nodes[1], 0, statement("Dubna stays open.", speaker="org-jinr")) == 201
        assert [client.get(f"{node}/entities", headers=reads).status_code for node in nodes] == [200, 200]

        revoked = accord_cli(postgres_schema_url, tmp_path / "cli", "token", "revoke", "archivist-alice")
        assert revoked.returncode == 0, revoked.stderr
        assert [append(node, "any", statement("Said after the revocation.", speaker="org-jinr")) for node in nodes] == [401, 401]
        assert [client.get(f"{node}/entities", headers=reads).status_code for node in nodes] == [200, 200]
        assert accord_cli(postgres_schema_url, tmp_path / "cli", "token", "revoke", "reader-alice").returncode == 0
        assert [client.get(f"{node}/entities", headers=reads).status_code for node in nodes] == [401, 401]
        assert client.get(f"{nodes[0]}/health").json()["head"]["position"] == 2

    listed = accord_cli(postgres_schema_url, tmp_path / "cli", "token", "list").stdout
    archivist = next(row.split() for row in listed.splitlines() if row.startswith("archivist-alice"))
    assert archivist[3].startswith("20") and archivist[4].startswith("20")  # last used, and revoked
    assert tokens["archivist"] not in listed


def test_demo_loads_the_seed_corpus_and_serves_it(tmp_path: Path) -> None:
    data = tmp_path / "demo"
    with accord_serve(
        f"sqlite:///{data}/accord.db", data, poll_seconds=1, command="demo", environment={"ACCORD_ACCESS_LOG": "true"}
    ) as base:
        agreements = httpx.get(f"{base}/agreements", timeout=5).json()
        assert {a["id"] for a in agreements["agreements"]} >= {"agreement-cern-jinr", "agreement-jinr-kek"}
        assert httpx.get(f"{base}/verify", timeout=5).json()["ok"] is True
    log = next(tmp_path.glob("serve-*.log")).read_text()
    assert "serving the web pages and the HTTP API at http://127.0.0.1:" in log and "Application shutdown complete" in log
    assert '"GET /verify HTTP/1.1" 200' in log  # asked for: a line per request


@pytest.mark.slow
def test_the_workers_of_one_server_share_the_archive_the_index_and_the_metrics(tmp_path: Path) -> None:
    data = tmp_path / "node"
    url = f"sqlite:///{data}/accord.db"
    tokens = make_tokens(Settings(data_dir=data, database_url=url))
    counters = tmp_path / "metrics"
    counters.mkdir()
    # With polling every 30 s, what one worker appends reaches searches through the index both share
    # (test_live checks that a worker also hears of another process's appends by watching the database).
    with accord_serve(url, data, poll_seconds=30, options=["--workers", "2"], environment={"PROMETHEUS_MULTIPROC_DIR": str(counters)}) as base:
        auth = {"Authorization": f"Bearer {tokens['archivist']}"}
        # A new connection per request: the kernel deals them out between the two workers.
        assert httpx.post(f"{base}/streams/org-jinr/events", json={"expected_version": "no_stream", "events": [entity()]}, headers=auth).status_code == 201
        quotes = [f"Dubna keeps its {word} cyclotron" for word in ("red", "green", "blue", "amber", "violet", "silver")]
        for quote in quotes:
            statement = fact("StatementMade", "2024-06-13", speaker="org-jinr", quote=quote)
            response = httpx.post(f"{base}/streams/org-jinr/events", json={"expected_version": "any", "events": [statement]}, headers=auth)
            assert response.status_code == 201, response.text
        started = time.monotonic()
        while True:
            answers = [httpx.get(f"{base}/search", params={"q": "cyclotron"}).json()["total"] for _ in range(8)]
            if answers == [len(quotes)] * 8:
                break
            assert time.monotonic() - started < 2.0, f"not every worker found every quote within 2 s: {answers}"
            time.sleep(0.05)
        # Until each worker has answered something (the kernel deals connections out, not evenly).
        for _ in range(400):
            if all(answered(path) for path in counters.glob("counter_*.db")):
                break
            httpx.get(f"{base}/health")
        time.sleep(0.2)  # a request is counted once its answer has gone out
        exposition = httpx.get(f"{base}/metrics").text
    workers = sorted(counters.glob("counter_*.db"))
    assert len(workers) == 2 and all(answered(path) for path in workers), workers
    # /metrics added up what the two counted (all but the scrape itself), whichever of them answered it.
    requests = [line for line in exposition.splitlines() if line.startswith("accord_http_requests_total")]
    assert sum(float(line.split()[-1]) for line in requests) == sum(answered(path) for path in workers) - 1
    [appended] = [line for line in exposition.splitlines() if line.startswith("accord_events_appended_total")]
    assert float(appended.split()[-1]) == 1 + len(quotes)


def answered(counters: Path) -> float:
    """The requests one worker has counted in its own file."""
    return sum(
        sample.value
        for metric in MultiProcessCollector.merge([str(counters)], accumulate=False)
        for sample in metric.samples
        if sample.name == "accord_http_requests_total"
    )


def test_workers_that_cannot_start_stop_the_server_with_an_error(tmp_path: Path) -> None:
    # Nothing listens on port 9: every worker fails in its lifespan, and the server gives up instead of restarting them.
    env = {**os.environ, "ACCORD_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none", "ACCORD_DATA_DIR": str(tmp_path)}
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--port", str(free_port()), "--workers", "2"], env=env, cwd=REPO,
        capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode != 0
    assert "failed to start" in finished.stderr
    assert time.monotonic() - started < 60
