"""What journalists and archivists do, in a real browser: search, narrow, open, cite, look back in time, append.

Every test also checks that the pages opened no dialog and asked no other host for anything.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Live, Watched

pytestmark = pytest.mark.browser

XSS_QUOTE = (
    "<script>alert('quote')</script> <img src=x onerror=alert('img')> "
    "<a href=\"javascript:alert('link')\">javascript link</a> javascript:alert('text') zanzibarquux"
)


def _clean(watched: Watched) -> None:
    assert watched.dialogs == [], f"a page opened a dialog: {watched.dialogs}"
    assert watched.outside == [], f"a page asked another host: {watched.outside}"


def test_search_narrow_open_and_cite(watched: Watched, live: Live) -> None:
    page = watched.page
    page.goto(live.base + "/")
    page.get_by_label("Words, “a phrase”, AND, OR, NOT, prefix*").fill("JINR")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?*q=JINR*")
    assert page.locator(".entity-card h3").first.inner_text().startswith("JINR")  # the entity named, first
    assert "JINR" in page.locator("mark").all_inner_texts()
    total = page.locator("#results-heading").inner_text()
    watched.shoot("search")

    page.locator(".facet a", has_text="Boris Grinev").focus()  # by keyboard: facets are plain links
    page.keyboard.press("Enter")
    page.wait_for_url("**speaker=Boris+Grinev*")
    assert "Speaker: Boris Grinev" in page.locator(".active-filters").inner_text()
    assert page.locator("#results-heading").inner_text() != total
    speakers = {m.split(" · ")[0] for m in page.locator(".hit .meta").all_inner_texts()}
    assert speakers == {"Boris Grinev"}
    watched.shoot("search-facet")

    page.locator(".hit .open a").first.click()
    page.wait_for_url("**/events/*")
    permalink = page.url
    assert "Boris Grinev" in page.locator("figure.statement figcaption").inner_text()
    assert page.locator(".sources li").count() >= 1
    plain = page.get_by_label("Plain text").input_value()
    markdown = page.get_by_label("Markdown").input_value()
    assert permalink in plain and permalink in markdown and "Boris Grinev" in plain
    assert permalink in page.get_by_label("CSL-JSON (for Zotero and other reference managers)").input_value()
    watched.shoot("fact")
    _clean(watched)


def test_an_agreement_looked_at_before_it_ended(watched: Watched, live: Live) -> None:
    page = watched.page
    page.goto(live.base + "/agreements")
    watched.shoot("agreements")
    page.get_by_role("link", name="Cooperation agreement between CERN and JINR").click()
    page.wait_for_url("**/agreements/agreement-cern-jinr")
    assert page.locator(".status-line .status").inner_text() == "expired"
    assert page.locator("svg.timeline a").count() >= 3
    page.get_by_label("The world on (valid_at)").fill("2024-06-30")
    page.get_by_role("button", name="Redraw").click()
    page.wait_for_url("**valid_at=2024-06-30*")
    assert page.locator(".status-line .status").inner_text() == "in force"
    assert "30 June 2024" in page.locator(".as-of-now").inner_text()
    watched.shoot("agreement")
    page.locator("svg.timeline a text").first.click()
    page.wait_for_url("**/events/*")
    page.goto(live.base + "/entities")
    watched.shoot("entities")
    page.get_by_role("link", name="JINR", exact=True).click()
    page.wait_for_url("**/entities/org-jinr")
    assert "ОИЯИ" in page.locator(".aliases").inner_text()
    watched.shoot("entity")
    page.goto(live.base + "/timeline")
    watched.shoot("timeline")
    _clean(watched)


def test_an_archivist_signs_in_appends_a_fact_and_finds_it(watched: Watched, live: Live) -> None:
    page = watched.page
    page.goto(live.base + "/archivist")
    watched.shoot("sign-in")
    page.get_by_label("Token").fill(live.tokens["archivist"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Kind of fact").select_option("StatementMade")
    page.get_by_role("button", name="Show its fields").click()
    page.get_by_label("When it happened (required)").fill("2024-06-21")
    page.get_by_label("Speaker (required)").fill("person-boris-grinev")
    page.get_by_label("Publisher (required)").fill("T-invariant")
    page.get_by_label("Link", exact=True).fill("not a link")
    page.get_by_role("button", name="Append the fact").click()
    assert page.locator("#f-quote-error").inner_text() == "Quote: required"
    assert "must be an absolute http(s) URL" in page.locator("#f-source-url-error").inner_text()
    assert page.get_by_label("Publisher (required)").input_value() == "T-invariant"
    watched.shoot("append-errors")
    page.locator("#f-quote").fill("Dubna stays open to everyone who wants to work: quetzalcoatlus")
    page.get_by_label("Link", exact=True).fill("https://example.org/interview")
    page.get_by_role("button", name="Append the fact").click()
    page.wait_for_url("**/events/*?appended=1")
    assert "The fact was appended" in page.locator(".notice.ok").inner_text()
    watched.shoot("appended")

    deadline = time.monotonic() + 10
    while True:
        page.goto(live.base + "/search?q=quetzalcoatlus")
        if page.locator(".hit").count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "quetzalcoatlus" in page.locator(".hit .quote").first.inner_text()
    page.locator(".hit .open a").first.click()
    page.get_by_role("link", name="Correct or retract this fact").click()
    assert page.locator("#f-quote").input_value().endswith("quetzalcoatlus")
    watched.shoot("correct")
    _clean(watched)


def test_script_in_a_quote_runs_nothing_and_shows_as_text(watched: Watched, live: Live) -> None:
    event: dict[str, Any] = {
        "type": "StatementMade", "occurred": "2024-06",
        "data": {"speaker": "anonymous", "speaker_description": "<img src=x onerror=alert('who')>", "quote": XSS_QUOTE},
        "sources": [{"publisher": "<script>alert('publisher')</script>", "title": "<img src=y onerror=alert('title')>",
                     "url": "https://example.org/<script>"}],
    }
    response = httpx.post(f"{live.base}/streams/person-boris-grinev/events", json={"expected_version": "any", "events": [event]},
                          headers={"Authorization": f"Bearer {live.tokens['archivist']}"})
    assert response.status_code == 201, response.text
    event_id = response.json()["ids"][0]
    page = watched.page
    page.goto(f"{live.base}/events/{event_id}")
    assert "<script>alert('quote')</script>" in page.locator("blockquote.quote").inner_text()
    assert "<script>alert('publisher')</script>" in page.locator(".sources").inner_text()
    assert page.locator("main img, main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    watched.shoot("xss-fact")
    deadline = time.monotonic() + 10
    while True:
        page.goto(live.base + "/search?q=zanzibarquux")
        if page.locator(".hit").count() or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "onerror=alert('img')" in page.locator(".hit .quote").first.inner_text()
    assert page.locator("main img, main script").count() == 0 and page.locator("a[href^='javascript']").count() == 0
    page.wait_for_timeout(300)  # a handler that would fire on load has had its chance
    _clean(watched)
