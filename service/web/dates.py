"""EDTF dates and archive moments as people read them: "June 2024", "about December 2024",
"December 2024 – March 2025".

Only the forms archivists write are worded (years, months, days, each with
`?`, `~` or `%`, seasons, and intervals of them); anything else is shown as
written, which is still correct, only less friendly.
"""

from __future__ import annotations

import re
from functools import lru_cache

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}
_SINGLE = re.compile(r"(?P<year>-?[0-9]{4})(?:-(?P<month>[0-9]{2})(?:-(?P<day>[0-9]{2}))?)?(?P<q>[?~%])?")
_QUALIFIED = {"~": "about {}", "?": "{} (uncertain)", "%": "about {} (uncertain)"}


@lru_cache(maxsize=4096)
def for_people(text: str | None) -> str:
    """The EDTF date or interval `text` in words; the text itself when it is not a form we word."""
    if not text:
        return ""
    if "/" in text:
        start, _, end = text.partition("/")
        return _interval(text, start, end)
    parts = _parts(text)
    return _qualified(_words(*parts[:3]), parts[3]) if parts else text


def _parts(text: str) -> tuple[int, int | None, int | None, str | None] | None:
    match = _SINGLE.fullmatch(text)
    if match is None:
        return None
    year, month, day = int(match["year"]), match["month"], match["day"]
    m = int(month) if month else None
    if m is not None and not (1 <= m <= 12 or m in SEASONS):
        return None
    if m in SEASONS and day:
        return None
    return year, m, int(day) if day else None, match["q"]


def _words(year: int, month: int | None, day: int | None) -> str:
    shown = str(year) if year >= 0 else f"{-year} BCE"
    if month is None:
        return shown
    if month in SEASONS:
        return f"{SEASONS[month]} {shown}"
    if day is None:
        return f"{MONTHS[month - 1]} {shown}"
    return f"{day} {MONTHS[month - 1]} {shown}"


def _qualified(words: str, qualifier: str | None) -> str:
    return _QUALIFIED[qualifier].format(words) if qualifier else words


def _interval(text: str, start: str, end: str) -> str:
    open_start, open_end = start in ("", ".."), end in ("", "..")
    first, last = _parts(start) if not open_start else None, _parts(end) if not open_end else None
    if (not open_start and first is None) or (not open_end and last is None):
        return text
    if first is None and last is not None:
        return ("by " if start == "" else "until ") + _qualified(_words(*last[:3]), last[3])
    if last is None and first is not None:
        return "from " + _qualified(_words(*first[:3]), first[3]) + (" on" if end == ".." else "")
    assert first is not None and last is not None
    (y1, m1, d1, q1), (y2, m2, d2, q2) = first, last
    if not q1 and not q2 and y1 == y2 and m1 is not None and m2 is not None and m1 not in SEASONS and m2 not in SEASONS:
        if d1 is None and d2 is None:
            return f"{MONTHS[m1 - 1]} – {MONTHS[m2 - 1]} {y1}"
        if d1 is not None and d2 is not None:
            if m1 == m2:
                return f"{d1}–{d2} {MONTHS[m1 - 1]} {y1}"
            return f"{d1} {MONTHS[m1 - 1]} – {d2} {MONTHS[m2 - 1]} {y1}"
    return f"{_qualified(_words(y1, m1, d1), q1)} – {_qualified(_words(y2, m2, d2), q2)}"


def moment_for_people(value: str | None) -> str:
    """An archive moment (RFC 3339, UTC) as "23 November 2026, 14:05 UTC"."""
    if not value or len(value) < 16 or value[10] != "T":
        return value or ""
    year, month, day = int(value[:4]), int(value[5:7]), int(value[8:10])
    return f"{day} {MONTHS[month - 1]} {year}, {value[11:16]} UTC"


def dated(text: str | None) -> str:
    """An EDTF date with the preposition a sentence needs: "on 9 February 2026", "in January 2025",
    "by 19 June 2024", "from December 2025 on"."""
    if not text:
        return ""
    words = for_people(text)
    if words.startswith(("by ", "until ", "from ")):
        return words
    parts = _parts(text)
    if parts is not None and parts[2] is not None and parts[3] is None:
        return f"on {words}"
    return f"in {words}"
