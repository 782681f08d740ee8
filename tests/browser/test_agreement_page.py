"""The agreement page tells the story at a phone's width and a desktop's: status in words, the history table,
the drawing with its bands, today line and legend, and no serious accessibility violation (axe-core)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, Live, Watched

pytestmark = pytest.mark.browser

SERIOUS = ("serious", "critical")
SHAPES = {"agreement-cern-jinr": (4, 2), "agreement-cern-ussr": (2, 2), "agreement-jinr-kek": (1, 1)}
"""For each agreement shown: at least so many rows of history and bands of status."""


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, as `rule: targets`."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"] if v.get("impact") in SERIOUS
    ]


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("agreement", sorted(SHAPES))
def test_the_agreement_page_at_each_width(watched: Watched, live: Live, width: int, agreement: str) -> None:
    page = watched.page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live.base}/agreements/{agreement}")
    watched.check_markup()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    assert page.locator(".status-words").inner_text().strip()
    rows, bands = SHAPES[agreement]
    assert page.locator("table.history tbody tr").count() >= rows
    assert page.locator("table.history").is_visible()
    svg = page.locator("svg.timeline")
    assert svg.get_attribute("viewBox") and svg.get_attribute("role") != "img"
    box = svg.bounding_box()
    assert box is not None and box["width"] >= min(width - 40, 700) * 0.9  # drawn to the page's width
    assert page.locator("svg.timeline rect.band").count() >= bands and page.locator("svg.timeline line.now").count() == 1
    assert page.locator(".legend li").count() >= 3
    label = page.locator("svg.timeline text.label").first
    assert label.evaluate("t => t.getBoundingClientRect().height") >= 11  # a label stays readable at this width
    links = page.locator("svg.timeline a")
    assert links.count() >= 1 and links.first.evaluate("a => new URL(a.getAttribute('href'), location.href).href").startswith(f"{live.base}/events/")
    assert axe_violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{agreement}-{width}.png"), full_page=True)
    assert watched.console_errors == []


def test_the_story_of_the_jinr_agreement_in_words(watched: Watched, live: Live) -> None:
    page = watched.page
    page.goto(f"{live.base}/agreements/agreement-cern-jinr")
    assert page.locator(".status-words").inner_text() == "Expired on its end date, January 2025; no source reports it."
    assert "expired, by date alone" in page.locator(".legend").inner_text()
    assert "scheduled for 20 June 2024" in page.locator("table.history").inner_text()
    assert page.locator(".statements blockquote").count() == 8
    page.locator("svg.timeline a text.label").first.click()
    page.wait_for_url("**/events/*")
    assert page.locator("#cite-heading").is_visible()
    assert page.locator("button.copy").count() == 3 and page.locator("button.copy").first.is_visible()
    assert axe_violations(page) == []
