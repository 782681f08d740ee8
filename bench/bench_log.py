"""Import and export speed of the log on SQLite, beside a raw sqlite3 baseline.

For each size, one child process imports the generated file the way `accord
import` does (every line validated, the whole input checked before a byte is
written, hash chain computed, batched transactions), then inserts the very
rows accord stored with a bare `sqlite3` `executemany` in one transaction into
a table of the same columns: the plain baseline, with no index but the rowid,
and the same-schema baseline, with the log's two unique indexes. A second
child exports the log to NDJSON. Peak memory is each child's maximum RSS.

    python -m bench.bench_log --events 100000 --events 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"

PLAIN = """CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT NOT NULL, stream TEXT NOT NULL,
 version INTEGER NOT NULL, type TEXT NOT NULL, occurred TEXT NOT NULL, occurred_lower TEXT NOT NULL,
 occurred_upper TEXT NOT NULL, recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL, data TEXT NOT NULL,
 sources TEXT NOT NULL, metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL{extra})"""
SAME_SCHEMA = ", UNIQUE (id), UNIQUE (stream, version)"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _raw_insert(rows: list[tuple[Any, ...]], path: Path, extra: str) -> float:
    """Rows per second of one executemany transaction into a fresh WAL database."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(PLAIN.format(extra=extra))
    marks = ", ".join("?" * 15)
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(f"INSERT INTO events VALUES ({marks})", rows)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return len(rows) / seconds


def child_import(source: Path, workdir: Path) -> dict[str, Any]:
    from events.ndjson import plan_import, workers_for, write_import
    from events.store import open_store

    database = workdir / "accord.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    store = open_store(f"sqlite:///{database}")
    started = time.perf_counter()
    with source.open("rb") as handle:
        plan = plan_import(handle, store, workers=workers_for(source.stat().st_size))
    checked = time.perf_counter()
    written = write_import(plan, store, recorded_by="bench")
    seconds = time.perf_counter() - started
    peak = peak_mb()
    verify_started = time.perf_counter()
    assert store.verify().ok
    verify_seconds = time.perf_counter() - verify_started
    store.close()

    connection = sqlite3.connect(database)
    rows = connection.execute("SELECT * FROM events ORDER BY position").fetchall()
    connection.close()
    plain = _raw_insert(rows, workdir / "raw-plain.db", "")
    same = _raw_insert(rows, workdir / "raw-same-schema.db", SAME_SCHEMA)
    return {
        "parse_rate": _parse_rate(source),
        "events": written,
        "import_seconds": seconds,
        "check_seconds": checked - started,
        "import_rate": written / seconds,
        "import_peak_mb": peak,
        "verify_rate": written / verify_seconds,
        "raw_plain_rate": plain,
        "raw_same_schema_rate": same,
        "ratio_plain": written / seconds / plain,
        "ratio_same_schema": written / seconds / same,
        "database_mb": database.stat().st_size / 2**20,
    }


def _parse_rate(source: Path, lines: int = 100_000) -> float:
    """Lines per second that one core parses, validates and normalises (`parse_line`), nothing else:
    what the import's worker processes do for each line before anything can be written."""
    from events.ndjson import parse_line

    with source.open("rb") as handle:
        sample = [line for line, _ in zip(handle, range(lines), strict=False)]
    parse_line(sample[0])
    started = time.perf_counter()
    for line in sample:
        parse_line(line)
    return len(sample) / (time.perf_counter() - started)


def child_export(workdir: Path) -> dict[str, Any]:
    from events.ndjson import export_ndjson
    from events.store import open_store

    store = open_store(f"sqlite:///{workdir / 'accord.db'}")
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        count = export_ndjson(store, sink)
    seconds = time.perf_counter() - started
    store.close()
    return {"exported": count, "export_rate": count / seconds, "export_peak_mb": peak_mb()}


def run_child(*args: str, module: str = "bench.bench_log") -> dict[str, Any]:
    """Run `module --child args` in a fresh process (so its peak RSS is its own); return its JSON figures."""
    result = subprocess.run([sys.executable, "-m", module, "--child", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def generated(size: int, seed: int) -> Path:
    """The NDJSON file of `size` generated events, written the first time it is asked for."""
    from bench.generate import write_ndjson

    OUT.mkdir(exist_ok=True)
    source = OUT / f"events-{size}-seed{seed}.ndjson"
    if not source.exists():
        print(f"generating {size:,} events ...", file=sys.stderr)
        write_ndjson(source, size, seed=seed)
    return source


def imported(source: Path, size: int) -> tuple[Path, dict[str, Any]]:
    """Import `source` into a fresh log as `accord import` does; return its directory and the figures."""
    workdir = OUT / f"log-{size}"
    workdir.mkdir(exist_ok=True)
    print(f"importing {size:,} events ...", file=sys.stderr)
    return workdir, run_child("import", str(source), str(workdir))


def run(sizes: list[int], seed: int) -> list[dict[str, Any]]:
    results = []
    for size in sizes:
        source = generated(size, seed)
        workdir, figures = imported(source, size)
        figures = {"size": size, "file_mb": source.stat().st_size / 2**20} | figures
        print(f"exporting {size:,} events ...", file=sys.stderr)
        figures |= run_child("export", str(workdir))
        results.append(figures)
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| events | import events/s | raw sqlite3, plain table | ratio | raw sqlite3, same indexes | ratio | import peak RSS | export events/s | export peak RSS | verify events/s | lines parsed/s, one core |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {r['import_rate']:,.0f} | {r['raw_plain_rate']:,.0f} | {r['ratio_plain']:.2f} "
            f"| {r['raw_same_schema_rate']:,.0f} | {r['ratio_same_schema']:.2f} | {r['import_peak_mb']:,.0f} MB "
            f"| {r['export_rate']:,.0f} | {r['export_peak_mb']:,.0f} MB | {r['verify_rate']:,.0f} | {r['parse_rate']:,.0f} |"
        )
    return "\n".join(lines)


def bench_main(
    description: str,
    child: Callable[[list[str]], dict[str, Any]],
    run: Callable[[list[int], int], list[dict[str, Any]]],
    table: Callable[[list[dict[str, Any]]], str],
    results_file: str,
) -> None:
    """The command line every benchmark shares: `--events N` (repeatable) and `--seed`, or `--child ARGS`."""
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="log size to measure; repeatable")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    results = run(options.events or [100_000], options.seed)
    (OUT / results_file).write_text(json.dumps(results, indent=2))
    print(table(results))


def _child(args: list[str]) -> dict[str, Any]:
    kind, *paths = args
    return child_import(Path(paths[0]), Path(paths[1])) if kind == "import" else child_export(Path(paths[0]))


def main() -> None:
    bench_main(__doc__ or "", _child, run, table, "log.json")


if __name__ == "__main__":
    main()
