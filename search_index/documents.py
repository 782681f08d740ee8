"""The index's schema and the documents one fact becomes.

Every fact is one document: a statement's quote and original words, its
speaker's name and aliases and its context, or another fact's description;
with the titles and publishers of all its sources. Every source that prints
an excerpt is one more document (the excerpt, its title and publisher). Each document carries the whole fact as it
stands (`record`), so a hit shows its provenance without going back to the
database, and a correction can rebuild the documents from the index alone.
Entities are kept as documents of their own kind so that a speaker's names
travel with the index; they never match a search. A fact's own document lists
the entities it concerns (`entities`: its speaker, parties, host, visitors,
body, the stream it stands in), which a search for an entity's name finds.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson
from whoosh.columns import VarBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

import re

from events.catalogue import ANONYMOUS, STREAM_PATTERN
from events.edtf_dates import EdtfDate, parse_edtf_date
from events.envelope import EventEnvelope
from projections.text import fold
from search_index.analysis import text_analyzer

STATEMENT = "StatementMade"
FACT_TEXT_FIELDS = ("title", "summary", "motion", "notes", "threshold", "purpose", "place", "reason", "note", "description")
"""Payload fields of facts other than statements whose words describe the fact, searched as its context."""
NOT_FACTS = frozenset({"SourceArchived"})
"""Event types that are no fact to search (an archived copy of a source is found through the facts citing it)."""
DIRECT, REPORTED = "direct", "reported"
_STREAM = re.compile(STREAM_PATTERN)


def schema() -> Schema:
    analyzer = text_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),  # a fact's own document, an entity, the checkpoint
        kind=ID,  # entity or state: documents no search matches
        event=ID,
        # Searched: the words as printed (quotes and excerpts), and what they are about (who said
        # them under every name, the occasion, the sources' titles and publishers). Two fields, not
        # one per kind of text: each field is one more posting list to score per query word.
        text=TEXT(analyzer=analyzer, phrase=True),
        about=TEXT(analyzer=analyzer, phrase=True),
        # Filters: exact keys, folded.
        speaker=KEYWORD(commas=True, scorable=False),
        entities=KEYWORD(commas=True, scorable=True),  # scored: a search for an entity ranks its own facts first
        publisher=KEYWORD(commas=True, scorable=False),
        type=ID,
        # What a search reads for every match, packed in one column: see Brief.
        brief=COLUMN(VarBytesColumn()),
        record=STORED,
    )


class Speaker(NamedTuple):
    id: str | None
    name: str | None
    words: str


Names = dict[str, dict[str, Any]]
"""Entity stream -> {"name", "aliases"}: what the index knows of who is who."""


def record_of(event: EventEnvelope) -> dict[str, Any]:
    """What the index keeps of a fact: enough to show it, cite it and rebuild its documents."""
    return {
        "event_id": event.id,
        "position": event.position,
        "stream": event.stream,
        "type": event.type,
        "occurred": event.occurred,
        "recorded_at": event.recorded_at,
        "data": event.data,
        "sources": event.sources,
    }


def speaker_of(record: dict[str, Any], names: Names) -> Speaker:
    """Who said it, and every name they go by. An anonymous speaker is found by their description and
    by the names of the stream they speak in ("a JINR physicist" by ОИЯИ)."""
    if record["type"] != STATEMENT:
        return Speaker(None, None, "")
    data = record["data"]
    stream = data["speaker"]
    description = data.get("speaker_description") or ""
    if stream == ANONYMOUS:
        return Speaker(ANONYMOUS, description or "anonymous", "\n".join([description, *_names(names.get(record["stream"]))]))
    entity = names.get(stream)
    if entity is None:
        return Speaker(stream, stream, "\n".join((stream.split("-", 1)[-1].replace("-", " "), description)))
    return Speaker(stream, entity["name"], "\n".join([*_names(entity), description]))


def _names(entity: dict[str, Any] | None) -> list[str]:
    return [entity["name"], *entity.get("aliases", ())] if entity else []


def documents(record: dict[str, Any], names: Names) -> list[dict[str, Any]]:
    """The documents of one fact, as it stands now."""
    data, sources, event_id = record["data"], record["sources"], record["event_id"]
    speaker = speaker_of(record, names)
    occurred = parse_edtf_date(record["occurred"])
    publishers = list(dict.fromkeys(source["publisher"] for source in sources))
    speaker_keys = [speaker.id, fold(speaker.name)] if speaker.id and speaker.name else []
    filtered = {
        "event": event_id,
        "type": record["type"],
        "speaker": ",".join(key.replace(",", " ") for key in speaker_keys),
        "publisher": ",".join(fold(p).replace(",", " ") for p in publishers),
    }
    # Every source's title and publisher are searched with the fact itself; a source's excerpt
    # (the words as printed) is a document of its own, so a hit can show where it matched.
    cited = "\n".join(dict.fromkeys(part for source in sources for part in (source.get("title"), source["publisher"]) if part))
    if record["type"] == STATEMENT:
        main = {
            "text": "\n".join(filter(None, (data["quote"], data.get("original_text")))),
            "about": "\n".join(filter(None, (speaker.words, data.get("context"), data.get("medium"), cited))),
        }
    else:
        described = (str(data[name]) for name in FACT_TEXT_FIELDS if isinstance(data.get(name), str))
        main = {"about": "\n".join([*described, cited])}
    docs = [{
        **filtered,
        **main,
        "entities": ",".join(concerned(record)),
        "key": fact_key(event_id),
        "record": orjson.dumps(record).decode(),
        "brief": Brief.pack(record, speaker.name, publishers, occurred, None),
    }]
    for n, source in enumerate(sources):
        if source.get("quote"):
            docs.append({
                **filtered,
                "text": source["quote"],
                "about": source["publisher"],
                "brief": Brief.pack(record, speaker.name, publishers, occurred, n),
            })
    return docs


def concerned(record: dict[str, Any]) -> list[str]:
    """The streams a fact concerns: the one it stands in and every stream its payload names."""
    found = {record["stream"]}
    for value in record["data"].values():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and _STREAM.fullmatch(item):
                found.add(item)
    found.discard(ANONYMOUS)
    return sorted(found)


def quote_kind(record: dict[str, Any]) -> str | None:
    """`direct` or `reported` for a statement (statements stored before the field existed are direct), None for other facts."""
    if record["type"] != STATEMENT:
        return None
    return REPORTED if record["data"].get("quote_kind") == REPORTED else DIRECT


def fact_key(event_id: str) -> str:
    """The key of a fact's own document, the one that stores its record."""
    return f"{event_id}/f"


class Brief(NamedTuple):
    """The per-document column a search reads for every match: which fact (and which of its
    sources, for an excerpt), its dates and its facet values (`quote_kind` for statements)."""

    event: str
    position: int
    speaker: str | None
    publishers: tuple[str, ...]
    lower: str
    upper: str
    type: str
    source: int | None
    quote_kind: str | None

    @property
    def year(self) -> str:
        return self.lower[:4]

    @staticmethod
    def pack(record: dict[str, Any], speaker: str | None, publishers: list[str], occurred: EdtfDate, source: int | None) -> bytes:
        return orjson.dumps([record["event_id"], record["position"], speaker, publishers, occurred.lower, occurred.upper,
                             record["type"], source, quote_kind(record)])

    @classmethod
    def unpack(cls, raw: bytes) -> Brief:
        event, position, speaker, publishers, lower, upper, type, source, kind = orjson.loads(raw)
        return cls(event, position, speaker, tuple(publishers), lower, upper, type, source, kind)
