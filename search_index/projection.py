"""The search index as one more projection: the same runner, checkpoint and rebuild as the others.

A batch of events is folded in memory first (facts added, corrected,
retracted; speakers registered or renamed), then written: each fact whose
documents changed loses its old ones and gets new ones, built from its record
as it stands after the batch. The documents and the checkpoint commit
together under the index's lock, and the checkpoint is re-read under that
lock, so a rebuild and a catch-up that overlap, or two processes sharing the
directory, never fold an event twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import orjson
from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from events.amendments import merged
from events.envelope import EventEnvelope
from projections.runner import Checkpoint, Projection, ProjectionVersionChanged
from search_index.documents import NOT_FACTS, Names, documents, fact_key, record_of
from search_index.index import SearchIndex, read_state, save_state

ENTITY = "EntityRegistered"


class SearchProjection(Projection):
    name = "search"
    version = 2  # 2: stop words indexed, Russian stop words, `entities`, quote_kind in briefs
    # Each rebuild batch is written by fresh writer processes into segments of their own, and a
    # search pays for each segment it looks a word up in: larger batches mean fewer, larger
    # segments. At 100,000 quotes: 966 quotes/s indexed with 10,000-event batches, 1,816 with
    # 40,000; 100,000-event batches leave 4 segments instead of 10 (search 4.3 ms of server CPU
    # instead of 5.3) for a rebuild peak of 1.2 GB instead of 0.6.
    rebuild_batch_size = 100_000

    def __init__(self, index: SearchIndex) -> None:
        self.index = index
        self._entities: dict[str, dict[str, Any]] | None = None
        self._entities_generation = -1
        self._unmerged = False

    def checkpoint(self) -> Checkpoint | None:
        return self.index.checkpoint()

    def reset(self) -> None:
        self.index.reset(self.version)
        self._entities = None

    def ensure_indexes(self) -> None:
        """Merge the segments a rebuild's batches left (they are not merged as they commit)."""
        if self._unmerged:
            self.index.merge()
            self._unmerged = False

    def apply(self, events: Sequence[EventEnvelope], after: int) -> int:
        self._unmerged |= self.in_bulk
        with self.index.writer(bulk=self.in_bulk) as writer:
            searcher = writer.searcher()
            stored = read_state(searcher)
            if stored is None or stored.version != self.version:
                raise ProjectionVersionChanged(
                    f"projection {self.name!r} is stored at version {stored and stored.version}, this code is {self.version}"
                )
            todo = [e for e in events if e.position > stored.position]
            if stored.position < after or not todo:
                writer.cancel()
                return stored.position
            batch = _Batch(searcher, self._known_entities(searcher, writer.generation - 1))
            self._entities_generation = -1  # the batch changes the cache: it holds only once committed
            for event in todo:
                batch.fold(event)
            batch.write(writer)
            save_state(writer, Checkpoint(self.version, todo[-1].position))
        self._entities_generation = writer.generation
        return todo[-1].position

    def _known_entities(self, searcher: Searcher, generation: int) -> dict[str, dict[str, Any]]:
        """The entity records committed so far, kept between batches while this process is the only writer."""
        if self._entities is None or self._entities_generation != generation:
            self._entities = {
                fields["key"].removeprefix("entity/"): orjson.loads(fields["record"])
                for fields in searcher.documents(kind="entity")
            }
        return self._entities

    def digest(self) -> str:
        """SHA-256 over every document's stored fields and brief, sorted: equal digests, equal index."""
        hasher = hashlib.sha256()
        with self.index._index().searcher() as searcher:
            documents = sorted(
                orjson.dumps([leaf.stored_fields(docnum), brief.decode()], option=orjson.OPT_SORT_KEYS)
                for leaf in (s.reader() for s, _ in searcher.leaf_searchers())
                for docnum, brief in enumerate(leaf.column_reader("brief"))
                if not leaf.is_deleted(docnum)
            )
            for document in documents:
                hasher.update(document)
        return hasher.hexdigest()


class _Batch:
    """One batch of events folded in memory, then written in one go."""

    def __init__(self, searcher: Searcher, entities: dict[str, dict[str, Any]]) -> None:
        self.searcher = searcher
        self.entities = entities
        self.facts: dict[str, dict[str, Any] | None] = {}
        """event id -> the fact's record after this batch, None once retracted."""
        self.stored: set[str] = set()
        """Facts whose committed documents must go before their new ones are written."""
        self.renamed: set[str] = set()
        """Entity streams whose names changed: their statements are rewritten."""
        self.entities_changed: set[str] = set()

    def fold(self, event: EventEnvelope) -> None:
        if event.type == "FactCorrected" or event.type == "FactRetracted":
            self._amend(event)
        elif event.type == ENTITY:
            self._set_entity(event.stream, record_of(event))
        elif event.type not in NOT_FACTS:
            self.facts[event.id] = record_of(event)

    def _amend(self, event: EventEnvelope) -> None:
        amendment = event.data
        target = amendment["target"]
        stream = self._entity_stream(target)
        record = self.entities.get(stream) if stream is not None else self._fact(target)
        if record is None:
            return  # retracted before, or not a fact this index keeps
        if event.type == "FactRetracted":
            if stream is not None:
                self._set_entity(stream, None)
            else:
                self.facts[target] = None
            return
        fields = amendment["fields"]
        record = {**record, "data": merged(record["data"], fields)}
        for name in ("occurred", "sources"):
            if name in fields:
                record[name] = fields[name]
        record["corrections"] = [*record.get("corrections", ()), event.id]
        if stream is not None:
            self._set_entity(stream, record)
        else:
            self.facts[target] = record

    def _entity_stream(self, event_id: str) -> str | None:
        for stream, record in self.entities.items():
            if record["event_id"] == event_id:
                return stream
        return None

    def _fact(self, event_id: str) -> dict[str, Any] | None:
        if event_id in self.facts:
            return self.facts[event_id]
        fields = self.searcher.document(key=fact_key(event_id))
        if fields is None:
            return None
        self.stored.add(event_id)
        record: dict[str, Any] = orjson.loads(fields["record"])
        return record

    def _set_entity(self, stream: str, record: dict[str, Any] | None) -> None:
        if record is None:
            self.entities.pop(stream, None)
        else:
            self.entities[stream] = record
        self.renamed.add(stream)
        self.entities_changed.add(stream)

    def write(self, writer: SegmentWriter) -> None:
        for stream in self.renamed:
            for fields in self.searcher.documents(speaker=stream):
                if "record" not in fields:
                    continue  # an excerpt: its fact's own document is listed too
                record = orjson.loads(fields["record"])
                if record["event_id"] not in self.facts:
                    self.facts[record["event_id"]] = record
                    self.stored.add(record["event_id"])
        names: Names = {stream: record["data"] for stream, record in self.entities.items()}
        for stream in self.entities_changed:
            writer.delete_by_term("key", f"entity/{stream}")
            record = self.entities.get(stream)
            if record is not None:
                writer.add_document(key=f"entity/{stream}", kind="entity", record=orjson.dumps(record).decode())
        for event_id, record in self.facts.items():
            if event_id in self.stored:
                writer.delete_by_term("event", event_id)
            if record is not None:
                for document in documents(record, names):
                    writer.add_document(**document)
