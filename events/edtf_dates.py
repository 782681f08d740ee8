"""EDTF dates (levels 0 and 1) with the calendar bounds later layers sort and filter by.

The `edtf` package is the authority on the grammar, but one parse costs
milliseconds. The forms archivists write almost always (`2024`, `2024-06`,
`2024-06-20`, each with an optional `?`, `~` or `%`, and intervals of them)
are read here by a regular expression that accepts exactly the same strings
and yields the same bounds; everything else goes to the library. Results are
cached, so an import never parses the same string twice.

Bounds are ISO dates (`YYYY-MM-DD`) that compare correctly as text. An
uncertain or approximate date keeps the interval it names (`2024-12~` is
December 2024); an open end (`..`) or an unknown end (an empty side) reaches
to the edge of the calendar. Years before 1 or after 9999 are clamped to those
edges, which keeps the ordering right for every year the archive speaks of.
"""

from __future__ import annotations

import calendar
import re
import time
from functools import lru_cache
from typing import Any, NamedTuple

import edtf

FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"

_SIMPLE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?[?~%]?")

# Level 0 and level 1 classes of the edtf package for a single date; level 2
# classes (partial qualifiers, sets, exponential years...) are refused.
_LEVEL01_SINGLE = frozenset(
    {"Date", "DateAndTime", "UncertainOrApproximate", "Unspecified", "LongYear", "Season"}
)
_LEVEL01_INTERVAL = frozenset({"Interval", "Level1Interval"})


class EdtfDate(NamedTuple):
    """An EDTF string with the first and last calendar day it can mean."""

    text: str
    lower: str
    upper: str


class EdtfError(ValueError):
    """The string is not an EDTF level 0 or level 1 date or interval."""


@lru_cache(maxsize=65536)
def parse_edtf_date(text: str) -> EdtfDate:
    """Parse `text` as EDTF level 0/1 and return it with its bounds; raise EdtfError."""
    if not isinstance(text, str) or not text.strip():
        raise EdtfError("an EDTF date is required, e.g. 2024-06-20, 2024-06 or 2024-12~")
    if text != text.strip():
        raise EdtfError(f"{text!r} has surrounding white space")
    if "/" in text:
        return _parse_interval(text)
    lower, upper = _single_bounds(text)
    return EdtfDate(text, lower, upper)


def _parse_interval(text: str) -> EdtfDate:
    start, sep, end = text.partition("/")
    if "/" in end:
        raise EdtfError(f"{text!r} is not an EDTF interval: it has more than one '/'")
    if start in ("", "..") and end in ("", ".."):
        raise EdtfError(f"{text!r} is an interval with neither start nor end")
    if not all(side in ("", "..") or _SIMPLE.fullmatch(side) for side in (start, end)):
        # Ends beyond plain dates: the library decides whether the interval is level 0/1.
        kind = _library_kind(text)
        if kind not in _LEVEL01_INTERVAL:
            raise EdtfError(f"{text!r} is not an EDTF level 0/1 interval ({kind})")
    lower = FIRST_DAY if start in ("", "..") else _single_bounds(start)[0]
    upper = LAST_DAY if end in ("", "..") else _single_bounds(end)[1]
    if lower > upper:
        raise EdtfError(f"{text!r} ends before it starts")
    return EdtfDate(text, lower, upper)


def _single_bounds(text: str) -> tuple[str, str]:
    match = _SIMPLE.fullmatch(text)
    if match is None:
        return _library_bounds(text)
    year, month, day = match.groups()
    if year == "0000":
        return FIRST_DAY, FIRST_DAY  # year 0 (1 BCE) lies before the calendar's first day
    if month is None:
        return f"{year}-01-01", f"{year}-12-31"
    m = int(month)
    if not 1 <= m <= 12:
        # 21-24 are level 1 seasons: let the library read them.
        return _library_bounds(text)
    last = calendar.monthrange(int(year), m)[1]
    if day is None:
        return f"{year}-{month}-01", f"{year}-{month}-{last:02d}"
    if not 1 <= int(day) <= last:
        raise EdtfError(f"{text!r} is not a calendar date: {year}-{month} has {last} days")
    return f"{year}-{month}-{day}", f"{year}-{month}-{day}"


def _library_parse(text: str) -> object:
    try:
        return edtf.parse_edtf(text)
    except Exception as exc:  # the library raises several unrelated types
        raise EdtfError(f"{text!r} is not an EDTF date ({_first_line(exc)})") from None


def _library_kind(text: str) -> str:
    return type(_library_parse(text)).__name__


def _library_bounds(text: str) -> tuple[str, str]:
    parsed: Any = _library_parse(text)
    kind = type(parsed).__name__
    if kind not in _LEVEL01_SINGLE:
        raise EdtfError(f"{text!r} uses EDTF level 2 ({kind}); accord accepts levels 0 and 1")
    return _day(parsed.lower_strict()), _day(parsed.upper_strict())


def _day(moment: time.struct_time) -> str:
    if moment.tm_year < 1:
        return FIRST_DAY
    if moment.tm_year > 9999:
        return LAST_DAY
    return f"{moment.tm_year:04d}-{moment.tm_mon:02d}-{moment.tm_mday:02d}"


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]
