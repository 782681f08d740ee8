"""Every facet value on the search page is a link that finds exactly the number of facts it shows:
over the seed corpus and over a generated log with vague, open and year-spanning dates."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from bench.generate import generate
from tests.builders import statement
from tests.http.conftest import Server
from tests.web.conftest import page

FACET_LINK = re.compile(r'<li><a href="(/search\?[^"]*)">[^<]*<span class="count">(\d+)</span></a></li>')
ACTIVE = re.compile(r'<span class="active" aria-current="true">[^<]*<span class="count">(\d+)</span>')


def click_every_facet(app: Server, **params: Any) -> int:
    """Open the search page, follow each facet link (and each link's own facets, one level down); return the links followed."""
    followed = 0
    start = page(app, "/search", **params)
    assert start.status_code == 200, start.text
    for href, count in FACET_LINK.findall(start.text):
        target = html_lib.unescape(href)
        shown = page(app, target)
        assert shown.status_code == 200, target
        assert shown.context["results"].total == int(count), f"{target}: the facet said {count}"  # type: ignore[attr-defined]
        for active in ACTIVE.findall(shown.text):
            assert int(active) == int(count), target  # the value now in force counts what is shown
        for inner_href, inner_count in FACET_LINK.findall(shown.text):
            inner = page(app, html_lib.unescape(inner_href))
            assert inner.status_code == 200 and inner.context["results"].total == int(inner_count), inner_href  # type: ignore[attr-defined]
            followed += 1
        followed += 1
    return followed


def test_every_facet_of_the_seed_corpus_finds_what_it_counts(seeded: Server) -> None:
    years = seeded.client.get("/search", params={"q": ""}).json()["facets"]["year"]
    assert "1" not in {y["value"] for y in years} and all(len(y["value"]) == 4 for y in years)
    assert click_every_facet(seeded) > 20
    assert click_every_facet(seeded, q="JINR") > 10
    assert click_every_facet(seeded, q="CERN", **{"from": "2024-06", "to": "2026"}) > 5


def test_every_facet_of_a_generated_log_finds_what_it_counts(server: Server) -> None:
    for request in generate(400, seed=16):
        response = server.append(request["stream"], *request["events"], expected=request["expected_version"])
        assert response.status_code in (200, 201), response.text
    vague = ["/2012", "/2024-06-19", "2023-11/2024-02", "2019~/2021", "1999/..", "2024-21"]
    response = server.append("person-vladimir-putin", *[statement(f"Vague words {i}", occurred=d) for i, d in enumerate(vague)])
    assert response.status_code == 201, response.text
    server.settled()
    assert click_every_facet(server, per_page=5) > 20
    assert click_every_facet(server, q="vague") >= 6
