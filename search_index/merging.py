"""Merging segments by concatenating them, instead of replaying every posting through Whoosh.

Whoosh merges segments by reading back every posting of every word and
feeding it, one Python call at a time, through a sorting pool into a new
segment: minutes for a large index, which is why a large log's rebuild was
left with many segments and every search paid for each. Segments hold
disjoint documents, so a merged segment is theirs end to end: documents
renumbered (segment after segment, deleted ones dropped), each word's blocks
of array postings copied with their ids shifted (a block that holds a deleted
document is cut down to the others), the per-document columns (stored
fields, briefs, field lengths) copied as bytes, and Whoosh's term index and
table of contents written as Whoosh writes them. The result reads as a
segment Whoosh's own merge would have written (tests/search/test_merging.py
holds it to Whoosh's: the same documents, postings, columns and scores).

A merge runs under the index's writer lock and commits a new table of
contents; searchers opened before keep reading the old segments' files
through their maps, so searches go on throughout. `python -m search_index
merge INDEX_DIR [--all | --rewrite]` merges an index from another process.
"""

from __future__ import annotations

import heapq
import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, STORED_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.columns import VarBytesColumn
from whoosh.reading import SegmentReader
from whoosh.util.numeric import byte_to_length

from search_index.codec import _BLOCK, _HEADER, ALL_ONE, FIXED_VALUES, NO_VALUES, ONE_FOR_ALL, POSITIONS, ArrayBlock, ArrayCodec

MAX_SEGMENTS = 4
"""Segments a background merge leaves at most; a search pays for each segment it looks words up in."""
_LENGTHS = np.array([byte_to_length(code) for code in range(256)], dtype=np.float64)

MergePolicy = Callable[[Any, list[Any]], list[Any]]
"""Whoosh's merge policy: given the writer and the segments, the segments that remain."""
Choice = Callable[[list[Any]], list[Any]]
"""Which of an index's segments to merge into one."""


def concatenating(choose: Choice) -> MergePolicy:
    """A Whoosh merge policy (`writer.commit(mergetype=...)`) that concatenates the segments `choose`
    picks into one new segment and keeps the others."""

    def policy(writer: Any, segments: list[Any]) -> list[Any]:
        chosen = choose(segments)
        if not chosen:
            return segments
        kept = [segment for segment in segments if segment not in chosen]
        if not all(_concatenable(segment) for segment in chosen):
            # Segments in Whoosh's own format (an index written before array blocks): Whoosh merges them.
            for segment in chosen:
                reader = SegmentReader(writer.storage, writer.schema, segment)
                writer.add_reader(reader)
                reader.close()
            return kept
        merged = concatenate(writer.storage, writer.schema, writer.indexname, chosen)
        return [*kept, merged] if merged is not None else kept

    return policy


def _concatenable(segment: Any) -> bool:
    codec = segment.codec()
    return isinstance(codec, ArrayCodec) and codec._inlinelimit <= 1


def everything(segments: list[Any]) -> list[Any]:
    """All segments, into one (none if there is one already, without deletions)."""
    return list(segments) if len(segments) > 1 or any(segment.has_deletions() for segment in segments) else []


def rewritten(segments: list[Any]) -> list[Any]:
    """All segments, into one, even a single one (to measure searches during a merge)."""
    return list(segments)


def smallest(segments: list[Any], keep: int = MAX_SEGMENTS) -> list[Any]:
    """Enough of the smallest segments (by live documents) that, merged into one, `keep` remain; none
    while there are no more than `keep` (or only deletions to drop from a single segment)."""
    if len(segments) <= keep:
        return []
    by_size = sorted(segments, key=lambda segment: segment.doc_count())
    return by_size[: len(segments) - keep + 1]


def concatenate(storage: Any, schema: Any, indexname: str, segments: list[Any]) -> Any | None:
    """A new segment holding the live documents of `segments` in order (None if none is live)."""
    codec = ArrayCodec()
    readers = [SegmentReader(storage, schema, segment) for segment in segments]
    try:
        renumbered, total = _renumbered(readers)
        if not total:
            return None
        merged = codec.new_segment(storage, indexname)
        _write_documents(codec, storage, merged, schema, readers, renumbered, total)
        _write_postings(codec, storage, merged, schema, readers, renumbered)
        merged.set_doc_count(total)
        merged.create_compound_file(storage)
        return merged
    finally:
        for reader in readers:
            reader.close()


def _renumbered(readers: list[SegmentReader]) -> tuple[list[np.ndarray], int]:
    """For each segment, each document's number in the merged segment (-1 for a deleted one)."""
    maps = []
    base = 0
    for reader in readers:
        n = reader.doc_count_all()
        live = np.ones(n, dtype=bool)
        if reader.has_deletions():
            live[np.fromiter(reader.segment().deleted_docs(), dtype=np.int64)] = False
        numbers = np.full(n, -1, dtype=np.int64)
        numbers[live] = base + np.arange(int(live.sum()))
        maps.append(numbers)
        base += int(live.sum())
    return maps, base


# -- per-document columns ----------------------------------------------------------------------------------


def _write_documents(codec: Any, storage: Any, merged: Any, schema: Any, readers: list[SegmentReader],
                     renumbered: list[np.ndarray], total: int) -> None:
    writer = codec.per_document_writer(storage, merged)
    for name, field in schema.items():
        if field.vector:
            raise ValueError(f"field {name!r} keeps term vectors, which this merge does not copy")
    stored = _raw_writer(writer._get_column("_stored"))
    columns = {name: field.column_type for name, field in schema.items() if field.column_type}
    for name, column in columns.items():
        writer._create_column(name, column)
    for reader, numbers in zip(readers, renumbered, strict=True):
        perdoc = reader._perdoc
        live = np.flatnonzero(numbers >= 0)
        _copy_bytes(_raw_reader(perdoc.column_reader("_stored", STORED_COLUMN)), stored, live, numbers)
        for name, column in columns.items():
            if perdoc.has_column(name):
                _copy_bytes(_raw_reader(perdoc.column_reader(name, column)), _raw_writer(writer._get_column(name)), live, numbers)
    # Field lengths: one byte a document, and their sum per field (as Whoosh's merge adds them up, decoded).
    for name, field in schema.items():
        if not field.scorable:
            continue
        codes = np.zeros(total, dtype=np.uint8)
        for reader, numbers in zip(readers, renumbered, strict=True):
            kept = reader._perdoc._cached_reader(f"_{name}_len", LENGTHS_COLUMN)
            if kept is not None:
                codes[numbers[numbers >= 0]] = np.asarray(kept)[numbers >= 0]
        if codes.any():
            column = f"_{name}_len"
            writer._create_column(column, LENGTHS_COLUMN)
            lengths = writer._get_column(column)
            lengths._dbfile.write(codes.tobytes())
            lengths._count = total
            writer._fieldlengths[name] = int(_LENGTHS[codes].sum())
    writer._doccount = total
    writer._indoc = False
    writer.close()


def _raw_reader(reader: Any) -> Any:
    """The bytes column under Whoosh's translating, pickling and compressing readers."""
    while hasattr(reader, "_child"):
        reader = reader._child
    return reader


def _raw_writer(writer: Any) -> Any:
    while hasattr(writer, "_child"):
        writer = writer._child
    return writer


def _copy_bytes(reader: Any, writer: Any, live: np.ndarray, numbers: np.ndarray) -> None:
    """Each live document's value as stored (compressed, pickled), under its new number."""
    get = VarBytesColumn.Reader.__getitem__
    add = VarBytesColumn.Writer.add
    for old, new in zip(live.tolist(), numbers[live].tolist(), strict=True):
        value = get(reader, old)
        if value:
            add(writer, new, value)


# -- postings -------------------------------------------------------------------------------------------------


def _write_postings(codec: Any, storage: Any, merged: Any, schema: Any, readers: list[SegmentReader],
                    renumbered: list[np.ndarray]) -> None:
    writer = codec.field_writer(storage, merged)
    postfile = writer._postfile
    names = sorted({name for reader in readers for name in reader._terms.indexed_field_names() if name in schema})
    lengths = [{name: reader._perdoc._cached_reader(f"_{name}_len", LENGTHS_COLUMN) for name in names} for reader in readers]
    for name in names:
        writer.start_field(name, schema[name])
        fixed = schema[name].format.fixed_value_size()
        for text, held in _terms(readers, name):
            info = W3TermInfo()
            info._weight, info._df, info._maxweight = 0.0, 0, 0.0
            info._minlength, info._maxlength = None, 0
            start = postfile.tell()
            postfile.write(WHOOSH3_HEADER_MAGIC)
            pending: bytes | None = None
            for index, terminfo in held:
                reader, numbers = readers[index], renumbered[index]
                for block in _blocks(reader, terminfo, fixed, lengths[index].get(name)):
                    shifted = block.renumbered(numbers)
                    if shifted is None:
                        continue
                    if pending is not None:
                        postfile.write(pending)
                    pending = shifted.write(info)
            if pending is None:
                continue  # every posting was of a deleted document
            postfile.write(_last(pending))
            info.set_extent(start, postfile.tell() - start)
            writer._tindex.add(struct.pack("!H", writer._fieldid) + text, info.to_bytes())
        writer.finish_field()
    writer.close()


def _terms(readers: list[SegmentReader], name: str) -> Iterator[tuple[bytes, list[tuple[int, W3TermInfo]]]]:
    """Every word of field `name` in byte order, with the segments that hold it and their term infos."""

    def words(index: int) -> Iterator[tuple[bytes, int, bytes]]:
        tindex = readers[index]._terms._tindex
        prefix = struct.pack("!H", readers[index]._terms._fieldmap[name])
        for key, value in tindex.items_from(prefix):
            if not key.startswith(prefix):
                return
            yield key[2:], index, value

    present = [i for i, reader in enumerate(readers) if name in reader._terms.indexed_field_names()]
    current: bytes | None = None
    held: list[tuple[int, W3TermInfo]] = []
    for text, index, value in heapq.merge(*(words(i) for i in present)):
        if text != current:
            if held:
                yield current, held  # type: ignore[misc]
            current, held = text, []
        held.append((index, W3TermInfo.from_bytes(value)))
    if held:
        yield current, held  # type: ignore[misc]


def _last(written: bytes) -> bytes:
    """A block's bytes with its header marking it as its word's last block (a negative length)."""
    length = struct.unpack_from("<i", written)[0]
    return struct.pack("<i", -abs(length)) + written[4:]


class _Block:
    """One block of postings as stored, with what renumbering and statistics need."""

    __slots__ = ("data", "ids", "count", "maxweight", "shortest", "longest", "fixed", "lengths")

    def __init__(self, data: bytes, ids: np.ndarray, maxweight: float, shortest: int, longest: int, fixed: int | None,
                 lengths: Any) -> None:
        self.data, self.ids, self.count = data, ids, len(ids)
        self.maxweight, self.shortest, self.longest = maxweight, shortest, longest
        self.fixed, self.lengths = fixed, lengths

    def renumbered(self, numbers: np.ndarray) -> _Block | None:
        """The block with its documents' new numbers; its deleted documents' postings dropped."""
        new = numbers[self.ids]
        if (new >= 0).all():
            data = self.data[: _HEADER.size] + new.astype("<u4").tobytes() + self.data[_HEADER.size + 4 * self.count :]
            return _Block(data, new, self.maxweight, self.shortest, self.longest, self.fixed, None)
        keep = new >= 0
        if not keep.any():
            return None
        block = ArrayBlock(self.data, self.fixed)
        codes = np.asarray(self.lengths)[self.ids[keep]] if self.lengths is not None else None
        shortest = int(codes.min()) if codes is not None else self.shortest
        longest = int(codes.max()) if codes is not None else self.longest
        weights = block.weights[keep]
        data = _encoded(block, keep, new[keep], weights, self.fixed)
        return _Block(data, new[keep], float(weights.max()), shortest, longest, self.fixed, None)

    def write(self, info: W3TermInfo) -> bytes:
        """The block's bytes (header and data, not yet marked last), its statistics added to `info`."""
        block = ArrayBlock(self.data, self.fixed)
        info._weight += float(block.weights.sum())
        info._df += self.count
        shortest = byte_to_length(self.shortest)
        info._minlength = shortest if info._minlength is None else min(info._minlength, shortest)
        info._maxlength = max(info._maxlength, byte_to_length(self.longest))
        info._maxweight = max(info._maxweight, self.maxweight)
        if info._minid is None:
            info._minid = int(self.ids[0])
        info._maxid = int(self.ids[-1])
        return _BLOCK.pack(len(self.data), self.count, int(self.ids[-1]), self.maxweight, 0, self.shortest, self.longest) + self.data


def _blocks(reader: SegmentReader, terminfo: W3TermInfo, fixed: int | None, lengths: Any) -> Iterator[_Block]:
    """A word's blocks in one segment, as stored (inlined postings made a block of their own)."""
    if terminfo.is_inlined():
        raise ValueError("inlined postings: the segment was not written by ArrayCodec with an inline limit of one")
    postfile = reader._terms._postfile
    # Past the magic number before a word's first block; its last block has a negative length (the
    # length a term info records is read back as a tuple by Whoosh, and is not needed).
    at = terminfo.extent()[0] + len(WHOOSH3_HEADER_MAGIC)
    while True:
        size, count, _, maxweight, compression, shortest, longest = _BLOCK.unpack(postfile.get(at, _BLOCK.size))
        data = postfile.get(at + _BLOCK.size, abs(size))
        if compression:
            data = zlib.decompress(data)
        ids = np.frombuffer(data, dtype="<u4", count=count, offset=_HEADER.size).astype(np.int64)
        yield _Block(data, ids, maxweight, shortest, longest, fixed, lengths)
        at += _BLOCK.size + abs(size)
        if size < 0:
            return


def _encoded(block: ArrayBlock, keep: np.ndarray, ids: np.ndarray, weights: np.ndarray, fixed: int | None) -> bytes:
    """The data of a block cut down to the postings `keep`, with new `ids`."""
    count = len(ids)
    if (weights == 1.0).all():
        weight_kind, weight_bytes = ALL_ONE, b""
    elif (weights == weights[0]).all():
        weight_kind, weight_bytes = ONE_FOR_ALL, struct.pack("<f", float(weights[0]))
    else:
        weight_kind, weight_bytes = 2, weights.astype("<f4").tobytes()
    kind = block._value_kind
    if kind == NO_VALUES:
        values = b""
    elif kind == POSITIONS:
        counts, deltas = block.positions(None)
        values = counts[keep].astype("<u4").tobytes() + deltas[np.repeat(keep, counts)].astype("<u4").tobytes()
    elif kind == FIXED_VALUES:
        values = b"".join(value for value, kept in zip(block.values(), keep.tolist(), strict=True) if kept)
    else:
        kept_values = [value for value, kept in zip(block.values(), keep.tolist(), strict=True) if kept]
        ends = np.cumsum([0, *map(len, kept_values)]).astype("<u4")
        values = ends.tobytes() + b"".join(kept_values)
    return _HEADER.pack(count, weight_kind, kind) + ids.astype("<u4").tobytes() + weight_bytes + values
