"""EDTF dates (levels 0 and 1) with the calendar bounds later layers sort and filter by.

The grammar is the Library of Congress Extended Date/Time Format at levels 0
and 1, as the `edtf` package reads it, and it is read here by regular
expressions: a date of any length costs microseconds, never the milliseconds
a general parser takes, so no input can hold an appending thread. The
`edtf` package stays the reference the tests hold this module to.

The forms: `2024`, `2024-06`, `2024-06-20`, each with an optional `?`, `~`
or `%`; a negative year (`-0100`); seasons 21-24 (`2024-21`); unspecified
digits from the right (`201X`, `20XX`, `2024-XX`, `2024-06-XX`); a year
beyond four digits (`Y170000002`); a date and time (`2024-06-20T10:00:00Z`);
and intervals of dates or seasons, either end open (`..`) or unknown (empty).
Everything else, level 2 included (sets, significant digits, qualified parts),
is refused with words that say why. Strings longer than MAX_LENGTH are refused
before anything else is done with them.

Bounds are ISO dates (`YYYY-MM-DD`) that compare correctly as text. An
uncertain or approximate date keeps the interval it names (`2024-12~` is
December 2024); an open end (`..`) or an unknown end (an empty side) reaches
to the edge of the calendar. Years before 1 or after 9999 are clamped to those
edges, which keeps the ordering right for every year the archive speaks of.
Results, refusals included, are cached, so an import never reads the same
string twice.
"""

from __future__ import annotations

import calendar
import re
from functools import lru_cache
from typing import NamedTuple

FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"
MAX_LENGTH = 64
"""The longest EDTF string accepted; the longest level 1 form, two qualified days in an interval, has 23."""

EXAMPLES = "such as 2024-06-20, 2024-06, 2024, 2024-12~ or 2024-06/2024-09"

_DATE = re.compile(r"(-?[0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([?~%])?")
_UNSPECIFIED_YEAR = re.compile(r"(-?)([0-9](?:[0-9]{2}X|[0-9]XX|XXX))([?~%])?")
_UNSPECIFIED_PART = re.compile(r"(-?[0-9]{4})-(?:XX|XX-XX|([0-9]{2})-XX)([?~%])?")
_LONG_YEAR = re.compile(r"Y(-?)[1-9][0-9]{4,}")
_TIME = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|24:00:00)"
_ZONE = r"(?:Z|[+-](?:(?:0[1-9]|1[0-3])(?::[0-5][0-9])?|14:00|00:(?:0[1-9]|[1-5][0-9])))"
_DATE_TIME = re.compile(rf"(-?[0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})T{_TIME}{_ZONE}?")

# Meteorological seasons of the northern hemisphere, as the `edtf` package bounds them.
_SEASONS = {21: ("03-01", "05-31"), 22: ("06-01", "08-31"), 23: ("09-01", "11-30"), 24: ("12-01", "12-31")}

# The grammar above as one JSON Schema pattern, for the OpenAPI document. It is looser than the
# reading (it leaves calendar days, `-0000` and the order of an interval's ends to the server), so
# nothing it refuses is a date.
_P_YEAR = "-?[0-9]{4}"
_P_DAY = "(?:0[1-9]|[12][0-9]|3[01])"
_P_DATE_OR_SEASON = f"{_P_YEAR}(?:-(?:(?:0[1-9]|1[0-2])(?:-{_P_DAY})?|2[1-4]))?"
_P_SIDE = rf"(?:\.\.|{_P_DATE_OR_SEASON}[?~%]?)"
_P_SINGLE = "|".join((
    f"{_P_DATE_OR_SEASON}[?~%]?",
    "-?[0-9](?:[0-9]{2}X|[0-9]XX|XXX)[?~%]?",
    f"{_P_YEAR}-(?:XX|XX-XX|(?:0[1-9]|1[0-2])-XX)[?~%]?",
    "Y-?[1-9][0-9]{4,}",
    f"{_P_YEAR}-(?:0[1-9]|1[0-2])-{_P_DAY}T{_TIME}{_ZONE}?",
))
GRAMMAR = f"{_P_SINGLE}|{_P_SIDE}?/{_P_SIDE}?"
PATTERN = f"^(?:{GRAMMAR})$"
"""Every string `parse_edtf_date` accepts matches this (ECMA-262 and Python regular expressions alike)."""


class EdtfDate(NamedTuple):
    """An EDTF string with the first and last calendar day it can mean."""

    text: str
    lower: str
    upper: str


class EdtfError(ValueError):
    """The string is not an EDTF level 0 or level 1 date or interval."""


def parse_edtf_date(text: str) -> EdtfDate:
    """Parse `text` as EDTF level 0/1 and return it with its bounds; raise EdtfError."""
    if type(text) is str and len(text) <= MAX_LENGTH:  # only strings of a bounded size are cached
        read = _read(text)
        if type(read) is EdtfDate:
            return read
        raise EdtfError(read)  # a new exception each time: a raised one keeps the frames it passed through
    if not isinstance(text, str):
        raise EdtfError(f"an EDTF date is required, {EXAMPLES}")
    raise EdtfError(f"an EDTF date has at most {MAX_LENGTH} characters; this one has {len(text):,}")


@lru_cache(maxsize=65536)
def _read(text: str) -> EdtfDate | str:
    """The date `text` names, or why it names none."""
    if not text.strip():
        return f"an EDTF date is required, {EXAMPLES}"
    if text != text.strip():
        return f"{text!r} has surrounding white space"
    try:
        if "/" in text:
            return _interval(text)
        return EdtfDate(text, *_single(text))
    except EdtfError as exc:
        return str(exc)


parse_edtf_date.cache_info = _read.cache_info  # type: ignore[attr-defined]


def _interval(text: str) -> EdtfDate:
    start, _, end = text.partition("/")
    if "/" in end:
        raise EdtfError(f"{text!r} is not an EDTF interval: it has more than one '/'")
    if start in ("", "..") and end in ("", ".."):
        raise EdtfError(f"{text!r} is an interval with neither start nor end")
    lower = FIRST_DAY if start in ("", "..") else _interval_end(text, start)[0]
    upper = LAST_DAY if end in ("", "..") else _interval_end(text, end)[1]
    if lower > upper:
        raise EdtfError(f"{text!r} ends before it starts")
    return EdtfDate(text, lower, upper)


def _interval_end(text: str, side: str) -> tuple[str, str]:
    match = _DATE.fullmatch(side)
    if match is None:
        if _single_or_none(side) is not None:
            raise EdtfError(
                f"{text!r} is not an EDTF level 0/1 interval: its ends are dates or seasons, each with an optional "
                "?, ~ or %; unspecified digits (X), years beyond four digits and times of day are not allowed there"
            )
        raise EdtfError(_why_not(text, side))
    return _date(side, *match.groups(), in_interval=True)


def _single_or_none(text: str) -> tuple[str, str] | None:
    try:
        return _single(text)
    except EdtfError:
        return None


def _single(text: str) -> tuple[str, str]:
    match = _DATE.fullmatch(text)
    if match is not None:
        return _date(text, *match.groups(), in_interval=False)
    match = _UNSPECIFIED_YEAR.fullmatch(text)
    if match is not None:
        minus, digits, _ = match.groups()
        if minus:
            return FIRST_DAY, FIRST_DAY
        return _day(int(digits.replace("X", "0")), 1, 1), _day(int(digits.replace("X", "9")), 12, 31)
    match = _UNSPECIFIED_PART.fullmatch(text)
    if match is not None:
        year, month, _ = match.groups()
        if month is None:
            return _date(text, year, None, None, None, in_interval=False)
        if not 1 <= int(month) <= 12:
            raise EdtfError(f"{text!r} is not an EDTF date: there is no month {month} (months are 01 to 12)")
        return _date(text, year, month, None, None, in_interval=False)
    match = _LONG_YEAR.fullmatch(text)
    if match is not None:
        return (FIRST_DAY, FIRST_DAY) if match.group(1) else (LAST_DAY, LAST_DAY)
    match = _DATE_TIME.fullmatch(text)
    if match is not None:
        year, month, day = match.groups()
        return _date(text, year, month, day, None, in_interval=False)
    raise EdtfError(_why_not(text, text))


def _date(text: str, year: str, month: str | None, day: str | None, qualifier: str | None, *, in_interval: bool) -> tuple[str, str]:
    """The bounds of a year, month, season or day, each part checked against the calendar."""
    if year == "-0000":
        raise EdtfError(f"{text!r} is not an EDTF date: -0000 is not a year (write 0000)")
    number = int(year)
    if month is None:
        return _day(number, 1, 1), _day(number, 12, 31)
    m = int(month)
    if m in _SEASONS:
        if day is not None:
            raise EdtfError(f"{text!r} is not an EDTF date: {month} is a season, which has no days")
        if qualifier and not in_interval:
            raise EdtfError(f"{text!r} qualifies a season, which is EDTF level 2; accord accepts levels 0 and 1")
        first, last = _SEASONS[m]
        if not 1 <= number <= 9999:
            return _day(number, 1, 1), _day(number, 1, 1)
        return f"{number:04d}-{first}", f"{number:04d}-{last}"
    if 25 <= m <= 41:
        raise EdtfError(f"{text!r} names season {month}, which is EDTF level 2; accord reads seasons 21 to 24")
    if not 1 <= m <= 12:
        raise EdtfError(f"{text!r} is not an EDTF date: there is no month {month} (months are 01 to 12, seasons 21 to 24)")
    days = _days_in(number, m)
    if day is None:
        return _day(number, m, 1), _day(number, m, days)
    if not 1 <= int(day) <= days:
        raise EdtfError(f"{text!r} is not a calendar date: {year}-{month} has {days} days")
    return _day(number, m, int(day)), _day(number, m, int(day))


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if calendar.isleap(year) else 28  # the proleptic rule, which holds for years before 1 too
    return 30 if month in (4, 6, 9, 11) else 31


def _day(year: int, month: int, day: int) -> str:
    if year < 1:
        return FIRST_DAY
    if year > 9999:
        return LAST_DAY
    return f"{year:04d}-{month:02d}-{day:02d}"


# What a refused string most likely meant, in words: level 2 forms first.
_LEVEL_2 = (
    (re.compile(r"[\[\]{}]"), "is a set of dates ([...] or {...}), which is EDTF level 2"),
    (re.compile(r"[0-9]S[0-9]"), "gives significant digits (S...), which is EDTF level 2"),
    (re.compile(r"^Y-?[0-9]+E"), "is a year with an exponent (Y...E...), which is EDTF level 2"),
    (re.compile(r"(?:^|[-/])[?~%]|[?~%](?=[0-9X-])"),
     "qualifies part of a date, which is EDTF level 2; put ?, ~ or % at the end to qualify the whole date"),
    (re.compile(r"X[0-9]|^-?[0-9]{0,3}X+-|-[0-9]X|-X[0-9]"),
     "has unspecified digits (X) inside a year, month or day, which is EDTF level 2; at level 1 they end "
     "a year, or stand for a whole month or day: 201X, 2024-XX, 2024-06-XX"),
    (re.compile(r"^-?[0-9]{4}-(?:2[5-9]|3[0-9]|4[01])$"),
     "names a season from 25 to 41, which is EDTF level 2; accord reads seasons 21 to 24"),
)


def _why_not(text: str, part: str) -> str:
    for pattern, reason in _LEVEL_2:
        if pattern.search(part):
            return f"{text!r} {reason}; accord accepts levels 0 and 1"
    month = re.fullmatch(r"-?[0-9]{4}-([0-9]{2})(?:-[0-9]{2})?[?~%]?", part)
    if month is not None:
        return f"{text!r} is not an EDTF date: there is no month {month.group(1)} (months are 01 to 12, seasons 21 to 24)"
    return f"{text!r} is not an EDTF date: expected a year, month or day {EXAMPLES}"
