"""The HTTP service under load, against a real `accord serve` on loopback.

Appends: 8 client threads each POST single-event requests to an empty
archive, one stream per client at a time (events are dealt out by stream, so
each stream's order, expected versions and amendments hold), counting any
answer other than 201 as an error. Replay: one client streams the whole log
of the size asked for (imported as `bench.bench_log` does) as NDJSON
(`Accept: application/x-ndjson`) and counts lines, while the server's RSS is
sampled every 100 ms. The server's read models are rebuilt before the
replay if they lag, so that its background catch-up does not compete with it.
Search: on the log of the replay (`--events 170000` holds over 100,000
quotes; the generator registers the seed corpus's institutions and people as
streams of its own, so the corpus cannot be imported beside them), 8 client
threads send `GET /search` with the seeded query mix of `bench.bench_search`
(drawn from the log's own quotes: words, AND, phrases,
misspellings, filters, prefixes; facets and highlights on, 20 hits a page)
to the same server, after a warm-up, counting any answer other than 200 as
an error. Then the same clients send the same mix while `python -m
search_index merge --rewrite` merges the whole index anew in another
process (the searches timed are those sent while it runs). Last, the peer:
the same facts in a SQLite database published with Datasette (a table of
facts, its words in an FTS5 table as sqlite-utils makes one, publishers as a
JSON array), served by `datasette serve` on the same two cores, and the same
clients send the same mix, in the same order, to its table view (`_search`
in FTS5 syntax, facets by speaker, year, type and publisher, 20 rows) for
DATASETTE_SECONDS (it answers far fewer a second: the rate is over the
searches answered in that time). Datasette comes with the
`bench` extra: `pip install -e '.[bench]'`.

    python -m bench.bench_http --events 170000 --events 1000000

The server runs as `accord serve` would with the same environment, so
`ACCORD_WORKERS=2` measures it with two worker processes; CPU and memory
are then those of the server and its workers together.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import cycle
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from bench.bench_log import OUT, bench_main, generated, imported

CLIENTS = 8
APPENDS = 4000

TOKEN_NAME = "bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _accord(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ACCORD_DATA_DIR": str(data), "ACCORD_DATABASE_URL": f"sqlite:///{data / 'accord.db'}"}
    return subprocess.run([sys.executable, "-m", "service", *args], env=env, capture_output=True, text=True, check=True)


@contextmanager
def serving(data: Path) -> Iterator[tuple[str, int]]:
    """`accord serve` on `data`; yield its URL and pid once /health answers; always stop it."""
    port = _free_port()
    env = {**os.environ, "ACCORD_DATA_DIR": str(data), "ACCORD_DATABASE_URL": f"sqlite:///{data / 'accord.db'}"}
    log = (data / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"accord serve exited: {(data / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{base}/health", timeout=2).json()["status"] == "ok":
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base, process.pid
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


class Loopback:
    """One kept-alive connection through the standard library's client.

    The load generator shares the server's two cores: httpx cost it 1.3 ms of
    CPU per request, http.client 0.4 ms, which leaves the server the rest.
    """

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = HTTPConnection(host, int(port), timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.read()

    def __enter__(self) -> Loopback:
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()


def _run_all(threads: list[threading.Thread]) -> float:
    """Start the client threads together and return the seconds until the last one ends."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name (so the state is [0], the parent [1])."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_processes(pid: int) -> list[int]:
    """The server and its worker processes (`--workers`), found by their parents."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, IndexError):
                continue  # ended meanwhile
    found = [pid]
    for process in found:
        found.extend(child for child, parent in parents.items() if parent == process)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the server and its workers so far."""
    ticks = 0
    for process in server_processes(pid):
        fields = _stat(process)
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers."""
    total = 0
    for process in server_processes(pid):
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def appends(seed: int) -> dict[str, Any]:
    from bench.generate import generate

    data = OUT / "http-appends"
    for leftover in data.glob("accord.db*"):
        leftover.unlink()
    data.mkdir(parents=True, exist_ok=True)
    token = _accord("token", "create", "--name", TOKEN_NAME, "--role", "archivist", data=data).stdout.strip()
    lanes: list[list[dict[str, Any]]] = [[] for _ in range(CLIENTS)]
    streams: dict[str, int] = {}
    for request in generate(APPENDS, seed):
        lane = streams.setdefault(request["stream"], len(streams) % CLIENTS)
        lanes[lane].append(request)
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def client(base: str, requests: list[dict[str, Any]]) -> None:
        with Loopback(base) as http:
            for request in requests:
                body = orjson.dumps({"expected_version": request["expected_version"], "events": request["events"]})
                started = time.perf_counter()
                status, answer = http.request(
                    "POST", f"/streams/{request['stream']}/events", body=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                )
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if status != 201:
                        errors.append(f"{status} {answer[:200]!r}")

    with serving(data) as (base, pid):
        server_cpu = cpu_seconds(pid)
        client_cpu = time.process_time()
        seconds = _run_all([threading.Thread(target=client, args=(base, lane)) for lane in lanes])
        server_cpu = cpu_seconds(pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
        head = httpx.get(f"{base}/health").json()["head"]["position"]
        rss = rss_mb(pid)
    latencies.sort()
    return {
        "appends": len(latencies), "append_rate": len(latencies) / seconds, "append_errors": len(errors),
        "first_errors": errors[:3], "append_p50_ms": latencies[len(latencies) // 2] * 1000,
        "append_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "append_head": head, "append_server_rss_mb": rss,
        "append_server_cpu_ms": server_cpu / len(latencies) * 1000, "append_client_cpu_ms": client_cpu / len(latencies) * 1000,
    }


def _lagging(workdir: Path) -> bool:
    from events.store import open_store
    from search_index import SearchIndex
    from service.archive import open_runner

    store = open_store(f"sqlite:///{workdir / 'accord.db'}")
    try:
        head = store.head().position
        return any(position < head for position in open_runner(store, SearchIndex(workdir / "index")).positions().values())
    finally:
        store.close()


def replay(workdir: Path) -> dict[str, Any]:
    if _lagging(workdir):
        _accord("rebuild", "all", data=workdir)
    samples: list[float] = []
    with serving(workdir) as (base, pid):
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(rss_mb(pid))
                stop.wait(0.1)

        sampler = threading.Thread(target=sample)
        before = rss_mb(pid)
        sampler.start()
        lines = 0
        started = time.perf_counter()
        try:
            with httpx.stream("GET", f"{base}/events", headers={"Accept": "application/x-ndjson"}, timeout=60) as response:
                assert response.status_code == 200, response.read()
                for chunk in response.iter_raw(1 << 20):
                    lines += chunk.count(b"\n")
        finally:
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
    return {
        "replayed": lines, "replay_rate": lines / seconds, "replay_rss_before_mb": before,
        "replay_rss_peak_mb": max(samples), "replay_rss_end_mb": samples[-1],
        "replay_rss_deciles_mb": [round(samples[len(samples) * i // 10]) for i in range(10)],
    }


SEARCHES = 2000
DATASETTE_SECONDS = 240.0
"""How long the clients keep sending the mix to Datasette (it answers far fewer a second than accord)."""


def _mix(workdir: Path) -> tuple[int, list[Any]]:
    """How many quotes the log holds, and the query mix drawn from them (warm-up first)."""
    from bench.bench_search import WARM_UP, Statement, _fts_rows, query_mix

    statements: list[Statement] = []
    for _ in _fts_rows(workdir / "accord.db", statements):
        pass
    return len(statements), query_mix(statements, SEARCHES + WARM_UP * CLIENTS)


def accord_path(query: Any) -> str:
    from bench.bench_search import PER_PAGE

    found = {"q": query.accord, "speaker": query.speaker, "publisher": query.publisher, "per_page": PER_PAGE,
             "from": query.start, "to": query.end}
    return "/search?" + urlencode({k: v for k, v in found.items() if v is not None})


def datasette_path(query: Any) -> str:
    return "/facts/facts.json?" + urlencode(query.datasette(), doseq=True)


def _searched(base: str, paths: list[str], until: Callable[[], bool] | None = None, repeat: bool = True) -> dict[str, Any]:
    """8 clients send `paths` in turn (over and over while `until()` is false, if given and `repeat`;
    else each once, stopping early when `until()` is true) and time each answer; any status other
    than 200 is an error."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = cycle(paths) if until is not None and repeat else iter(paths)

    def client_loop() -> None:
        with Loopback(base) as client:
            while until is None or not until():
                with lock:
                    path = next(queue, None)
                if path is None:
                    return
                started = time.perf_counter()
                status, _ = client.request("GET", path)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if status != 200:
                        errors.append(f"{status} {path[:120]}")

    seconds = _run_all([threading.Thread(target=client_loop) for _ in range(CLIENTS)])
    latencies.sort()
    return {
        "searches": len(latencies), "rate": len(latencies) / seconds, "errors": len(errors), "first_errors": errors[:3],
        "p50_ms": latencies[len(latencies) // 2] * 1000, "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "max_ms": latencies[-1] * 1000,
    }


def _warmed(base: str, paths: list[str]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths:
            client.get(path)


def search_load(workdir: Path) -> dict[str, Any]:
    from bench.bench_search import WARM_UP
    from search_index import SearchIndex

    quotes, mix = _mix(workdir)
    paths = [accord_path(query) for query in mix]
    warm, timed = paths[: WARM_UP * CLIENTS], paths[WARM_UP * CLIENTS :]
    segments = SearchIndex(workdir / "index").segments()
    with serving(workdir) as (base, pid):
        _warmed(base, warm)
        load = _searched(base, timed)
        rss = rss_mb(pid)
        # Searches while the whole index is merged anew in another process.
        merging = subprocess.Popen([sys.executable, "-m", "search_index", "merge", str(workdir / "index"), "--rewrite"],
                                   stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        during = _searched(base, timed, until=lambda: merging.poll() is not None)
        merge_seconds = time.perf_counter() - started
        merged = merging.wait()
    return {
        "quotes": quotes, "segments": segments, "searches": load["searches"], "search_rate": load["rate"],
        "search_errors": load["errors"], "search_first_errors": load["first_errors"],
        "search_p50_ms": load["p50_ms"], "search_p95_ms": load["p95_ms"], "search_p99_ms": load["p99_ms"],
        "search_server_rss_mb": rss,
        "merge_status": merged, "merge_seconds": merge_seconds, "merge_searches": during["searches"],
        "merge_search_rate": during["rate"], "merge_errors": during["errors"], "merge_first_errors": during["first_errors"],
        "merge_p50_ms": during["p50_ms"], "merge_p99_ms": during["p99_ms"], "merge_max_ms": during["max_ms"],
    }


@contextmanager
def datasette_serving(database: Path) -> Iterator[str]:
    """`datasette serve` on `database`, its time limits raised so that no search or facet is cut short."""
    port = _free_port()
    settings = {"sql_time_limit_ms": 60_000, "facet_time_limit_ms": 60_000, "suggest_facets": "off", "default_cache_ttl": 0,
                "num_sql_threads": 3}
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--port", str(port)]
    for name, value in settings.items():
        command += ["--setting", name, str(value)]
    log = (database.parent / "datasette.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"datasette exited: {(database.parent / 'datasette.log').read_text()}")
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:  # a long query still running: the figures are in already
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def datasette_load(workdir: Path) -> dict[str, Any]:
    from bench.bench_search import WARM_UP, build_datasette_db

    _, mix = _mix(workdir)
    database = workdir / "facts.db"
    built = build_datasette_db(workdir / "accord.db", database)
    paths = [datasette_path(query) for query in mix]
    with datasette_serving(database) as base:
        _warmed(base, paths[:WARM_UP])
        deadline = time.perf_counter() + DATASETTE_SECONDS
        load = _searched(base, paths[WARM_UP * CLIENTS :], until=lambda: time.perf_counter() > deadline, repeat=False)
    return {"datasette_" + name: value for name, value in {**built, **load}.items()}


def run(sizes: list[int], seed: int) -> list[dict[str, Any]]:
    results = []
    print(f"appending {APPENDS:,} single-event requests with {CLIENTS} clients ...", file=sys.stderr)
    appended = appends(seed)
    for size in sizes:
        source = generated(size, seed)
        workdir = OUT / f"log-{size}"
        if not (workdir / "accord.db").exists():
            imported(source, size)
        print(f"replaying {size:,} events as NDJSON ...", file=sys.stderr)
        replayed = replay(workdir)
        print(f"searching {size:,} events with {CLIENTS} clients, then during a merge ...", file=sys.stderr)
        searched = search_load(workdir)
        print(f"searching the same facts through Datasette and FTS5 with {CLIENTS} clients ...", file=sys.stderr)
        peer = datasette_load(workdir)
        results.append({"size": size, **appended, **replayed, **searched, **peer,
                        "workers": os.environ.get("ACCORD_WORKERS", "1")})
        print(table(results[-1:]), file=sys.stderr, flush=True)  # each size's figures as soon as they are in
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| events | workers | appends/s (8 clients) | errors | p50 / p99 ms | NDJSON replay events/s | server RSS before / peak / end "
        "| quotes | segments | searches/s (8 clients) | errors | p50 / p95 / p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['workers']} | {r['append_rate']:,.0f} | {r['append_errors']} | {r['append_p50_ms']:.1f} / {r['append_p99_ms']:.1f} "
            f"| {r['replay_rate']:,.0f} | {r['replay_rss_before_mb']:,.0f} / {r['replay_rss_peak_mb']:,.0f} / {r['replay_rss_end_mb']:,.0f} MB "
            f"| {r['quotes']:,} | {r['segments']} | {r['search_rate']:,.0f} | {r['search_errors']} "
            f"| {r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f} / {r['search_p99_ms']:.1f} |"
        )
    lines += [
        "",
        "| events | merge (whole index, another process) s | searches during it | searches/s | errors | p50 / p99 / max ms "
        "| Datasette + FTS5 searches/s | errors | p50 / p95 ms | accord ÷ Datasette searches/s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['merge_seconds']:,.1f} | {r['merge_searches']:,} | {r['merge_search_rate']:,.0f} | {r['merge_errors']} "
            f"| {r['merge_p50_ms']:.1f} / {r['merge_p99_ms']:.1f} / {r['merge_max_ms']:.1f} "
            f"| {r['datasette_rate']:,.1f} | {r['datasette_errors']} | {r['datasette_p50_ms']:.1f} / {r['datasette_p95_ms']:.1f} "
            f"| {r['search_rate'] / r['datasette_rate']:,.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    bench_main(__doc__ or "", lambda args: {}, run, table, "http.json")


if __name__ == "__main__":
    main()
