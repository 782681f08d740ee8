"""accord's postings format reads back exactly what Whoosh's own format does: every term's ids,
weights and values, Whoosh's searches and phrases, and merges of segments in both formats."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.qparser import QueryParser

from search_index.codec import ArrayCodec
from search_index.storage import MappedStorage

WORDS = "treaty council science moscow geneva vote lapse renew agreement visit statement".split()


def _schema() -> Schema:
    return Schema(key=ID(stored=True, unique=True), text=TEXT(phrase=True), tags=KEYWORD(scorable=True),
                  year=NUMERIC(stored=True), record=STORED)


def _documents(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [
        {"key": f"d{seed}-{n}", "text": " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 40))),
         "tags": " ".join(rng.sample(WORDS, 2)), "year": rng.randrange(1950, 2030), "record": str(n)}
        for n in range(count)
    ]


def _build(folder: Path, codecs: list[object], *, compression: int = 0) -> whoosh_index.FileIndex:
    folder.mkdir()
    storage = MappedStorage(str(folder))
    ix = storage.create_index(_schema())
    for seed, codec in enumerate(codecs):
        if isinstance(codec, ArrayCodec):
            codec = ArrayCodec(compression=compression)
        writer = ix.writer(codec=codec)
        for document in _documents(700, seed):  # the commonest words fill several blocks of 128
            writer.add_document(**document)
        writer.commit(merge=False)
    return ix


def _postings(ix: whoosh_index.FileIndex) -> dict[tuple[str, bytes], list[tuple[int, float, bytes | None]]]:
    found = {}
    with ix.searcher() as searcher:
        for leaf, offset in searcher.leaf_searchers():
            reader = leaf.reader()
            for field, text in reader.all_terms():
                matcher = reader.postings(field, text)
                rows = found.setdefault((field, text), [])
                while matcher.is_active():
                    rows.append((matcher.id() + offset, matcher.weight(), matcher.value()))
                    matcher.next()
    return found


def _searches(ix: whoosh_index.FileIndex) -> list[list[tuple[int, float]]]:
    parser = QueryParser("text", ix.schema)
    queries = [*WORDS, '"council vote"', '"treaty science moscow"', "treaty AND geneva", "renew OR lapse", "tags:vote", "year:[1990 TO 2000]"]
    with ix.searcher() as searcher:
        return [[(hit.docnum, round(hit.score, 5)) for hit in searcher.search(parser.parse(q), limit=None)] for q in queries]


@pytest.mark.parametrize("compression", [0, 3])
def test_array_blocks_read_back_as_whoosh_blocks(tmp_path: Path, compression: int) -> None:
    theirs = _build(tmp_path / "whoosh", [W3Codec(), W3Codec()])
    ours = _build(tmp_path / "array", [ArrayCodec(), ArrayCodec()], compression=compression)
    assert _postings(ours) == _postings(theirs)
    assert _searches(ours) == _searches(theirs)
    assert any(len(rows) > 300 for rows in _postings(ours).values())


def test_segments_of_both_formats_search_and_merge_alike(tmp_path: Path) -> None:
    theirs = _build(tmp_path / "whoosh", [W3Codec(), W3Codec()])
    mixed = _build(tmp_path / "mixed", [W3Codec(), ArrayCodec()])
    assert _postings(mixed) == _postings(theirs)
    expected = _searches(theirs)
    assert _searches(mixed) == expected
    # Merged into one segment (a merge rereads field lengths, so scores are compared after both merge).
    theirs.writer(codec=W3Codec()).commit(optimize=True)
    mixed.writer(codec=ArrayCodec()).commit(optimize=True)
    theirs, mixed = (whoosh_index.open_dir(str(tmp_path / name)) for name in ("whoosh", "mixed"))
    assert [type(s.codec()) for s in mixed._segments()] == [ArrayCodec]
    assert _postings(mixed) == _postings(theirs)
    assert _searches(mixed) == _searches(theirs)
