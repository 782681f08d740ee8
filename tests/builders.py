"""Builders for raw events as a client sends them, taken from the CERN–JINR story.

Each builder returns a fresh, valid dict; keyword overrides replace top-level
event fields (`id`, `type`, `occurred`, `sources`, `metadata`) or, for any
other name, a field of `data`. A data override of None is kept as None, so the
validator sees exactly what a client would send.
"""

from __future__ import annotations

from typing import Any

from events.prepare import PreparedEvent, PreparedRequest, prepare_request

EVENT_FIELDS = frozenset({"id", "type", "occurred", "sources", "metadata"})

T_INVARIANT = "T-invariant"
JINR_NEWS = "JINR News"


def source(**overrides: Any) -> dict[str, Any]:
    """A source as the seed article gives it: publisher, title, date, language; no invented URL."""
    built: dict[str, Any] = {
        "publisher": T_INVARIANT,
        "title": "“Window to the West”: how will the fate of the last channel of interaction "
        "between Russian physicists and CERN be decided?",
        "published": "2024-06",
        "language": "en",
    }
    built.update(overrides)
    return built


def _event(type_: str, occurred: str, data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    event: dict[str, Any] = {"type": type_, "occurred": occurred, "data": data, "sources": [source()]}
    for name, value in overrides.items():
        if name in EVENT_FIELDS:
            event[name] = value
        else:
            data[name] = value
    return event


def statement(
    quote: str = "We don’t close anything, we don’t hide anything, we don’t lock anything.",
    **overrides: Any,
) -> dict[str, Any]:
    """A StatementMade, by default Putin's words in Dubna as TASS reported them."""
    data: dict[str, Any] = {
        "speaker": "person-vladimir-putin",
        "quote": quote,
        "language": "en",
        "context": "Visit to Dubna a week before the CERN Council vote on JINR",
        "medium": "speech",
    }
    return _event("StatementMade", "2024-06-13", data, overrides)


def entity(
    name: str = "Joint Institute for Nuclear Research",
    kind: str = "organization",
    aliases: list[str] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An EntityRegistered, by default JINR with its Russian and English short names."""
    data: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "aliases": ["ОИЯИ", "JINR", "Объединённый институт ядерных исследований"] if aliases is None else aliases,
        "description": "International intergovernmental research organization in Dubna, founded in 1956.",
    }
    return _event("EntityRegistered", "1956-03-26", data, overrides)


def request(stream: str, *raw: dict[str, Any], expected: Any = "any", derive_ids: bool = False) -> PreparedRequest:
    """A validated append request for `stream` holding `raw` events."""
    return prepare_request(stream, expected, list(raw), derive_ids=derive_ids)


def prepared(stream: str, *raw: dict[str, Any]) -> list[PreparedEvent]:
    """The validated events of `raw`, ready for `store.append(stream, ...)`."""
    return request(stream, *raw).events


def numbered_statements(count: int, label: str = "") -> list[dict[str, Any]]:
    """`count` distinct statements, quote i naming its index (and `label`)."""
    return [statement(f"Statement {label}{i}: the vote is due on June 20.") for i in range(count)]


def fact(type_: str, occurred: str, **data: Any) -> dict[str, Any]:
    """Any catalogue event with exactly the payload given, sourced to the seed article."""
    return {"type": type_, "occurred": occurred, "data": data, "sources": [source()]}
