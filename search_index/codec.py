"""Whoosh's postings, with each block's numbers stored as arrays.

Whoosh's own format pickles a block's ids, weights and values together and
compresses the pickle, and pickles each block's statistics in front of it: so
reading a block back unpickles every posting's value (its positions) even to
learn only which documents hold a word; on a cold cache that decoding was most
of a search's time. Here a block is a fixed-size header (its length, postings,
last id, highest weight, shortest and longest field), then a small header of
its own data, its ids and weights as fixed-width arrays that NumPy reads in
place, then its values: positions decoded (each posting's count, then the
deltas), other values end to end with their offsets. Everything else in a
segment (the term index, the columns) is Whoosh's, the matcher keeps Whoosh's
interface (Whoosh's own searching runs over these segments unchanged), and a
segment written by Whoosh's codec keeps reading with it (a segment records its
codec).
"""

from __future__ import annotations

import pickle
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.formats import Positions
from whoosh.matching import ListMatcher
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

_BLOCK = struct.Struct("<iIIfBBBx")
"""Bytes of data after this header (negative for a term's last block), postings, last id, highest
weight, compression level, shortest and longest field length (as Whoosh's length bytes)."""
BLOCK_HEADER = _BLOCK.size
_HEADER = struct.Struct("<IBBxx")
"""Postings in the block, how its weights are kept, how its values are kept (padded to 8 bytes)."""
ALL_ONE, ONE_FOR_ALL, ONE_EACH = 0, 1, 2
NO_VALUES, FIXED_VALUES, VARIABLE_VALUES, POSITIONS = 0, 1, 2, 3
_LITTLE = sys.byteorder == "little"


class ArrayCodec(W3Codec):
    """Whoosh's codec with array blocks (uncompressed by default: they are read far more often than written)."""

    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> W3PostingsWriter:
        if byteids:  # term vectors (no field here keeps them): Whoosh's own blocks
            return super().postings_writer(dbfile, byteids=True)
        return ArrayPostingsWriter(dbfile, blocklimit=self._blocklimit, compression=self._compression,
                                   inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return ListMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        return ArrayLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


class ArrayBlock:
    """One block's data: `ids` (uint32) and `weights` (float32) as arrays over the block's bytes, and its values."""

    __slots__ = ("count", "ids", "weights", "_raw", "_values_at", "_value_kind", "_fixed")

    def __init__(self, raw: bytes, fixedsize: int | None) -> None:
        count, weight_kind, value_kind = _HEADER.unpack_from(raw)
        at = _HEADER.size
        self.count = count
        self.ids = np.frombuffer(raw, dtype="<u4", count=count, offset=at)
        at += 4 * count
        if weight_kind == ALL_ONE:
            self.weights = np.ones(count, dtype=np.float32)
        elif weight_kind == ONE_FOR_ALL:
            self.weights = np.full(count, np.frombuffer(raw, dtype="<f4", count=1, offset=at)[0])
            at += 4
        else:
            self.weights = np.frombuffer(raw, dtype="<f4", count=count, offset=at)
            at += 4 * count
        self._raw = raw
        self._values_at = at
        self._value_kind = value_kind
        self._fixed = fixedsize

    def positions(self, form: Any) -> tuple[np.ndarray, np.ndarray]:
        """Each posting's count of positions, and all their deltas in order (Whoosh's Positions format)."""
        if self._value_kind == POSITIONS:
            counts = np.frombuffer(self._raw, dtype="<u4", count=self.count, offset=self._values_at).astype(np.int64)
            deltas = np.frombuffer(self._raw, dtype="<u4", count=int(counts.sum()), offset=self._values_at + 4 * self.count)
            return counts, deltas.astype(np.int64)
        return value_positions(self.values(), form)

    def values(self) -> tuple[bytes, ...]:
        """Each posting's value, as Whoosh's format encoded it."""
        raw, at, count = self._raw, self._values_at, self.count
        if self._value_kind == POSITIONS:
            counts, deltas = self.positions(None)
            runs = np.split(deltas, np.cumsum(counts)[:-1]) if count else []
            return tuple(pack_uint(len(run)) + pickle.dumps(run.tolist(), 2) for run in runs)
        if self._value_kind == NO_VALUES:
            return (None,) * count if not self._fixed else (b"",) * count  # type: ignore[return-value]
        if self._value_kind == FIXED_VALUES:
            size = self._fixed or 0
            return tuple(raw[at + i * size : at + (i + 1) * size] for i in range(count))
        ends = np.frombuffer(raw, dtype="<u4", count=count + 1, offset=at).tolist()
        base = at + 4 * (count + 1)
        return tuple(raw[base + start : base + end] for start, end in zip(ends, ends[1:], strict=False))


class ArrayPostingsWriter(W3PostingsWriter):
    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = self._data()
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        length = -len(databytes) if last else len(databytes)
        self._postfile.write(_BLOCK.pack(length, len(ids), ids[-1], self._maxweight, comp,
                                         length_to_byte(self._minlength), length_to_byte(self._maxlength)))
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def _data(self) -> bytes:
        ids: array[int] = self._ids
        weights: array[float] = self._weights
        count = len(ids)
        first = weights[0]
        if first == 1.0 and weights.count(1.0) == count:
            weight_kind, weight_bytes = ALL_ONE, b""
        elif weights.count(first) == count:
            weight_kind, weight_bytes = ONE_FOR_ALL, struct.pack("<f", first)
        else:
            weight_kind, weight_bytes = ONE_EACH, _little(weights)
        values: list[bytes] = self._values
        fixed = self._format.fixed_value_size()
        if not values:
            value_kind, value_bytes = NO_VALUES, b""
        elif len(values) != count:
            raise ValueError(f"a block of {count} postings with {len(values)} values")
        elif fixed is not None and fixed > 0:
            value_kind, value_bytes = FIXED_VALUES, b"".join(values)
        elif type(self._format) is Positions and (decoded := _storable_positions(values, self._format)) is not None:
            value_kind, value_bytes = POSITIONS, decoded
        else:
            ends = array("I", accumulate((len(v) for v in values), initial=0))
            value_kind, value_bytes = VARIABLE_VALUES, _little(ends) + b"".join(values)
        return _HEADER.pack(count, weight_kind, value_kind) + _little(ids) + weight_bytes + value_bytes


_VALUE_HEAD = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)


def value_positions(values: Sequence[bytes], form: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each value's count of positions, and all their deltas in order."""
    ends = np.fromiter(accumulate(map(len, values), initial=0), dtype=np.int64, count=len(values) + 1)
    return position_deltas(b"".join(values), ends, form)


def position_deltas(blob: bytes, ends: np.ndarray, form: Any) -> tuple[np.ndarray, np.ndarray]:
    """Each value's count of positions, and all their deltas in order, from the values end to end.

    Whoosh's Positions format encodes a value as a 4-byte count, then a protocol 2 pickle of the
    list of deltas: `\\x80\\x02]q\\x00`, then `K\\x03a.` for one, `(K..K..e.` for several. Cut
    of the list around them, the bodies of all values joined inside one list unpickle in one call
    instead of one call per posting; what is cut is found with array operations.
    """
    starts, stops = ends[:-1], ends[1:]
    data = np.frombuffer(blob, dtype=np.uint8)
    if not len(starts):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    count = data[starts[:, None] + np.arange(4)].copy().view(">u4").ravel().astype(np.int64)
    shaped = (
        bool(np.all(stops - starts >= 12))
        and bool(np.all(data[starts[:, None] + np.arange(4, 9)] == _VALUE_HEAD))
        and bool(np.all(data[stops - 1] == ord(".")))
    )
    if shaped:
        # Cut [start, start + 9 or 10) (count, pickle header, the list, its MARK) and the last two
        # bytes (APPEND or APPENDS, STOP) of each value.
        cut_to = starts + 9 + (data[starts + 9] == ord("(")).astype(np.int64)
        edges = np.zeros(len(data) + 1, dtype=np.int64)
        edges[starts] += 1
        edges[cut_to] -= 1
        edges[stops - 2] += 1
        edges[stops] -= 1
        body = data[np.cumsum(edges[:-1]) == 0].tobytes()
        try:
            flat = pickle.loads(b"\x80\x02](" + body + b"e.")
        except Exception:
            flat = []
        if len(flat) == int(count.sum()):
            return count, np.array(flat, dtype=np.int64)
    # Values of another shape: Whoosh decodes them one at a time.
    runs = [form.decode_positions(blob[a:b]) for a, b in zip(starts.tolist(), stops.tolist(), strict=True)]
    deltas = [p - q for run in runs for q, p in zip([0, *run[:-1]], run, strict=True)]
    return np.array([len(run) for run in runs], dtype=np.int64), np.array(deltas, dtype=np.int64)


def array_positions(view: memoryview, offsets: list[int]) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] | None:
    """The ids, each posting's count of positions and the deltas of the array blocks whose headers
    stand at `offsets` in `view`, read in place: a few array views a block, no matcher (None if one
    of them is compressed or holds other values than positions)."""
    ids, counts, deltas = [], [], []
    frombuffer = np.frombuffer
    for offset in offsets:
        _, count, _, _, compression, _, _ = _BLOCK.unpack_from(view, offset)
        at = offset + _BLOCK.size
        _, weight_kind, value_kind = _HEADER.unpack_from(view, at)
        if compression or value_kind != POSITIONS:
            return None
        at += _HEADER.size
        ids.append(frombuffer(view, dtype="<u4", count=count, offset=at))
        at += 4 * count + (0 if weight_kind == ALL_ONE else 4 if weight_kind == ONE_FOR_ALL else 4 * count)
        block_counts = frombuffer(view, dtype="<u4", count=count, offset=at)
        counts.append(block_counts)
        deltas.append(frombuffer(view, dtype="<u4", count=int(block_counts.sum()), offset=at + 4 * count))
    return ids, counts, deltas


def _storable_positions(values: list[bytes], form: Any) -> bytes | None:
    """A block's positions decoded, stored so that reading them back is two arrays: each posting's
    count, then all deltas (None if some would not fit)."""
    counts, deltas = value_positions(values, form)
    if len(deltas) and (deltas.min() < 0 or deltas.max() >= 2**32):
        return None
    return counts.astype("<u4").tobytes() + deltas.astype("<u4").tobytes()


def _little(numbers: array[Any]) -> bytes:
    if not _LITTLE:
        numbers = array(numbers.typecode, numbers)
        numbers.byteswap()
    return numbers.tobytes()


class ArrayLeafMatcher(W3LeafMatcher):
    """Whoosh's matcher over array blocks: the same interface, with `_data` an ArrayBlock."""

    def _goto(self, position: int) -> None:
        length, count, maxid, maxweight, comp, shortest, longest = _BLOCK.unpack(self._postfile.get(position, _BLOCK.size))
        self._data = self._ids = self._weights = self._values = None
        self._i = 0
        self._lastblock = length < 0
        self._dataoffset = position + _BLOCK.size
        self._nextoffset = self._dataoffset + abs(length)
        self._blocklength, self._maxid, self._maxweight, self._compression = count, maxid, maxweight, comp
        self._minlength = byte_to_length(shortest)
        self._maxlength = byte_to_length(longest)

    def _read_data(self) -> None:
        raw = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        if self._compression:
            raw = zlib.decompress(raw)
        self._data = ArrayBlock(raw, self._fixedsize)

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        self._ids = self._data.ids.tolist()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        self._weights = self._data.weights.tolist()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        self._values = self._data.values()
