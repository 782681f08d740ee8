"""Names in two scripts: Cyrillic and Latin words that meet, and the registered entities a query names.

A journalist types a name as they know it: `Путин` or `Putin`, `ОИЯИ` or
`JINR`, `Ковальчук` or `Kovalchuk`. Two things make them meet:

- every entity's names and aliases, in any script, are reduced to one Latin
  key (Cyrillic transliterated by iuliia's Wikipedia scheme, case, accents
  and punctuation folded); a run of query words whose key is one of an
  entity's names (or, for a person, the last word of one) names that entity,
  and the search then looks for all of its names and for the facts it takes
  part in;
- any other word also matches its spelling in the other script (`Дубна`
  finds Dubna, and `Dubna` finds Дубна): Cyrillic to Latin by iuliia,
  Latin to Cyrillic by cyrtranslit's Russian table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cyrtranslit
import iuliia

from search_index.analysis import WORDS, fold_word

MAX_NAME_WORDS = 8
"""Names longer than this many words are matched only through their shorter aliases."""
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN_LETTERS = re.compile(r"[a-z]")
_NOT_KEY = re.compile(r"[^\w ]+")


def has_cyrillic(text: str) -> bool:
    return _CYRILLIC.search(text) is not None


@lru_cache(maxsize=100_000)
def latin(word: str) -> str:
    """`word` folded and, where it is Cyrillic, transliterated to Latin letters."""
    folded = fold_word(word)
    if not has_cyrillic(folded):
        return folded
    return _NOT_KEY.sub("", iuliia.WIKIPEDIA.translate(folded).lower())


@lru_cache(maxsize=100_000)
def other_script(word: str) -> str | None:
    """`word` as the other script spells it (Cyrillic to Latin, Latin to Cyrillic), or None where it
    has no other spelling (digits, mixed scripts, other alphabets)."""
    folded = fold_word(word)
    if not folded.isalpha():
        return None
    if has_cyrillic(folded):
        spelled = latin(folded)
        return spelled if spelled.isascii() and spelled.isalpha() else None
    if folded.isascii():
        spelled = cyrtranslit.to_cyrillic(folded, "ru")
        return spelled if not _LATIN_LETTERS.search(spelled) and spelled != folded else None
    return None


def name_key(words: Iterable[str]) -> str:
    """One key for a name in any script or spelling: its words in Latin letters, folded."""
    return " ".join(latin(word) for word in words)


@dataclass(frozen=True)
class NamedEntity:
    """A registered entity as search results show it."""

    id: str
    name: str
    kind: str
    aliases: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "aliases": list(self.aliases)}


@dataclass(frozen=True)
class Mention:
    """Query words `start`..`end` (exclusive) that name `entities`, best first."""

    start: int
    end: int
    entities: tuple[NamedEntity, ...]


@dataclass
class Directory:
    """The registered entities by every key of their names."""

    entities: dict[str, NamedEntity] = field(default_factory=dict)
    keys: dict[str, dict[str, bool]] = field(default_factory=dict)
    """key -> {stream: whether the key is a whole name (else a person's last name)}."""
    longest: int = 0

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]]) -> Directory:
        """From entity records as the index keeps them (`stream`, `data` with name, kind, aliases)."""
        directory = cls()
        for record in records:
            data = record["data"]
            entity = NamedEntity(record["stream"], data["name"], data.get("kind", ""), tuple(data.get("aliases") or ()))
            directory.entities[entity.id] = entity
            for name in entity.names:
                words = WORDS.findall(name)
                if not words or len(words) > MAX_NAME_WORDS:
                    continue
                directory._add(name_key(words), entity.id, whole=True)
                if entity.kind == "person" and len(words) > 1:
                    directory._add(name_key(words[-1:]), entity.id, whole=False)
        return directory

    def _add(self, key: str, stream: str, *, whole: bool) -> None:
        streams = self.keys.setdefault(key, {})
        streams[stream] = streams.get(stream, False) or whole
        self.longest = max(self.longest, key.count(" ") + 1)

    def named(self, words: list[str]) -> list[Mention]:
        """The runs of `words` that name entities, longest first from the left, not overlapping."""
        found: list[Mention] = []
        at = 0
        while at < len(words):
            for end in range(min(len(words), at + self.longest), at, -1):
                streams = self.keys.get(name_key(words[at:end]))
                if streams:
                    ranked = sorted(streams, key=lambda s: (not streams[s], s))
                    found.append(Mention(at, end, tuple(self.entities[s] for s in ranked)))
                    at = end
                    break
            else:
                at += 1
        return found
