"""An agreement's timeline as geometry for an inline SVG: a time axis, each fact a mark or, when its
EDTF date is a range, a bar across the range, and each a link to the fact's page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from events.edtf_dates import FIRST_DAY, LAST_DAY, EdtfError, parse_edtf_date
from service.web.dates import MONTHS, for_people

WIDTH = 480
LEFT = 14
RIGHT = 14
ROW = 46
TOP = 8
AXIS = 30
MIN_BAR = 4.0


@dataclass(frozen=True)
class Row:
    href: str | None
    label: str
    when: str
    y: float
    x1: float
    x2: float
    open_start: bool
    open_end: bool
    kind: str
    """mark, range or term (the agreement's own span)."""

    @property
    def is_range(self) -> bool:
        return self.x2 - self.x1 >= MIN_BAR

    @property
    def middle(self) -> float:
        return (self.x1 + self.x2) / 2


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineSvg:
    width: int
    height: int
    rows: list[Row]
    ticks: list[Tick]
    axis_y: float
    left: float
    right: float
    now_x: float | None
    now_label: str


@dataclass(frozen=True)
class Span:
    """Something to draw: an EDTF date with a label, linking to `href`."""

    edtf: str
    label: str
    href: str | None
    kind: str = "mark"


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _bounds(edtf: str) -> tuple[str, str] | None:
    try:
        parsed = parse_edtf_date(edtf)
    except EdtfError:
        return None
    return parsed.lower, parsed.upper


def _ticks(start: int, end: int, x: Callable[[int], float]) -> list[Tick]:
    """Year ticks, or month ticks over a span of less than about three years; at most about eight."""
    first, last = date.fromordinal(start), date.fromordinal(end)
    if end - start < 3 * 365:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = next(s for s in (1, 2, 3, 6, 12) if months / s <= 8)
        ticks = []
        for i in range(months + 1):
            year, month = divmod(first.month - 1 + i, 12)
            day = date(first.year + year, month + 1, 1)
            if (month % step == 0) and start <= day.toordinal() <= end:
                ticks.append(Tick(x(day.toordinal()), f"{MONTHS[month][:3]} {day.year}"))
        return ticks
    years = last.year - first.year + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if years / s <= 8)
    return [
        Tick(x(date(year, 1, 1).toordinal()), str(year))
        for year in range(max(first.year - first.year % step, 1), last.year + 1, step)
        if start <= date(year, 1, 1).toordinal() <= end
    ]


def draw(spans: list[Span], valid_at: str) -> TimelineSvg | None:
    """The drawing of `spans` (None when none has a readable date), with a line at `valid_at`."""
    bounded = [(span, b) for span in spans if (b := _bounds(span.edtf)) is not None]
    if not bounded:
        return None
    known = [d for _, (lo, hi) in bounded for d in (lo, hi) if d not in (FIRST_DAY, LAST_DAY)]
    if not known:
        return None
    start, end = _day(min(known)), _day(max(known))
    if start == end:
        start, end = start - 180, end + 180
    pad = max((end - start) // 30, 15)
    start, end = start - pad, end + pad
    left, right = float(LEFT), float(WIDTH - RIGHT)

    def x(ordinal: int) -> float:
        return round(left + (right - left) * (ordinal - start) / (end - start), 1)

    rows = []
    for i, (span, (lo, hi)) in enumerate(bounded):
        open_start, open_end = lo == FIRST_DAY, hi == LAST_DAY
        x1 = left if open_start else x(_day(lo))
        x2 = right if open_end else x(_day(hi) + 1)
        rows.append(Row(span.href, span.label, for_people(span.edtf), TOP + i * ROW, x1, x2, open_start, open_end, span.kind))
    axis_y = TOP + len(rows) * ROW + 6
    ticks = [t for t in _ticks(start, end, x) if left + 28 <= t.x <= right - 28]  # a label cut by the edge helps no one
    now = _day(valid_at) if "0001-01-01" < valid_at < "9999-12-31" else None
    now_x = x(now) if now is not None and start <= now <= end else None
    return TimelineSvg(WIDTH, int(axis_y + AXIS), rows, ticks, axis_y, left, right, now_x, for_people(valid_at))
