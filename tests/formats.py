"""Hypothesis strategies for the string formats the contract names, as clients write them.

`edtf_dates()` draws EDTF level 0 and 1 strings that are dates (calendar days
that exist, interval ends in order): what the OpenAPI document's `format:
edtf` promises the server accepts. The EDTF tests hold the parser to the
`edtf` library over these, and the schemathesis test draws `format: edtf`
values from them.
"""

from __future__ import annotations

import calendar

from hypothesis import strategies as st

QUALIFIERS = st.sampled_from(["", "", "?", "~", "%"])
TIMES = st.builds(
    "{:02d}:{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)
) | st.just("24:00:00")
ZONES = st.sampled_from(["", "Z", "+01:00", "-05:00", "+14:00", "-00:30", "+13"])


def _year_text(year: int) -> str:
    return f"-{-year:04d}" if year < 0 else f"{year:04d}"


def _season(year: int) -> st.SearchStrategy[str]:
    return st.integers(21, 24).map(lambda season: f"{_year_text(year)}-{season}")


@st.composite
def _day(draw: st.DrawFn, year: int) -> str:
    month = draw(st.integers(1, 12))
    days = 29 if month == 2 and calendar.isleap(year) else calendar.mdays[month]
    return f"{_year_text(year)}-{month:02d}-{draw(st.integers(1, days)):02d}"


def _in_year(year: int, *, seasons: bool = True) -> st.SearchStrategy[str]:
    """The year, one of its months or days, or (with `seasons`) one of its seasons, written out."""
    months = st.integers(1, 12).map(lambda month: f"{_year_text(year)}-{month:02d}")
    within = st.just(_year_text(year)) | months | _day(year)
    return within | _season(year) if seasons else within


@st.composite
def _single(draw: st.DrawFn) -> str:
    year = draw(st.integers(0, 9999) | st.integers(-9999, -1))
    form = draw(st.sampled_from(["date", "date", "date", "unspecified year", "unspecified part", "long year", "date and time"]))
    if form == "date":  # a season alone takes no qualifier at level 1; in an interval it may
        return draw(st.tuples(_in_year(year, seasons=False), QUALIFIERS).map("".join) | _season(year))
    if form == "unspecified year":
        digits = f"{abs(year):04d}"
        hidden = draw(st.integers(1, 3))
        return ("-" if year < 0 else "") + digits[: 4 - hidden] + "X" * hidden + draw(QUALIFIERS)
    if form == "unspecified part":
        month = draw(st.integers(1, 12))
        part = draw(st.sampled_from(["XX", "XX-XX", f"{month:02d}-XX"]))
        return f"{_year_text(year)}-{part}{draw(QUALIFIERS)}"
    if form == "long year":
        return f"Y{draw(st.sampled_from(['', '-']))}{draw(st.integers(10_000, 10**12))}"
    return f"{draw(_day(year))}T{draw(TIMES)}{draw(ZONES)}"


@st.composite
def _interval(draw: st.DrawFn) -> str:
    """Two ends in order, by construction: the start lies in an earlier year than the end, or
    both are the same whole year; either end may be open (..) or unknown (empty), not both."""
    first = draw(st.integers(-9999, 9998))
    second = draw(st.integers(first + 1, 9999))
    start = draw(_in_year(first)) + draw(QUALIFIERS)
    end = draw(_in_year(second)) + draw(QUALIFIERS)
    shape = draw(st.sampled_from(["closed", "closed", "same year", "open start", "open end"]))
    if shape == "same year":
        return f"{_year_text(first)}/{_year_text(first)}"
    if shape == "open start":
        return f"{draw(st.sampled_from(['', '..']))}/{end}"
    if shape == "open end":
        return f"{start}/{draw(st.sampled_from(['', '..']))}"
    return f"{start}/{end}"


def edtf_dates() -> st.SearchStrategy[str]:
    """EDTF level 0 and 1 strings that name dates accord accepts."""
    return _single() | _interval()
