"""Proofs over a large log: built, served over HTTP, checked offline.

For each size: the log `bench.bench_log` imports (generated, imported as
`accord import` does, which keeps the Merkle tree as it appends); `accord
migrate` timed building the tree where the log has none yet (a log imported
before the tree existed: `--rebuild-tree` drops it first, to time that on
any log); a key and a checkpoint of the head (`accord key create`, `accord
checkpoint`); the read models rebuilt if they lag (`accord rebuild all`), so
that the server's catch-up does not compete; then `accord serve` answers `GET /events/{id}/proof` for
events drawn at random over the whole log, one client on one kept-alive
connection, after a warm-up, and the server's CPU time per proof is read
from /proc; as many requests of `GET /checkpoint/key`, which reads nothing,
are the baseline: what any request costs on the machine at that moment. Last, bundles (`GET /events/{id}/bundle`) are checked as `accord
check-proof` checks them (signature, event hash, leaf hash, inclusion:
`events.proofs.check_bundle`), each timed in this process.

    python -m bench.bench_proofs --events 1000000
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

import orjson

from bench.bench_http import Loopback, _accord, _lagging, cpu_seconds, serving
from bench.bench_log import OUT, bench_main, generated, imported

PROOFS = 2000
BUNDLES = 500
WARM_UP = 100


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def _tree_state(database: Path) -> tuple[int, int, int]:
    """Events, tree rows, and the bytes of hashes the tree stores."""
    with sqlite3.connect(database) as connection:
        events = connection.execute("SELECT max(position) FROM events").fetchone()[0] or 0
        rows, stored = connection.execute("SELECT count(*), sum(length(hashes)) FROM merkle_nodes").fetchone()
    return events, rows, stored or 0


def _drop_tree(database: Path) -> None:
    """Empty the tree as a log from before it would be (the table is append-only: its triggers go first)."""
    with sqlite3.connect(database) as connection:
        for action in ("update", "delete"):
            connection.execute(f"DROP TRIGGER IF EXISTS merkle_nodes_no_{action}")
            connection.execute(f"DROP TRIGGER IF EXISTS checkpoints_no_{action}")
        connection.execute("DELETE FROM merkle_nodes")
        connection.execute("DELETE FROM checkpoints")


def proofs_over(workdir: Path, seed: int, *, rebuild_tree: bool, proofs: int = PROOFS, bundles_checked: int = BUNDLES) -> dict[str, Any]:
    from events.notes import parse_verifier
    from events.proofs import check_bundle

    database = workdir / "accord.db"
    figures: dict[str, Any] = {}
    if rebuild_tree:
        _drop_tree(database)
    events, rows, _ = _tree_state(database)
    if rows < events:
        started = time.perf_counter()
        _accord("migrate", data=workdir)
        seconds = time.perf_counter() - started
        figures |= {"tree_built": events - rows, "tree_build_seconds": seconds, "tree_build_rate": (events - rows) / seconds}
    events, rows, stored = _tree_state(database)
    assert rows == events, f"the tree holds {rows} of {events} events"
    figures |= {"events": events, "tree_bytes_per_event": stored / events}
    if not (workdir / "signing-key.pem").exists():
        _accord("key", "create", data=workdir)
    _accord("checkpoint", data=workdir)
    if _lagging(workdir):  # a node whose read models lag folds them first, competing with the proofs
        _accord("rebuild", "all", data=workdir)
    rng = random.Random(seed)
    positions = [rng.randint(1, events) for _ in range(WARM_UP + proofs + bundles_checked)]
    with sqlite3.connect(database) as connection:
        ids = {p: i for p, i in connection.execute(
            f"SELECT position, id FROM events WHERE position IN ({','.join(map(str, set(positions)))})"
        )}
    wanted = [ids[p] for p in positions]
    latencies: list[float] = []
    bundles: list[bytes] = []
    with serving(workdir) as (base, pid), Loopback(base) as http:
        for event_id in wanted[:WARM_UP]:
            http.request("GET", f"/events/{event_id}/proof")
        cpu = cpu_seconds(pid)
        for event_id in wanted[WARM_UP : WARM_UP + proofs]:
            started = time.perf_counter()
            status, body = http.request("GET", f"/events/{event_id}/proof")
            latencies.append(time.perf_counter() - started)
            assert status == 200, body
        cpu = cpu_seconds(pid) - cpu
        floor: list[float] = []  # the baseline: as many requests of a route that reads nothing
        for _ in range(proofs):
            started = time.perf_counter()
            http.request("GET", "/checkpoint/key")
            floor.append(time.perf_counter() - started)
        for event_id in wanted[WARM_UP + proofs :]:
            status, body = http.request("GET", f"/events/{event_id}/bundle")
            assert status == 200, body
            bundles.append(body)
        status, key_text = http.request("GET", "/checkpoint/key")
    verifier = parse_verifier(key_text.decode())
    checks: list[float] = []
    for body in bundles:
        started = time.perf_counter()
        check_bundle(orjson.loads(body), verifier)
        checks.append(time.perf_counter() - started)
    proof = orjson.loads(bundles[0])["proof"]
    return figures | {
        "proofs": len(latencies),
        "proof_p50_ms": statistics.median(latencies) * 1000,
        "proof_p95_ms": _percentile(latencies, 0.95) * 1000,
        "proof_p99_ms": _percentile(latencies, 0.99) * 1000,
        "proof_server_cpu_ms": cpu / len(latencies) * 1000,
        "floor_p50_ms": statistics.median(floor) * 1000,
        "floor_p95_ms": _percentile(floor, 0.95) * 1000,
        "audit_path_hashes": len(proof["audit_path"]),
        "bundles_checked": len(checks),
        "check_p50_ms": statistics.median(checks) * 1000,
        "check_p95_ms": _percentile(checks, 0.95) * 1000,
    }


def run(sizes: list[int], seed: int, *, rebuild_tree: bool = False) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        source = generated(size, seed)
        workdir = OUT / f"log-{size}"
        imported_figures: dict[str, Any] = {}
        if not (workdir / "accord.db").exists():
            _, imported_figures = imported(source, size)
        results.append({"size": size, "import_rate": imported_figures.get("import_rate"), **proofs_over(workdir, seed, rebuild_tree=rebuild_tree)})
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| events | tree built by `accord migrate` | tree bytes / event | proof p50 / p95 / p99 ms (1 client, HTTP) "
        "| server CPU / proof | baseline p50 / p95 ms (`/checkpoint/key`) | audit path | bundle checked p50 / p95 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        built = f"{r['tree_build_rate']:,.0f} events/s" if "tree_build_rate" in r else "(kept by the import)"
        lines.append(
            f"| {r['events']:,} | {built} | {r['tree_bytes_per_event']:.1f} "
            f"| {r['proof_p50_ms']:.2f} / {r['proof_p95_ms']:.2f} / {r['proof_p99_ms']:.2f} | {r['proof_server_cpu_ms']:.2f} ms "
            f"| {r['floor_p50_ms']:.2f} / {r['floor_p95_ms']:.2f} "
            f"| {r['audit_path_hashes']} hashes | {r['check_p50_ms']:.3f} / {r['check_p95_ms']:.3f} |"
        )
    return "\n".join(lines)


def main() -> None:
    import sys

    rebuild = "--rebuild-tree" in sys.argv
    if rebuild:
        sys.argv.remove("--rebuild-tree")
    bench_main(__doc__ or "", lambda args: {}, lambda sizes, seed: run(sizes, seed, rebuild_tree=rebuild), table, "proofs.json")


if __name__ == "__main__":
    main()
