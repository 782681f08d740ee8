"""Citations a journalist can paste: nested quotation marks, Markdown that renders as the same text and one
link, CSL-JSON dates as citeproc-py reads them, anonymous speakers and corrected facts; and the feed."""

from __future__ import annotations

import re

import feedparser
import orjson
import pytest
from citeproc.source.json import CiteProcJSON
from markdown_it import MarkdownIt

from service.web.cite import cite, csl_date
from tests.builders import entity, fact, statement
from tests.http.conftest import Server
from tests.web.conftest import page

PERMALINK = "http://testserver/events/22a2410c-7ff4-4620-848f-f2307eade4b1"
HOSTILE_URL = "https://x.example/a>[evil](https://evil.example)"
TITLE = "“Window to the West”: how will the fate of the last channel of interaction be decided?"


def _event(**data: object) -> dict[str, object]:
    return {
        "id": "22a2410c-7ff4-4620-848f-f2307eade4b1", "position": 7, "hash": "ab" * 32, "type": "StatementMade",
        "occurred": data.pop("occurred", "2024-06-05/2024-06-19"),
        "data": {"speaker": "person-andrei-rostovtsev", "quote": "JINR can remain a kind of “window to the West”", **data},
        "sources": [{"publisher": "T-invariant", "title": TITLE, "published": "2024-06-13/2024-06-19", "url": HOSTILE_URL}],
    }


def test_a_quote_inside_a_quote_takes_single_marks() -> None:
    cited = cite(_event(), PERMALINK, "Andrei Rostovtsev", "2026-11-23")
    assert "Andrei Rostovtsev, “JINR can remain a kind of ‘window to the West’”, 5–19 June 2024." in cited.plain
    assert "T-invariant, “‘Window to the West’: how will the fate of the last channel of interaction be decided?”" in cited.plain
    assert "“…“" not in cited.plain and "”…”" not in cited.plain


def test_markdown_escapes_only_what_would_be_markup_and_a_hostile_url_stays_one_link() -> None:
    cited = cite(_event(quote="T-invariant says *not* [this](https://evil.example) & that 1. <b>x</b>"), PERMALINK, "A", "2026-11-23")
    assert "T-invariant" in cited.markdown and "T\\-invariant" not in cited.markdown
    rendered = MarkdownIt().render(cited.markdown)
    links = re.findall(r'<a href="([^"]*)">', rendered)
    assert len(links) == 2, rendered  # the source and the permalink, nothing injected
    assert links[0] == "https://x.example/a%3E%5Bevil%5D(https://evil.example)" and links[1] == PERMALINK
    assert "*not* [this](https://evil.example) &amp; that 1. &lt;b&gt;x&lt;/b&gt;" in rendered  # the quote as text
    assert "<em>" not in rendered and "<b>" not in rendered


@pytest.mark.parametrize(("edtf", "parts", "circa"), [
    ("2024-06-05/2024-06-19", [[2024, 6, 5], [2024, 6, 19]], False),
    ("2024-12/2025-03", [[2024, 12], [2025, 3]], False),
    ("2026-02-09~", [[2026, 2, 9]], True),
    ("2024?", [[2024]], True),
    ("2024-06", [[2024, 6]], False),
])
def test_csl_json_dates_are_ranges_and_approximations_citeproc_reads(edtf: str, parts: list[list[int]], circa: bool) -> None:
    cited = cite(_event(occurred=edtf), PERMALINK, "Andrei Rostovtsev", "2026-11-23")
    [item] = orjson.loads(cited.csl_json)
    assert item["issued"]["date-parts"] == parts and bool(item["issued"].get("circa")) is circa
    read = CiteProcJSON([item])[item["id"]]["issued"]
    if len(parts) == 2:
        assert [read["begin"].get("year"), read["end"].get("year")] == [parts[0][0], parts[1][0]]
        assert read["begin"].get("month") == parts[0][1] and read["end"].get("month") == parts[1][1]
    else:
        assert read["year"] == parts[0][0] and bool(read.get("circa")) is circa


def test_an_open_date_is_cited_in_words() -> None:
    assert csl_date("/2024-06-19") == {"literal": "by 19 June 2024"}
    [item] = orjson.loads(cite(_event(occurred="/2024-06-19"), PERMALINK, "A", "2026-11-23").csl_json)
    assert CiteProcJSON([item])[item["id"]]["issued"]["text"] == "by 19 June 2024"


def test_an_anonymous_speaker_is_named_by_their_description() -> None:
    event = _event(speaker="anonymous", speaker_description="a physicist working at JINR")
    cited = cite(event, PERMALINK, None, "2026-11-23")
    assert cited.plain.startswith("A physicist working at JINR, “")
    assert orjson.loads(cited.csl_json)[0]["author"] == [{"literal": "A physicist working at JINR"}]


def test_a_corrected_fact_is_cited_as_the_version_shown_with_the_corrections_hash(server: Server) -> None:
    [first] = server.append("person-boris-grinev", entity("Boris Grinev", kind="person"), statement("Words as first printed")).json()["ids"][1:]
    fix = server.append("person-boris-grinev", fact("FactCorrected", "2026-11-23", target=first, fields={"quote": "Words as printed"},
                                                    reason="misread")).json()["ids"][0]
    correction = server.client.get(f"/events/{fix}").json()
    shown = page(server, f"/events/{first}")
    cited = shown.context["cite"]  # type: ignore[attr-defined]
    version = f"http://testserver/events/{first}?revision=1"
    assert "Words as printed" in cited.plain and "first printed" not in cited.plain
    assert correction["hash"] in cited.plain and correction["hash"] in cited.markdown and correction["hash"] in cited.csl_json
    assert all(version in text for text in (cited.plain, cited.markdown, cited.csl_json))
    original = page(server, f"/events/{first}", revision=0)
    assert "Words as first printed" in original.context["cite"].plain and "earlier version" in original.text  # type: ignore[attr-defined]
    assert page(server, f"/events/{first}", revision=2).status_code == 404


def test_the_feed_is_utf8_with_human_titles_and_every_page_advertises_it(seeded: Server) -> None:
    response = seeded.client.get("/feed.atom", params={"limit": 500})
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    titles = [e.title for e in feed.entries]
    assert any(t.startswith("Trubnikov: “Our institutes share decades of friendship") and t.endswith("…”") for t in titles)
    assert "Asai: “Your expertise will be extremely valuable in creating the IWCD Cherenkov Detector, which will enable us to " \
           "study one of…”" in titles
    assert any(t.startswith("Agreement signed: Cooperation agreement between JINR and KEK") for t in titles)
    assert not [t for t in titles if re.search(r"StatementMade|person-|org-|Ã|â€", t)]
    window = next(e for e in feed.entries if "window to the West" in e.title)
    assert "‘window to the West’" in window.title  # the quote's own marks nested inside the title's
    assert all(e.link.startswith("http://testserver/events/") for e in feed.entries)
    for path in ("/", "/agreements", "/timeline", "/entities/org-jinr", "/agreements/agreement-cern-jinr"):
        assert '<link rel="alternate" type="application/atom+xml" href="/feed.atom"' in page(seeded, path).text
