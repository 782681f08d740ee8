"""Rebuild speed of the projections on SQLite, beside a raw sqlite3 fold of the same log.

For each size, a child process takes the log `bench.bench_log` imported (it
imports one first if there is none), rebuilds every projection from position
0 the way `accord rebuild projections` does, then resets them and catches up
again in the server's small batches, and checks that both reach the same
state (equal digests). The baseline, in the same process, is the least a
timeline fold can do with bare `sqlite3`: read every event in position order
and insert one row per fact into a table indexed by stream and date, in one
transaction. Peak memory is the child's maximum RSS.

    python -m bench.bench_projections --events 100000 --events 1000000
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from bench.bench_log import OUT, bench_main, generated, imported, peak_mb, run_child

BASELINE = """CREATE TABLE timeline (position INTEGER PRIMARY KEY, id TEXT NOT NULL, stream TEXT NOT NULL,
 type TEXT NOT NULL, occurred_lower TEXT NOT NULL, occurred_upper TEXT NOT NULL, recorded_at TEXT NOT NULL)"""


def _raw_fold(database: Path, path: Path) -> float:
    """Events per second of a bare sqlite3 read-and-insert of one row per event."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    source = sqlite3.connect(database)
    target = sqlite3.connect(path, isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    target.execute(BASELINE)
    target.execute("CREATE INDEX ix_timeline ON timeline (stream, occurred_lower, position)")
    started = time.perf_counter()
    rows = source.execute(
        "SELECT position, id, stream, type, occurred_lower, occurred_upper, recorded_at FROM events ORDER BY position"
    )
    target.execute("BEGIN")
    target.executemany("INSERT INTO timeline VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    target.execute("COMMIT")
    count = target.execute("SELECT count(*) FROM timeline").fetchone()[0]
    seconds = time.perf_counter() - started
    source.close()
    target.close()
    return count / seconds


def child_rebuild(workdir: Path) -> dict[str, Any]:
    from events.store import open_store
    from projections import FactsProjection, Runner

    database = workdir / "accord.db"
    store = open_store(f"sqlite:///{database}")
    projections = [FactsProjection(store.engine)]
    runner = Runner(store, projections)
    started = time.perf_counter()
    rebuilt = runner.rebuild()
    seconds = time.perf_counter() - started
    peak = peak_mb()
    digests = [p.digest() for p in projections]

    for projection in projections:
        projection.reset()
    incremental_started = time.perf_counter()
    runner.catch_up()
    incremental_seconds = time.perf_counter() - incremental_started
    assert [p.digest() for p in projections] == digests, "incremental catch-up and rebuild disagree"
    store.close()

    raw = _raw_fold(database, workdir / "raw-fold.db")
    rate = rebuilt / seconds
    return {
        "events": rebuilt,
        "rebuild_rate": rate,
        "rebuild_peak_mb": peak,
        "catch_up_rate": rebuilt / incremental_seconds,
        "raw_fold_rate": raw,
        "ratio_raw": rate / raw,
        "database_mb": database.stat().st_size / 2**20,
    }


def run(sizes: list[int], seed: int) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        workdir = OUT / f"log-{size}"
        if not (workdir / "accord.db").exists():
            workdir, _ = imported(generated(size, seed), size)
        print(f"rebuilding projections over {size:,} events ...", file=sys.stderr)
        results.append({"size": size} | run_child(str(workdir), module="bench.bench_projections"))
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| events | rebuild events/s | raw sqlite3 fold | ratio | catch-up in 2,000-event batches | rebuild peak RSS | database |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['rebuild_rate']:,.0f} | {r['raw_fold_rate']:,.0f} | {r['ratio_raw']:.2f} "
            f"| {r['catch_up_rate']:,.0f} | {r['rebuild_peak_mb']:,.0f} MB | {r['database_mb']:,.0f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    bench_main(__doc__ or "", lambda args: child_rebuild(Path(args[0])), run, table, "projections.json")


if __name__ == "__main__":
    main()
