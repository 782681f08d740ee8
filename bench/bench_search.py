"""Indexing and query speed of the search index, beside a raw SQLite FTS5 baseline.

For each size, enough events are generated for the log to hold about that
many `StatementMade` quotes (about 60 % of the generated facts are
statements) and imported into a fresh log in a temporary directory as
`accord import` does. A child process then rebuilds the Whoosh index from
the log the way `accord rebuild search` does (peak memory is its maximum RSS
at that point), and, in the same process, folds the same facts into a bare
`sqlite3` FTS5 table (porter stemming, diacritics removed) with a side table
of the filter and facet fields.

Both engines then answer one fixed, seeded mix of queries built from words
that occur in the generated quotes: single words, two words, phrases of two
or three consecutive words, misspelled words, a word with a speaker,
publisher or year filter, and four-letter prefixes. Every accord search
computes facets and highlights; its FTS5 counterpart counts the whole match
set, groups it by speaker, publisher, year and type, and ranks the first
page by bm25 with a snippet. FTS5 has no fuzzy matching: a misspelled word
is searched as typed there, so its hit counts are not comparable.

    python -m bench.bench_search --quotes 100000 [--queries 500] [--seed 1] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_log import OUT, generated, peak_mb, run_child

STATEMENT_SHARE = 0.6
"""About this share of the generated events are statements: events to generate per quote wanted."""
KINDS = {"single": 30, "and": 20, "phrase": 20, "fuzzy": 10, "filtered": 10, "prefix": 10}
"""Query kinds and their share of the mix, in per cent."""
WARM_UP = 20
PER_PAGE = 20
QUERY_SEED = 7
SLOWEST = 8
"""How many of the slowest accord queries the table lists."""
FTS_WEIGHTS = (3.0, 2.0, 1.0, 0.5)
"""bm25 column weights, as search_index.query.FIELD_BOOSTS weighs text, names, source and context."""

FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE fts USING fts5(quote, speaker, publisher, context, tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TABLE facts (position INTEGER PRIMARY KEY, type TEXT NOT NULL, year INTEGER NOT NULL,"
    " lower INTEGER NOT NULL, upper INTEGER NOT NULL, speaker TEXT)",
    "CREATE TABLE publishers (position INTEGER NOT NULL, publisher TEXT NOT NULL, PRIMARY KEY (position, publisher))",
)
FTS_FACETS = tuple(
    f"SELECT f.{column}, count(*) AS n FROM temp.matched m CROSS JOIN facts f ON f.position = m.position"
    f" GROUP BY f.{column} ORDER BY n DESC, f.{column} LIMIT 20"
    for column in ("speaker", "year", "type")
) + (
    "SELECT p.publisher, count(*) AS n FROM temp.matched m CROSS JOIN publishers p ON p.position = m.position"
    " GROUP BY p.publisher ORDER BY n DESC, p.publisher LIMIT 20",
)
"""The facet counts over the matches of a query, once they are in temp.matched."""
FTS_INDEXES = (
    "CREATE INDEX ix_facts_speaker ON facts (speaker)",
    "CREATE INDEX ix_publishers_publisher ON publishers (publisher)",
)

_WORDS = re.compile(r"\w+")


def events_for(quotes: int) -> int:
    """How many events to generate for the log to hold about `quotes` statements."""
    return max(1, round(quotes / STATEMENT_SHARE))


def _directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _day(iso: str) -> int:
    return int(iso.replace("-", ""))


# --------------------------------------------------------------------------- indexing


def build_index(database: Path, index_dir: Path) -> dict[str, Any]:
    """Rebuild the Whoosh index from the log as `accord rebuild search` does; return its figures."""
    from events.store import open_store
    from projections import Runner
    from search_index import SearchIndex, SearchProjection

    store = open_store(f"sqlite:///{database}")
    index = SearchIndex(index_dir)
    started = time.perf_counter()
    events = Runner(store, [SearchProjection(index)]).rebuild()
    seconds = time.perf_counter() - started
    peak = peak_mb()
    # Processes a rebuild may start to write segments: the largest one's maximum RSS.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    connection = sqlite3.connect(database)
    quotes = connection.execute("SELECT count(*) FROM events WHERE type = 'StatementMade'").fetchone()[0]
    connection.close()
    searcher = index.searcher()
    documents = searcher.doc_count()
    segments = len(searcher.reader().leaf_readers())
    index.close()
    store.close()
    return {
        "events": events,
        "quotes": quotes,
        "documents": documents,
        "segments": segments,
        "index_seconds": seconds,
        "index_events_rate": events / seconds,
        "index_quotes_rate": quotes / seconds,
        "index_documents_rate": documents / seconds,
        "index_peak_mb": peak,
        "index_workers_peak_mb": workers,
        "index_mb": _directory_mb(index_dir),
    }


@dataclass(frozen=True)
class Statement:
    """What the query mix draws its words and filters from."""

    quote: str
    speaker: str
    publishers: tuple[str, ...]
    year: int


def _fts_rows(database: Path, statements: list[Statement]) -> Iterator[tuple[Any, ...]]:
    """One row per fact of the log: (position, quote, speaker, publisher, context, type, year, lower,
    upper, speaker stream, publishers). Statements are also appended to `statements`; retractions
    come back as (position of the fact retracted,); corrections are left out."""
    from events.store import open_store
    from search_index.documents import FACT_TEXT_FIELDS

    store = open_store(f"sqlite:///{database}")
    names: dict[str, str] = {}
    positions: dict[str, int] = {}
    try:
        for event in store.read_all():
            kind = event.type
            if kind == "FactCorrected":
                continue
            data = event.data
            if kind == "FactRetracted":
                position = positions.pop(data["target"], None)
                if position is not None:
                    yield (position,)
                continue
            if kind == "EntityRegistered":
                names[event.stream] = " ".join([data["name"], *data.get("aliases", ())])
                continue
            sources = event.sources
            publishers = tuple(dict.fromkeys(source["publisher"] for source in sources))
            excerpts = [text for source in sources for text in (source.get("quote"), source.get("title")) if text]
            speaker = None
            if kind == "StatementMade":
                speaker = data["speaker"]
                words = [data["quote"], data.get("original_text"), *excerpts]
                who = " ".join(filter(None, (names.get(speaker, ""), data.get("speaker_description"))))
                context = " ".join(filter(None, (data.get("context"), data.get("medium"))))
                if data.get("language") != "ja":
                    statements.append(Statement(data["quote"], speaker, publishers, int(event.occurred_lower[:4])))
            else:
                words, who = excerpts, ""
                context = " ".join(str(data[name]) for name in FACT_TEXT_FIELDS if isinstance(data.get(name), str))
            positions[event.id] = event.position
            lower, upper = _day(event.occurred_lower), _day(event.occurred_upper)
            yield (
                event.position,
                "\n".join(filter(None, words)),
                who,
                "\n".join(publishers),
                context,
                kind,
                lower // 10000,
                lower,
                upper,
                speaker,
                publishers,
            )
    finally:
        store.close()


def build_fts(database: Path, path: Path) -> tuple[sqlite3.Connection, list[Statement], dict[str, Any]]:
    """Fold the log's facts into a fresh FTS5 table in one transaction; return it open, the statements
    read on the way and the figures."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in FTS_SCHEMA:
        connection.execute(statement)
    statements: list[Statement] = []
    started = time.perf_counter()
    connection.execute("BEGIN")
    for row in _fts_rows(database, statements):
        if len(row) == 1:
            for table, key in (("fts", "rowid"), ("facts", "position"), ("publishers", "position")):
                connection.execute(f"DELETE FROM {table} WHERE {key} = ?", row)
            continue
        position, quote, who, publisher, context, kind, year, lower, upper, speaker, publishers = row
        connection.execute(
            "INSERT INTO fts (rowid, quote, speaker, publisher, context) VALUES (?, ?, ?, ?, ?)",
            (position, quote, who, publisher, context),
        )
        connection.execute("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?)", (position, kind, year, lower, upper, speaker))
        connection.executemany("INSERT INTO publishers VALUES (?, ?)", [(position, p) for p in publishers])
    for statement in FTS_INDEXES:
        connection.execute(statement)
    connection.execute("COMMIT")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    seconds = time.perf_counter() - started
    rows = connection.execute("SELECT count(*) FROM facts").fetchone()[0]
    figures = {"fts_rows": rows, "fts_seconds": seconds, "fts_rows_rate": rows / seconds, "fts_mb": path.stat().st_size / 2**20}
    return connection, statements, figures


DATASETTE_SCHEMA = (
    "CREATE TABLE facts (position INTEGER PRIMARY KEY, quote TEXT, who TEXT, context TEXT, type TEXT NOT NULL,"
    " year INTEGER NOT NULL, lower INTEGER NOT NULL, upper INTEGER NOT NULL, speaker TEXT, publishers TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE facts_fts USING fts5(quote, who, context, content='facts', content_rowid='position',"
    " tokenize='porter unicode61 remove_diacritics 2')",
)
DATASETTE_INDEXES = tuple(f"CREATE INDEX ix_facts_{column} ON facts ({column})" for column in ("speaker", "year", "type"))


def build_datasette_db(database: Path, path: Path) -> dict[str, Any]:
    """The log's facts as a journalist would publish them with Datasette: one table, its words in an
    external-content FTS5 table (as sqlite-utils' enable_fts makes it), publishers as a JSON array."""
    import orjson

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in DATASETTE_SCHEMA:
        connection.execute(statement)
    started = time.perf_counter()
    connection.execute("BEGIN")
    for row in _fts_rows(database, []):
        if len(row) == 1:
            connection.execute("DELETE FROM facts WHERE position = ?", row)
            continue
        position, quote, who, publisher, context, kind, year, lower, upper, speaker, publishers = row
        connection.execute(
            "INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (position, quote, who, context, kind, year, lower, upper, speaker, orjson.dumps(list(publishers)).decode()),
        )
    connection.execute("INSERT INTO facts_fts (rowid, quote, who, context) SELECT position, quote, who, context FROM facts")
    for statement in DATASETTE_INDEXES:
        connection.execute(statement)
    connection.execute("COMMIT")
    rows = connection.execute("SELECT count(*) FROM facts").fetchone()[0]
    connection.close()
    return {"datasette_rows": rows, "datasette_build_seconds": time.perf_counter() - started, "datasette_mb": path.stat().st_size / 2**20}


# --------------------------------------------------------------------------- the query mix


@dataclass(frozen=True)
class Query:
    kind: str
    words: tuple[str, ...]
    """The words as typed, in order."""
    speaker: str | None = None
    publisher: str | None = None
    start: int | None = None
    end: int | None = None

    @property
    def filter(self) -> str:
        """The filter, as the API's parameters would read."""
        if self.speaker is not None:
            return f"speaker={self.speaker}"
        if self.publisher is not None:
            return f"publisher={self.publisher}"
        if self.start is not None:
            return f"from={self.start}&to={self.end}"
        return ""

    @property
    def accord(self) -> str:
        """The query as typed into accord."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "prefix":
            return self.words[0] + "*"
        return " ".join(self.words)

    def datasette(self) -> dict[str, Any]:
        """The same search as Datasette's table view takes it: FTS5 syntax, four facets, 20 rows."""
        found: dict[str, Any] = {"_search": self.fts, "_searchmode": "raw", "_facet": ["speaker", "year", "type"],
                                 "_facet_array": "publishers", "_size": PER_PAGE}
        if self.speaker is not None:
            found["speaker"] = self.speaker
        if self.publisher is not None:
            found["publishers__arraycontains"] = self.publisher
        if self.start is not None and self.end is not None:
            found["upper__gte"], found["lower__lte"] = self.start * 10000 + 101, self.end * 10000 + 1231
        return found

    @property
    def fts(self) -> str:
        """The FTS5 MATCH expression of the same words."""
        if self.kind == "phrase":
            return '"' + " ".join(self.words) + '"'
        if self.kind == "prefix":
            return f'"{self.words[0]}"*'
        return " ".join(f'"{word}"' for word in self.words)


def _tokens(text: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(text)]


def _searchable(word: str) -> bool:
    from search_index.analysis import STOP_WORDS

    return len(word) >= 3 and word.isalpha() and word not in STOP_WORDS


def _misspelled(rng: random.Random, word: str) -> str:
    """`word` with one letter after the first changed or doubled."""
    at = rng.randrange(1, len(word))
    if rng.random() < 0.5:
        return word[:at] + word[at] + word[at:]
    cyrillic = "\u0400" <= word[0] <= "\u04ff"
    letters = "абвгдежзиклмнопрстуфхцчшщыэюя" if cyrillic else "abcdefghijklmnopqrstuvwxyz"
    return word[:at] + rng.choice([c for c in letters if c != word[at]]) + word[at + 1 :]


def _word(rng: random.Random, statements: list[Statement], *, min_length: int = 3) -> str:
    while True:
        words = [w for w in _tokens(rng.choice(statements).quote) if _searchable(w) and len(w) >= min_length]
        if words:
            return rng.choice(words)


def _query(rng: random.Random, kind: str, statements: list[Statement]) -> Query:
    if kind == "single":
        return Query(kind, (_word(rng, statements),))
    if kind == "and":
        return Query(kind, (_word(rng, statements), _word(rng, statements)))
    if kind == "phrase":
        while True:
            tokens = _tokens(rng.choice(statements).quote)
            size = rng.choice((2, 3))
            if len(tokens) < size:
                continue
            at = rng.randrange(len(tokens) - size + 1)
            words = tuple(tokens[at : at + size])
            if any(_searchable(w) for w in words) and all(w.isalpha() for w in words):
                return Query(kind, words)
    if kind == "fuzzy":
        return Query(kind, (_misspelled(rng, _word(rng, statements, min_length=6)),))
    if kind == "prefix":
        return Query(kind, (_word(rng, statements, min_length=5)[:4],))
    statement = rng.choice(statements)
    word = _word(rng, statements)
    which = rng.choice(("speaker", "publisher", "years"))
    if which == "speaker":
        return Query(kind, (word,), speaker=statement.speaker)
    if which == "publisher":
        return Query(kind, (word,), publisher=rng.choice(statement.publishers))
    return Query(kind, (word,), start=statement.year - 2, end=statement.year + 2)


def query_mix(statements: list[Statement], count: int, seed: int = QUERY_SEED) -> list[Query]:
    """`count` queries in the shares of KINDS, shuffled, the same ones for the same statements and seed."""
    rng = random.Random(seed)
    kinds = [kind for kind, share in KINDS.items() for _ in range(round(count * share / 100))]
    kinds = (kinds + [rng.choice(list(KINDS)) for _ in range(count)])[:count]
    rng.shuffle(kinds)
    return [_query(rng, kind, statements) for kind in kinds]


# --------------------------------------------------------------------------- answering


def run_accord(index: Any, query: Query) -> int:
    """Search `index` as the API does (facets and highlights included); return the total."""
    from search_index import SearchRequest, search

    request = SearchRequest(
        q=query.accord,
        speaker=query.speaker,
        publisher=query.publisher,
        start=str(query.start) if query.start is not None else None,
        end=str(query.end) if query.end is not None else None,
        per_page=PER_PAGE,
    )
    results = search(index, request)
    results.to_json()
    return results.total


def run_fts(connection: sqlite3.Connection, query: Query) -> int:
    """The FTS5 counterpart: every match counted and grouped into facets, the first page ranked by
    bm25 with a snippet; return the total.

    The joins are CROSS JOINs, which SQLite never reorders: left to itself, the planner answers a
    GROUP BY speaker or publisher by scanning that column's index over every fact and probing the
    matches, a full scan per query whatever the number of matches."""
    where, parameters = ["fts MATCH ?"], [query.fts]
    if query.speaker is not None:
        where.append("f.speaker = ?")
        parameters.append(query.speaker)
    if query.publisher is not None:
        where.append("EXISTS (SELECT 1 FROM publishers p WHERE p.position = f.position AND p.publisher = ?)")
        parameters.append(query.publisher)
    if query.start is not None and query.end is not None:
        where.append("f.upper >= ? AND f.lower <= ?")
        parameters += [query.start * 10000 + 101, query.end * 10000 + 1231]
    condition = " AND ".join(where)
    connection.execute("DELETE FROM temp.matched")
    connection.execute(
        f"INSERT INTO temp.matched SELECT fts.rowid FROM fts CROSS JOIN facts f ON f.position = fts.rowid WHERE {condition}",
        parameters,
    )
    total: int = connection.execute("SELECT count(*) FROM temp.matched").fetchone()[0]
    for facet in FTS_FACETS:
        connection.execute(facet).fetchall()
    weights = ", ".join(str(w) for w in FTS_WEIGHTS)
    connection.execute(
        f"SELECT fts.rowid, bm25(fts, {weights}), snippet(fts, -1, '<mark>', '</mark>', ' … ', 24)"
        f" FROM fts CROSS JOIN facts f ON f.position = fts.rowid WHERE {condition} ORDER BY bm25(fts, {weights}) LIMIT {PER_PAGE}",
        parameters,
    ).fetchall()
    return total


def percentile(sorted_values: list[float], p: float) -> float:
    """The nearest-rank `p`th percentile of ascending values."""
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(p / 100 * len(sorted_values)) - 1))]


def summary(milliseconds: list[float], totals: list[int]) -> dict[str, float]:
    ordered = sorted(milliseconds)
    return {
        "queries": len(ordered),
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "mean_ms": sum(ordered) / len(ordered),
        "mean_hits": sum(totals) / len(totals),
    }


def run_queries(index: Any, connection: sqlite3.Connection, queries: list[Query], warm_up: list[Query]) -> dict[str, Any]:
    """Time each query on both engines, one after the other; return the summaries overall and per kind,
    and the slowest queries."""
    connection.execute("CREATE TEMP TABLE IF NOT EXISTS matched (position INTEGER PRIMARY KEY)")
    for query in warm_up:
        run_accord(index, query)
        run_fts(connection, query)
    timings: dict[str, dict[str, tuple[list[float], list[int]]]] = {
        engine: {kind: ([], []) for kind in ("all", *KINDS)} for engine in ("accord", "fts5")
    }
    each: list[dict[str, Any]] = []
    for query in queries:
        row: dict[str, Any] = {"kind": query.kind, "q": query.accord, "filter": query.filter}
        for engine, runner, target in (("accord", run_accord, index), ("fts5", run_fts, connection)):
            started = time.perf_counter()
            total = runner(target, query)
            elapsed = (time.perf_counter() - started) * 1000
            row |= {f"{engine}_ms": elapsed, f"{engine}_hits": total}
            for kind in ("all", query.kind):
                timings[engine][kind][0].append(elapsed)
                timings[engine][kind][1].append(total)
        each.append(row)
    figures: dict[str, Any] = {}
    for kind in ("all", *KINDS):
        if not timings["accord"][kind][0]:
            continue
        accord, fts = summary(*timings["accord"][kind]), summary(*timings["fts5"][kind])
        figures[kind] = {
            "accord": accord,
            "fts5": fts,
            "ratio_p50": accord["p50_ms"] / fts["p50_ms"],
            "ratio_mean": accord["mean_ms"] / fts["mean_ms"],
        }
    slowest = sorted(each, key=lambda row: row["accord_ms"], reverse=True)[:SLOWEST]
    phrases = [row for row in each if row["kind"] == "phrase"]
    phrase_hits = {engine: sum(row[f"{engine}_hits"] for row in phrases) for engine in ("accord", "fts5")}
    return {"kinds": figures, "slowest": slowest, "phrase_hits": {"queries": len(phrases), **phrase_hits}}


def measure(database: Path, workdir: Path, queries: int, seed: int = QUERY_SEED) -> dict[str, Any]:
    """Index the log at `database` into `workdir` with both engines, then time the query mix on both."""
    from search_index import SearchIndex

    figures = build_index(database, workdir / "index")
    connection, statements, fts = build_fts(database, workdir / "fts5.db")
    figures |= fts
    mix = query_mix(statements, WARM_UP + queries, seed)
    del statements
    index = SearchIndex(workdir / "index")
    try:
        figures |= run_queries(index, connection, mix[WARM_UP:], mix[:WARM_UP])
    finally:
        index.close()
        connection.close()
    figures["examples"] = {
        query.kind: {"accord": query.accord, "fts5": query.fts, "filter": query.filter} for query in reversed(mix[WARM_UP:])
    }
    figures["queries_peak_mb"] = peak_mb()
    return figures


# --------------------------------------------------------------------------- the command line


def run(sizes: list[int], seed: int, queries: int) -> list[dict[str, Any]]:
    results = []
    for quotes in sizes:
        events = events_for(quotes)
        source = generated(events, seed)
        workdir = Path(tempfile.mkdtemp(prefix=f"accord-bench-search-{quotes}-"))
        try:
            print(f"importing {events:,} events ...", file=sys.stderr)
            imported = run_child("import", str(source), str(workdir))
            print(f"indexing and querying about {quotes:,} quotes ...", file=sys.stderr)
            figures = run_child(str(workdir / "accord.db"), str(workdir), str(queries), module="bench.bench_search")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        results.append(
            {"quotes_asked": quotes, "import_rate": imported["import_rate"], "database_mb": imported["database_mb"]} | figures
        )
    return results


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "Indexing",
        "",
        "| quotes | events | documents | segments | index wall time | quotes/s | documents/s | events/s | index size | index peak RSS (largest worker) "
        "| FTS5 rows | FTS5 rows/s | FTS5 size | log size |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['quotes']:,} | {r['events']:,} | {r['documents']:,} | {r['segments']} | {r['index_seconds']:,.1f} s "
            f"| {r['index_quotes_rate']:,.0f} | {r['index_documents_rate']:,.0f} | {r['index_events_rate']:,.0f} "
            f"| {r['index_mb']:,.1f} MB | {r['index_peak_mb']:,.0f} MB ({r['index_workers_peak_mb']:,.0f} MB) "
            f"| {r['fts_rows']:,} | {r['fts_rows_rate']:,.0f} "
            f"| {r['fts_mb']:,.1f} MB | {r['database_mb']:,.1f} MB |"
        )
    for r in results:
        lines += [
            "",
            f"Queries over {r['quotes']:,} quotes ({r['kinds']['all']['accord']['queries']} queries after {WARM_UP} warm-up, "
            f"{PER_PAGE} per page; accord with facets and highlights, FTS5 with count, four GROUP BY facets and bm25 + snippet; "
            f"query process peak RSS {r['queries_peak_mb']:,.0f} MB)",
            "",
            "| kind | n | accord p50 | p95 | p99 | mean | FTS5 p50 | p95 | p99 | mean | ratio p50 | ratio mean "
            "| accord mean hits | FTS5 mean hits |",
            "|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for kind, k in r["kinds"].items():
            a, f = k["accord"], k["fts5"]
            lines.append(
                f"| {kind} | {a['queries']} | {a['p50_ms']:,.1f} | {a['p95_ms']:,.1f} | {a['p99_ms']:,.1f} | {a['mean_ms']:,.1f} "
                f"| {f['p50_ms']:,.2f} | {f['p95_ms']:,.2f} | {f['p99_ms']:,.2f} | {f['mean_ms']:,.2f} "
                f"| {k['ratio_p50']:,.1f} | {k['ratio_mean']:,.1f} | {a['mean_hits']:,.1f} | {f['mean_hits']:,.1f} |"
            )
        hits = r["phrase_hits"]
        lines += ["", f"Phrase hits over the mix's {hits['queries']} phrases: accord {hits['accord']:,}, FTS5 {hits['fts5']:,} "
                      f"(accord ÷ FTS5 = {hits['accord'] / max(1, hits['fts5']):.3f})"]
        lines += ["", "Latencies in ms. Examples of each kind (accord query / FTS5 MATCH):", ""]
        for kind, example in r["examples"].items():
            where = f" with {example['filter']}" if example["filter"] else ""
            lines.append(f"- {kind}: `{example['accord']}` / `{example['fts5']}`{where}")
        lines += [
            "",
            "The slowest accord queries:",
            "",
            "| kind | query | filter | accord ms | hits | FTS5 ms | hits |",
            "|:---|:---|:---|---:|---:|---:|---:|",
        ]
        for row in r["slowest"]:
            lines.append(
                f"| {row['kind']} | `{row['q']}` | {row['filter']} | {row['accord_ms']:,.1f} | {row['accord_hits']:,} "
                f"| {row['fts5_ms']:,.2f} | {row['fts5_hits']:,} |"
            )
        lines += [
            "",
            "FTS5 has no fuzzy matching: it searches a misspelled word as typed and finds next to nothing, while accord "
            "retries close spellings when fewer than 3 facts match; fuzzy ratios compare different work. Filtered queries "
            "add a speaker, a publisher or a five-year range to one word.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        database, workdir, queries = args[1:]
        print(json.dumps(measure(Path(database), Path(workdir), int(queries))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quotes", type=int, action="append", help="statements the log should hold; repeatable")
    parser.add_argument("--queries", type=int, default=500, help="queries timed on each engine (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    options = parser.parse_args(args)
    results = run(options.quotes or [100_000], options.seed, options.queries)
    OUT.mkdir(exist_ok=True)
    text = json.dumps(results, indent=2)
    (OUT / "search.json").write_text(text)
    if options.json is not None:
        options.json.write_text(text)
    print(table(results))


if __name__ == "__main__":
    main()
