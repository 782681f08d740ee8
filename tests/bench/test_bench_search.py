"""The search benchmark at a tiny size: every figure present and sane, the query mix as promised."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from typing import Any

import pytest

from bench.bench_log import child_import
from bench.bench_search import (
    FTS_FACETS,
    KINDS,
    Query,
    Statement,
    _misspelled,
    events_for,
    measure,
    percentile,
    query_mix,
    table,
)
from bench.generate import write_ndjson

QUOTES = 300
QUERIES = 30
SEED = 3


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("bench-search")
    source = workdir / "events.ndjson"
    write_ndjson(source, events_for(QUOTES), seed=SEED)
    imported = child_import(source, workdir)
    return (
        {"workdir": workdir}
        | {"quotes_asked": QUOTES, "import_rate": imported["import_rate"], "database_mb": imported["database_mb"]}
        | measure(workdir / "accord.db", workdir, QUERIES)
    )


def test_indexing_figures_are_positive(figures: dict[str, Any]) -> None:
    assert 0.5 * QUOTES < figures["quotes"] < 1.5 * QUOTES
    assert figures["events"] == events_for(QUOTES)
    assert figures["documents"] > figures["quotes"]
    for name in (
        "index_quotes_rate",
        "index_documents_rate",
        "index_events_rate",
        "index_mb",
        "index_peak_mb",
        "fts_rows_rate",
        "fts_mb",
    ):
        assert figures[name] > 0, name
    assert figures["index_workers_peak_mb"] >= 0
    assert figures["quotes"] <= figures["fts_rows"] <= figures["events"]


def test_latencies_are_ordered_and_cover_every_query(figures: dict[str, Any]) -> None:
    kinds = figures["kinds"]
    assert kinds["all"]["accord"]["queries"] == kinds["all"]["fts5"]["queries"] == QUERIES
    assert sum(k["accord"]["queries"] for name, k in kinds.items() if name != "all") == QUERIES
    for name, kind in kinds.items():
        for engine in ("accord", "fts5"):
            s = kind[engine]
            assert 0 < s["p50_ms"] <= s["p95_ms"] <= s["p99_ms"], (name, engine)
            assert s["p50_ms"] <= s["p99_ms"] and 0 < s["mean_ms"] <= s["p99_ms"], (name, engine)
        assert kind["ratio_p50"] > 0 and kind["ratio_mean"] > 0


def test_both_engines_find_single_words(figures: dict[str, Any]) -> None:
    single = figures["kinds"]["single"]
    assert single["accord"]["mean_hits"] >= 1 and single["fts5"]["mean_hits"] >= 1
    assert figures["kinds"]["prefix"]["fts5"]["mean_hits"] >= 1


def test_the_table_shows_every_kind(figures: dict[str, Any]) -> None:
    text = table([figures])
    for kind in ("all", *KINDS):
        assert f"| {kind} |" in text
    assert "FTS5 has no fuzzy matching" in text
    slowest = figures["slowest"]
    assert slowest and [row["accord_ms"] for row in slowest] == sorted((row["accord_ms"] for row in slowest), reverse=True)
    assert f"`{slowest[0]['q']}`" in text


def test_facet_counts_walk_the_matches_not_every_fact(figures: dict[str, Any]) -> None:
    connection = sqlite3.connect(figures["workdir"] / "fts5.db")
    try:
        connection.execute("CREATE TEMP TABLE matched (position INTEGER PRIMARY KEY)")
        for facet in FTS_FACETS:
            plan = [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {facet}")]
            assert plan[0] == "SCAN m", plan
    finally:
        connection.close()


STATEMENTS = [
    Statement("The council voted to renew the cooperation agreement with Dubna", "person-a", ("Nature",), 2022),
    Statement("Мы надеемся сохранить научное сотрудничество", "person-b", ("ТАСС", "Interfax"), 2023),
]


def test_the_query_mix_is_seeded_and_keeps_its_shares() -> None:
    mix = query_mix(STATEMENTS, 200)
    assert mix == query_mix(STATEMENTS, 200)
    assert mix != query_mix(STATEMENTS, 200, seed=8)
    counts = Counter(query.kind for query in mix)
    assert counts == {kind: share * 2 for kind, share in KINDS.items()}
    words = {word for s in STATEMENTS for word in s.quote.lower().split()}
    for query in mix:
        if query.kind in ("single", "and", "filtered"):
            assert set(query.words) <= words
        elif query.kind == "prefix":
            assert len(query.words[0]) == 4 and any(word.startswith(query.words[0]) for word in words)
        elif query.kind == "phrase":
            assert " ".join(query.words) in " ".join(s.quote.lower() for s in STATEMENTS)
        elif query.kind == "fuzzy":
            assert query.words[0] not in words
    filters = [q for q in mix if q.kind == "filtered"]
    assert all(q.speaker or q.publisher or (q.start is not None and q.end is not None) for q in filters)


def test_queries_as_each_engine_reads_them() -> None:
    assert Query("phrase", ("renew", "the")).accord == '"renew the"' == Query("phrase", ("renew", "the")).fts
    assert Query("and", ("council", "dubna")).fts == '"council" "dubna"'
    assert (Query("prefix", ("coop",)).accord, Query("prefix", ("coop",)).fts) == ("coop*", '"coop"*')


def test_misspelled_words_keep_their_first_letter_and_script() -> None:
    rng = random.Random(1)
    for word in ("cooperation", "сотрудничество") * 20:
        wrong = _misspelled(rng, word)
        assert wrong != word and wrong[0] == word[0] and len(wrong) - len(word) in (0, 1)
        assert wrong.isascii() == word.isascii()


def test_percentiles_by_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([3.0], 99) == 3.0


def test_events_to_generate_for_the_quotes_asked() -> None:
    assert events_for(600) == 1000 and events_for(0) == 1
