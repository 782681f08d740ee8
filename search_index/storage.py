"""Index files read through memory maps, without a copy per searcher.

Whoosh's own `FileStorage` maps each segment file too, but hands out its
parts as `BufferFile`s, which copy the mapped bytes into a `BytesIO`: every
searcher (one per serving thread, and a new one after each commit) held its
own copy of the whole index, 100 to 300 MB per searcher over 100,000 quotes.
Here a part of a file is a view of the one map; reading copies only the bytes
read. Whoosh's `CompoundStorage` takes the parts through `subset` because
these files have no `fileno`.
"""

from __future__ import annotations

import mmap
import os
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile


class MappedStorage(FileStorage):
    """A `FileStorage` whose files open as read-only memory maps."""

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        with open(self._fpath(name), "rb") as handle:
            if not os.fstat(handle.fileno()).st_size:
                return super().open_file(name, **kwargs)  # an empty file cannot be mapped
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        return MappedFile(memoryview(mapped), name=name, **kwargs)


class _View:
    """A seekable, read-only file over a memoryview."""

    def __init__(self, view: memoryview) -> None:
        self.view = view
        self.at = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self.view) if size is None or size < 0 else min(self.at + size, len(self.view))
        data = self.view[self.at : end].tobytes()
        self.at = end
        return data

    def readline(self, size: int | None = -1) -> bytes:
        end = len(self.view) if size is None or size < 0 else min(self.at + size, len(self.view))
        rest = self.view[self.at : end].tobytes()
        cut = rest.find(b"\n") + 1 or len(rest)
        self.at += cut
        return rest[:cut]

    def peek(self, size: int = 0) -> bytes:
        # pickle.load looks ahead with this when it can, instead of reading a few bytes at a time.
        return self.view[self.at : self.at + max(size, 4096)].tobytes()

    def readinto(self, buffer: Any) -> int:
        size = min(len(buffer), len(self.view) - self.at)
        buffer[:size] = self.view[self.at : self.at + size]
        self.at += size
        return size

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.at, os.SEEK_END: len(self.view)}[whence]
        self.at = max(0, base + offset)
        return self.at

    def tell(self) -> int:
        return self.at

    def close(self) -> None:
        # The map is unmapped once no view of it is left; parts handed out may outlive this one.
        self.view = memoryview(b"")


class MappedFile(StructFile):
    """A Whoosh `StructFile` over a mapped file or a part of one; its parts share the map."""

    def __init__(self, view: memoryview, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(_View(view), name=name, onclose=onclose)
        self._view = view

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._view[position : position + length], name=name or self._name)

    def get(self, position: int, length: int) -> bytes:
        return self._view[position : position + length].tobytes()
