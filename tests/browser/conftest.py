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
