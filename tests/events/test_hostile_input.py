"""Input built to hurt: every path into the log refuses it as one request's (or one line's) problem, in words.

What the HTTP API does with the same input, amid other clients' appends, is
in tests/http/test_hostile_requests.py; `accord import` is in
tests/service/test_cli.py.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from events.errors import InvalidEvent
from events.ndjson import parse_line
from events.prepare import MAX_NESTING, MISSING_VERSION, prepare_event, prepare_request, prepare_request_json
from tests.builders import entity, fact, statement

DEEP = "(nested)"
"""Where `refused` puts a value nested `deep` levels: no serialiser of this test could write it."""


def nested(depth: int) -> Any:
    """A value nesting `depth` objects and arrays, the outermost counting as one."""
    value: Any = "deep"
    for level in range(depth):
        value = {"level": value} if level % 2 else [value]
    return value


def nested_json(depth: int) -> bytes:
    opening = "".join('{"level":' if level % 2 else "[" for level in reversed(range(depth)))
    closing = "".join("}" if level % 2 else "]" for level in range(depth))
    return f'{opening}"deep"{closing}'.encode()


def _placed(value: Any, deep: int) -> Any:
    if value == DEEP:
        return nested(deep)
    if isinstance(value, dict):
        return {k: _placed(v, deep) for k, v in value.items()}
    if isinstance(value, list):
        return [_placed(v, deep) for v in value]
    return value


def refused(*events: dict[str, Any], deep: int = 0) -> list[tuple[str, str]]:
    """The problems an append of `events` (DEEP standing for a value nested `deep` levels) is refused for,
    over the JSON path and the import's text path alike."""
    with pytest.raises(InvalidEvent) as by_json:
        prepare_request_json({"stream": "person-vladimir-putin", "expected_version": "any", "events": _placed(list(events), deep)})
    line = orjson.dumps({"stream": "person-vladimir-putin", "events": list(events)}).replace(b'"(nested)"', nested_json(deep))
    with pytest.raises(InvalidEvent) as by_line:
        parse_line(line)
    found = [(p.field, p.reason) for p in by_json.value.problems]
    assert [(p.field, p.reason) for p in by_line.value.problems] == found
    return found


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 254, 300, 1000])
def test_metadata_nested_too_deep_is_refused_before_it_is_serialised(depth: int) -> None:
    reason = f"nests objects and arrays deeper than {MAX_NESTING} levels"
    assert refused(statement(metadata={"correlation_id": "x", "deep": DEEP}), deep=depth - 1) == [("events[0].metadata", reason)]


def test_data_nested_too_deep_is_refused_too() -> None:
    correction = fact("FactCorrected", "2026-11-23", target="3f5d2c1e-8a4b-4c6d-9e7f-0a1b2c3d4e5f",
                      fields={"context": DEEP}, reason="r")
    problems = refused(statement(), correction, deep=600)
    assert problems == [("events[1].data", f"nests objects and arrays deeper than {MAX_NESTING} levels")]


def test_the_deepest_nesting_allowed_is_kept() -> None:
    metadata = {"deep": nested(MAX_NESTING - 1)}
    event = prepare_event(statement(metadata=metadata), "person-vladimir-putin")
    assert orjson.loads(event.metadata) == metadata


@pytest.mark.parametrize(
    ("where", "event", "character"),
    [
        ("events[0].data.quote", statement("Dubna\x00"), "the NUL character (U+0000)"),
        ("events[0].sources[0].title", statement(sources=[{"publisher": "TASS", "title": "a\x07b"}]), "U+0007"),
        ("events[0].metadata.note", statement(metadata={"note": "\x1b[31m"}), "U+001B"),
        ("events[0].metadata", statement(metadata={"key\x00": 1}), "the NUL character (U+0000)"),
        ("events[0].data.name", entity("JINR\ufffe"), "U+FFFE"),
    ],
)
def test_text_that_is_not_text_is_refused_naming_where(where: str, event: dict[str, Any], character: str) -> None:
    [(field, reason)] = refused(event)
    assert field == where and character in reason


def test_tab_line_feed_and_carriage_return_are_text() -> None:
    kept = prepare_event(statement("Line one,\r\n\tline two."), "person-vladimir-putin")
    assert orjson.loads(kept.data)["quote"] == "Line one,\r\n\tline two."


def test_an_escaped_backslash_is_not_mistaken_for_a_control_character() -> None:
    quote = r"C:\u0000 and \b and \f, as printed"
    assert orjson.loads(prepare_event(statement(quote), "person-vladimir-putin").data)["quote"] == quote


def test_an_integer_beyond_64_bits_or_a_lone_surrogate_from_python_is_refused_not_raised() -> None:
    for metadata, reason in (({"n": 2**70}, "integer beyond 64 bits"), ({"s": "\ud800"}, "lone surrogate")):
        with pytest.raises(InvalidEvent) as caught:
            prepare_request("person-vladimir-putin", "any", [statement(metadata=metadata)])
        assert reason in str(caught.value)


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u2060", " \u200b\u200d ", "\u00ad", "\u3164"])
def test_text_of_invisible_characters_alone_is_blank(invisible: str) -> None:
    [(field, reason)] = refused(statement(invisible))
    assert field == "events[0].data.quote" and reason.startswith("must not be blank")


def test_invisible_characters_within_text_are_kept() -> None:
    assert orjson.loads(prepare_event(statement("Dub\u00adna\u200b"), "person-vladimir-putin").data)["quote"] == "Dub\u00adna\u200b"


def test_an_append_request_must_say_which_version_it_expects() -> None:
    with pytest.raises(InvalidEvent) as caught:
        prepare_request_json({"stream": "org-jinr", "events": [entity()]})
    assert [(p.field, p.reason) for p in caught.value.problems] == [("expected_version", MISSING_VERSION)]


def test_an_import_line_may_leave_the_version_out_and_expects_any() -> None:
    assert parse_line(orjson.dumps({"stream": "org-jinr", "events": [entity()]})).expected_version == "any"


def test_a_whole_number_written_with_a_fraction_is_that_number() -> None:
    # JSON has one kind of number, and JSON Schema (so the OpenAPI document) reads 7.0 as the integer 7.
    assert prepare_request("org-jinr", 7.0, [entity()]).expected_version == 7
    vote = fact("VoteHeld", "2024-06-19", body="org-cern-council", motion="m", outcome="passed", tally={"yes": 16.0})
    assert orjson.loads(prepare_event(vote, "org-cern-council").data)["tally"] == {"yes": 16}
