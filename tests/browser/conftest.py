"""A real browser (Debian's chromium, driven by Playwright) against a real uvicorn server holding the seed corpus.

Without /usr/bin/chromium or the playwright package the browser tests are
skipped, unless ACCORD_REQUIRE_BROWSER=1 (as CI sets it), which turns the
skip into a failure. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from service.settings import Settings
from tests.http.conftest import load_seed, make_tokens
from tests.http.live import running

CHROMIUM = Path("/usr/bin/chromium")
REQUIRE_BROWSER_VARIABLE = "ACCORD_REQUIRE_BROWSER"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (375, 1280)


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_BROWSER_VARIABLE) == "1":
        pytest.fail(f"{REQUIRE_BROWSER_VARIABLE}=1 but {reason}")
    pytest.skip(reason)


@dataclass
class Live:
    """The running server: its base URL and a token of each role."""

    base: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = tmp_path_factory.mktemp("browser-archive")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data}/accord.db", poll_seconds=0.2)
    tokens = make_tokens(settings)
    load_seed(settings.url)
    with running(settings) as (base, _server):
        yield Live(base, tokens)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield launched
        finally:
            launched.close()


CONTRAST_SCRIPT = """
(() => {
  const rgb = c => (c.match(/[0-9.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!text || el.closest('svg') || !el.getClientRects().length) continue;
    const fg = rgb(getComputedStyle(el).color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) low.push(`${el.tagName.toLowerCase()}.${el.className}: ${ratio.toFixed(2)}`);
  }
  return [...new Set(low)].slice(0, 10);
})()
"""
"""Every element with text of its own, outside the drawing, against the first opaque background behind it."""


@dataclass
class Watched:
    """A page with what it did that it must not: dialogs opened, requests to other hosts."""

    page: Any
    base: str
    dialogs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def shoot(self, name: str) -> None:
        """Check the page's markup, then take full-page screenshots of it at each width, checking that
        nothing is wider than the window."""
        self.check_markup()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            wide = self.page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name} at {width} px is {wide} px wide: it scrolls sideways"
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def check_markup(self) -> None:
        """One h1, headings that never skip a level, a label for every field, a language on the page."""
        levels = self.page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
        assert levels[:1] == [1] and levels.count(1) == 1, f"{self.page.url}: headings {levels}"
        assert all(b <= a + 1 for a, b in pairwise(levels)), f"{self.page.url}: a heading skips a level: {levels}"
        unlabelled = self.page.evaluate(
            "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
            ".filter(el => !el.labels.length && !el.getAttribute('aria-label')).map(el => el.name || el.id)"
        )
        assert unlabelled == [], f"{self.page.url}: fields without a label: {unlabelled}"
        assert self.page.evaluate("document.documentElement.lang") == "en"
        low = self.page.evaluate(CONTRAST_SCRIPT)
        assert low == [], f"{self.page.url}: text with a contrast under 4.5:1: {low}"


@pytest.fixture
def watched(browser: Any, live: Live) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    seen = Watched(page, live.base)

    def dialog(d: Any) -> None:
        seen.dialogs.append(d.message)
        d.dismiss()

    def request(r: Any) -> None:
        if not r.url.startswith(live.base) and not r.url.startswith(("data:", "about:")):
            seen.outside.append(r.url)

    def route(r: Any) -> None:  # nothing leaves this machine, whatever a page asks for
        if r.request.url.startswith(live.base):
            r.continue_()
        else:
            r.abort()

    page.on("dialog", dialog)
    page.on("request", request)
    page.on("console", lambda m: seen.console_errors.append(m.text) if m.type == "error" else None)
    context.route("**/*", route)
    try:
        yield seen
    finally:
        context.close()
