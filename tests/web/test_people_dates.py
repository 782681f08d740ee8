"""EDTF dates and archive moments in words, and citations that carry the permalink."""

from __future__ import annotations

import re

import orjson
import pytest
from markdown_it import MarkdownIt

from service.web.cite import cite
from service.web.dates import for_people, moment_for_people


@pytest.mark.parametrize(("edtf", "words"), [
    ("2024", "2024"),
    ("2024-06", "June 2024"),
    ("2024-06-20", "20 June 2024"),
    ("2024-12~", "about December 2024"),
    ("2024-12?", "December 2024 (uncertain)"),
    ("2024-12%", "about December 2024 (uncertain)"),
    ("2024-12/2025-03", "December 2024 – March 2025"),
    ("2024-03/2024-06", "March – June 2024"),
    ("2024-06-13/2024-06-19", "13–19 June 2024"),
    ("2024-06-05/2024-07-13", "5 June – 13 July 2024"),
    ("/2024-03", "by March 2024"),
    ("2024/..", "from 2024 on"),
    ("../2024", "until 2024"),
    ("2024-21", "spring 2024"),
    ("2026-02-09~", "about 9 February 2026"),
    ("2024-12~/2025-03", "about December 2024 – March 2025"),
    ("Y170000002", "Y170000002"),
    ("", ""),
])
def test_edtf_as_people_read_it(edtf: str, words: str) -> None:
    assert for_people(edtf) == words


def test_an_archive_moment_in_words() -> None:
    assert moment_for_people("2026-01-05T08:00:00.000000Z") == "5 January 2026, 08:00 UTC"


def test_citations_carry_the_permalink_and_quote_markdown_safely() -> None:
    event = {
        "id": "22a2410c-7ff4-4620-848f-f2307eade4b1", "position": 7, "hash": "ab" * 32, "type": "StatementMade",
        "occurred": "2024-06", "data": {"speaker": "person-boris-grinev", "quote": "feeds the [war](javascript:x) machine"},
        "sources": [{"publisher": "T-invariant", "title": "Window", "published": "2024-06-13", "url": "https://example.org/a"}],
    }
    permalink = "http://testserver/events/22a2410c-7ff4-4620-848f-f2307eade4b1"
    cited = cite(event, permalink, "Boris Grinev", "2026-11-23")
    assert permalink in cited.plain and "Boris Grinev, “feeds the [war](javascript:x) machine”, June 2024." in cited.plain
    assert f"(<{permalink}>)" in cited.markdown
    rendered = MarkdownIt().render(cited.markdown)
    assert "javascript" not in "".join(re.findall(r'href="([^"]*)"', rendered)) and "[war](javascript:x)" in rendered
    csl = orjson.loads(cited.csl_json)[0]
    assert csl["URL"] == permalink and csl["author"] == [{"literal": "Boris Grinev"}]
    assert csl["issued"] == {"date-parts": [[2024, 6]]} and csl["container-title"] == "T-invariant"
