"""Segments merged by concatenation read exactly as Whoosh's own merge writes them, and searches go on
while a merge runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from whoosh.writing import OPTIMIZE, SegmentWriter

from bench.generate import generate
from events.store import open_store
from projections import Runner
from search_index import SearchIndex, SearchProjection, SearchRequest, search
from search_index.index import CODEC
from search_index.merging import smallest
from search_index.scoring import scored
from search_index.search import _Found
from tests.projections.test_runner import import_requests
from tests.search.test_scoring import queries


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of several segments, some with deleted documents (corrections and retractions)."""
    folder = tmp_path_factory.mktemp("merging")
    store = open_store(f"sqlite:///{folder}/accord.db")
    import_requests(store, generate(1_200, seed=33))
    index = SearchIndex(folder / "index")
    index.background_merges = False
    runner = Runner(store, [SearchProjection(index)], batch_size=250)
    runner.start()
    runner.catch_up()
    store.close()
    searcher = index.searcher()
    assert len(searcher.leaf_searchers()) >= 4 and searcher.reader().has_deletions()
    index.close()
    return folder / "index"


def copied(written: Path, tmp_path: Path, name: str) -> SearchIndex:
    shutil.copytree(written, tmp_path / name)
    index = SearchIndex(tmp_path / name)
    index.background_merges = False
    return index


def contents(index: SearchIndex) -> dict[str, object]:
    """Everything a segment holds, as readers see it: documents, columns, lengths and every posting."""
    searcher = index.searcher()
    reader = searcher.reader()
    [(segment, _)] = reader.leaf_readers()
    postings = {}
    for field, text in sorted(reader.all_terms()):
        info = reader.term_info(field, text)
        matcher = reader.postings(field, text)
        items = list(matcher.items_as("positions")) if field in ("text", "about") else [(i, None) for i in matcher.all_ids()]
        postings[(field, text)] = (info.doc_frequency(), round(info.weight(), 2), info.min_length(), info.max_length(),
                                   info.max_weight(), info.min_id(), info.max_id(), items)
    n = reader.doc_count_all()
    return {
        "count": n,
        "deleted": reader.has_deletions(),
        "stored": [reader.stored_fields(d) for d in range(n)],
        "briefs": list(segment.column_reader("brief")),
        "lengths": {f: [reader.doc_field_length(d, f) for d in range(n)] for f in ("text", "about", "entities")},
        "totals": {f: reader.field_length(f) for f in ("text", "about", "entities")},
        "postings": postings,
    }


def test_a_concatenated_segment_is_the_one_whoosh_merges(written: Path, tmp_path: Path) -> None:
    ours, whooshs = copied(written, tmp_path, "ours"), copied(written, tmp_path, "whoosh")
    assert ours.merge() >= 4
    with whooshs._locked():
        SegmentWriter(whooshs._index(), _lk=False, codec=CODEC).commit(mergetype=OPTIMIZE)
    assert ours.segments() == whooshs.segments() == 1
    mine, theirs = contents(ours), contents(whooshs)
    assert mine["postings"] == theirs["postings"]
    assert mine == theirs
    for text in queries(ours):
        a, b = scored(ours.searcher(), _parsed(ours, text)), scored(whooshs.searcher(), _parsed(whooshs, text))
        assert a is not None and b is not None and a.docs.tolist() == b.docs.tolist(), text
        assert np.allclose(a.scores, b.scores), text
    assert search(ours, SearchRequest(q="")).to_json() == search(whooshs, SearchRequest(q="")).to_json()


def _parsed(index: SearchIndex, text: str):  # type: ignore[no-untyped-def]
    from search_index.query import parse

    return parse(index.searcher().schema, text).query


def test_the_smallest_segments_merge_down_to_four(written: Path, tmp_path: Path) -> None:
    index = copied(written, tmp_path, "index")
    before = index.segments()
    total = search(index, SearchRequest(q="")).total
    assert index.merge(smallest) == before - 3 and index.segments() == 4
    assert index.merge(smallest) == 0
    assert search(index, SearchRequest(q="")).total == total


def test_searches_answer_throughout_a_merge_in_another_process(written: Path, tmp_path: Path) -> None:
    index = copied(written, tmp_path, "index")
    expected = {q: _Found.of(index.searcher(), _parsed(index, q), _no_filters()).total for q in queries(index)[:30]}
    merging = subprocess.Popen([sys.executable, "-m", "search_index", "merge", str(index.path), "--all"])
    errors: list[BaseException] = []
    answered = 0

    def searching() -> None:
        nonlocal answered
        try:
            while merging.poll() is None or not answered:
                for q, total in expected.items():
                    assert search(index, SearchRequest(q=q)).total >= 0
                    answered += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=searching)
    thread.start()
    assert merging.wait(120) == 0
    thread.join()
    assert not errors and answered
    assert index.segments() == 1
    assert {q: search(index, SearchRequest(q=q)).total for q in expected} == {
        q: _Found.of(index.searcher(), _parsed(index, q), _no_filters()).total for q in expected
    }


def _no_filters():  # type: ignore[no-untyped-def]
    from search_index.query import Filters

    return Filters()


def test_commits_that_pile_up_segments_are_merged_in_the_background(searchable) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import statement

    for n in range(20):  # each append commits a segment of its own
        searchable.append("org-cern", statement(f"detector number {n}", speaker="anonymous", speaker_description="x"))
        assert searchable.index.segments() <= 2 * 4 + 1
    merging = searchable.index._merging
    assert merging is not None
    merging.join(60)
    assert searchable.search("detector").total == 20
