"""Whoosh's postings, with each block's numbers stored as arrays.

Whoosh's own format pickles a block's ids, weights and values together and
compresses the pickle, and pickles each block's statistics in front of it: so
reading a block back unpickles every posting's value (its positions) even to
learn only which documents hold a word; on a cold cache that decoding was most
of a search's time. Here a block is a fixed-size header (its length, postings,
last id, highest weight, shortest and longest field), then a small header of
its own data, its ids and weights as fixed-width arrays that NumPy reads in
place, and its values after them with their offsets. Everything else in a
segment (the term index, the columns) is Whoosh's, the matcher keeps Whoosh's
interface (Whoosh's own searching runs over these segments unchanged), and a
segment written by Whoosh's codec keeps reading with it (a segment records its
codec).
"""

from __future__ import annotations

import struct
import sys
import zlib
from array import array
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3LeafMatcher, W3PostingsWriter
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length, length_to_byte

_BLOCK = struct.Struct("<iIIfBBBx")
"""Bytes of data after this header (negative for a term's last block), postings, last id, highest
weight, compression level, shortest and longest field length (as Whoosh's length bytes)."""
_HEADER = struct.Struct("<IBBxx")
"""Postings in the block, how its weights are kept, how its values are kept (padded to 8 bytes)."""
ALL_ONE, ONE_FOR_ALL, ONE_EACH = 0, 1, 2
NO_VALUES, FIXED_VALUES, VARIABLE_VALUES = 0, 1, 2
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

    def value_bytes(self) -> tuple[bytes, np.ndarray]:
        """The block's values end to end, and where each ends (with a leading 0), without a copy of each."""
        if self._value_kind == VARIABLE_VALUES:
            ends = np.frombuffer(self._raw, dtype="<u4", count=self.count + 1, offset=self._values_at).astype(np.int64)
            base = self._values_at + 4 * (self.count + 1)
            return self._raw[base : base + int(ends[-1])], ends
        values = self.values()
        lengths = [len(v) if v else 0 for v in values]
        return b"".join(v or b"" for v in values), np.concatenate(([0], np.cumsum(lengths, dtype=np.int64)))

    def values(self) -> tuple[bytes, ...]:
        """Each posting's value, as Whoosh's format encoded it."""
        raw, at, count = self._raw, self._values_at, self.count
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
        else:
            ends = array("I", accumulate((len(v) for v in values), initial=0))
            value_kind, value_bytes = VARIABLE_VALUES, _little(ends) + b"".join(values)
        return _HEADER.pack(count, weight_kind, value_kind) + _little(ids) + weight_bytes + value_bytes


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
