"""The array scorer agrees with Whoosh: the same documents, the same BM25F scores (a prefix excepted, which
weighs here as the words it stands for), the same phrases."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec
from whoosh.formats import Positions

import search_index.index
from bench.generate import generate
from events.store import open_store
from projections import Runner
from search_index import SearchIndex, SearchProjection
from search_index.analysis import STOP_WORDS
from search_index.codec import ArrayCodec, position_deltas
from search_index.postings import DecodedCache
from search_index.query import parse
from search_index.scoring import scored
from search_index.vocabulary import words_within
from tests.projections.test_runner import import_requests


@pytest.fixture(scope="module", params=["array blocks", "Whoosh's blocks"])
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    """An index written in accord's postings format, or in Whoosh's (as indexes written before it were)."""
    folder = tmp_path_factory.mktemp("scoring")
    store = open_store(f"sqlite:///{folder}/accord.db")
    import_requests(store, generate(1_500, seed=21))
    index = SearchIndex(folder / "index")
    index.background_merges = False  # several segments, and deletions from amendments, kept as written
    projection = SearchProjection(index)
    runner = Runner(store, [projection], batch_size=300)
    with pytest.MonkeyPatch.context() as patch:
        if request.param == "Whoosh's blocks":
            patch.setattr(search_index.index, "CODEC", W3Codec())
        runner.start()
        runner.catch_up()
    store.close()
    codecs = {type(leaf.reader().segment().codec()) for leaf, _ in index.searcher().leaf_searchers()}
    assert codecs == {W3Codec if request.param == "Whoosh's blocks" else ArrayCodec}
    return index


def queries(index: SearchIndex) -> list[str]:
    rng = random.Random(5)
    quotes = [fields["record"] for fields in index.searcher().documents() if "record" in fields]
    words = [w for text in rng.sample(quotes, 60) for w in re.findall(r"\w+", text)
             if len(w) > 2 and not w.isdigit() and w.lower() not in STOP_WORDS]
    picked = []
    # Phrases of the commonest words: many documents hold both, few side by side.
    common = sorted(index.searcher().reader().most_frequent_terms("text", number=12))
    commons = [text.decode() for _, text in common]
    picked += [f'"{a} {b}"' for a, b in zip(commons, commons[1:], strict=False)] + [f'"{commons[0]} {commons[1]} {commons[2]}"']
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
        q = parse(searcher.schema, text).query
        assert q is not None
        mine = scored(searcher, q)
        assert mine is not None, text
        theirs = {docnum: score for score, docnum in searcher.search(q, limit=None).top_n}
        assert mine.docs.tolist() == sorted(theirs), text
        if not text.endswith("*"):  # Whoosh gives every prefix match 1.0; here it weighs as the words it stands for
            assert np.allclose(mine.scores, [theirs[d] for d in mine.docs.tolist()]), text
        checked += bool(theirs)
    assert checked > 100


def test_positions_decode_as_whoosh_does() -> None:
    """The values of many postings unpickle in one call: one position, several, more than a pickle's
    batch of 1,000, large gaps; and values not of the usual shape decode one by one."""
    form = Positions()
    runs = [[0], [3, 9], list(range(0, 2500, 2)), [5, 300, 70_000, 70_001], [1]]
    expected = [step for run in runs for step in np.diff([0, *run]).tolist()]

    def decoded(values: list[bytes]) -> tuple[list[int], list[int]]:
        ends = np.cumsum([0, *map(len, values)])
        count, deltas = position_deltas(b"".join(values), ends, form)
        return count.tolist(), deltas.tolist()

    values = [form.encode(run) for run in runs]
    assert decoded(values) == ([len(run) for run in runs], expected)
    unusual = [*values[:-1], values[-1][:-1]]  # without the pickle's STOP, which Whoosh also reads
    assert decoded(unusual) == ([len(run) for run in runs], expected)


def test_close_words_are_those_whoosh_finds(index: SearchIndex) -> None:
    """The vocabulary lists and RapidFuzz find the words Whoosh's `terms_within` finds, misspelled or not."""
    searcher = index.searcher()
    reader = searcher.reader()
    segments = [leaf.reader() for leaf, _ in searcher.leaf_searchers()]
    rng = random.Random(2)
    words = [text.decode() for _, text in reader.most_frequent_terms("text", number=400)]
    typed = [*words[:150], *(w[:i] + w[i + 1 :] for w in words[150:250] for i in [rng.randrange(2, max(3, len(w)))]),
             *(w[:2] + w[3:2:-1] + w[4:] for w in words[250:] if len(w) > 4)]
    found = 0
    for word in typed:
        for field in ("text", "about"):
            for distance in (1, 2):
                mine = words_within(segments, field, word, distance, prefix=2)
                assert mine == set(reader.terms_within(field, word, distance, prefix=2)), (word, field, distance)
                found += len(mine)
    assert found > 500


def test_the_cache_of_decoded_postings_keeps_to_its_bound() -> None:
    cache = DecodedCache(max_bytes=10_000)
    for n in range(20):
        cache.put(("word", n), (np.zeros(100, dtype=np.int64),))  # 800 bytes each
    assert cache.held <= 10_000 and cache.get(("word", 19)) is not None and cache.get(("word", 0)) is None
    kept = cache.get(("word", 19))
    assert kept is not None and not kept[0].flags.writeable  # shared by every search: read-only
    cache.resize(2_000)
    assert cache.held <= 2_000 and list(cache.entries) == [("word", 18), ("word", 19)]
    cache.put(("big",), (np.zeros(1_000, dtype=np.int64),))  # more than a quarter of the bound: not kept
    assert cache.get(("big",)) is None
