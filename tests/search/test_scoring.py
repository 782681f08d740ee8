"""The array scorer agrees with Whoosh: the same documents, the same BM25F scores (a prefix excepted, which
weighs here as the words it stands for), the same phrases."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from bench.generate import generate
from events.store import open_store
from projections import Runner
from search_index import SearchIndex, SearchProjection
from search_index.analysis import STOP_WORDS
from search_index.query import parse
from search_index.scoring import scored
from tests.projections.test_runner import import_requests


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("scoring")
    store = open_store(f"sqlite:///{folder}/accord.db")
    import_requests(store, generate(1_500, seed=21))
    index = SearchIndex(folder / "index")
    projection = SearchProjection(index)
    runner = Runner(store, [projection], batch_size=300)  # several segments, and deletions from amendments
    runner.start()
    runner.catch_up()
    store.close()
    return index


def queries(index: SearchIndex) -> list[str]:
    rng = random.Random(5)
    quotes = [fields["record"] for fields in index.searcher().documents() if "record" in fields]
    words = [w for text in rng.sample(quotes, 60) for w in re.findall(r"\w+", text)
             if len(w) > 2 and not w.isdigit() and w.lower() not in STOP_WORDS]
    picked = []
    for _ in range(40):
        start = rng.randrange(len(words) - 3)
        picked += [words[start], f"{words[start]} {words[start + 2]}", f'"{words[start]} {words[start + 1]}"',
                   f'"{" ".join(words[start:start + 3])}"', f"{words[start][:3]}*", f"{words[start]} OR {words[start + 1]}"]
    return picked


def test_documents_and_scores_match_whoosh(index: SearchIndex) -> None:
    searcher = index.searcher()
    assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
    checked = 0
    for text in queries(index):
        q = parse(searcher.schema, text)
        assert q is not None
        mine = scored(searcher, q)
        assert mine is not None, text
        theirs = {docnum: score for score, docnum in searcher.search(q, limit=None).top_n}
        assert mine.docs.tolist() == sorted(theirs), text
        if not text.endswith("*"):  # Whoosh gives every prefix match 1.0; here it weighs as the words it stands for
            assert np.allclose(mine.scores, [theirs[d] for d in mine.docs.tolist()]), text
        checked += bool(theirs)
    assert checked > 100
