"""An agreement's timeline as geometry for an inline SVG: a band of its statuses over time, a time axis,
each fact a mark or, when its EDTF date is a range, a bar across the range, each a link to the fact's
page, and a line at the date shown.

The drawing is laid out in a viewBox `WIDTH` units wide and scaled to the width of the page; its text
sizes are set in the stylesheet per width of screen, so that labels stay readable on a phone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from events.edtf_dates import EdtfError, parse_edtf_date
from projections.times import standing
from service.web.dates import MONTHS, for_people

WIDTH = 400
LEFT = 8
RIGHT = 8
TOP = 30
BAND = 22
BAND_GAP = 16
ROW = 44
AXIS = 30
MIN_BAR = 4.0
LABEL_CHARACTERS = 40


@dataclass(frozen=True)
class Row:
    href: str | None
    label: str
    when: str
    y: float
    x1: float
    x2: float
    kind: str
    """mark, range or term (the agreement's own span)."""

    @property
    def is_range(self) -> bool:
        return self.x2 - self.x1 >= MIN_BAR

    @property
    def middle(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def text(self) -> str:
        """The label and its date, cut to what fits the narrowest drawing."""
        full = f"{self.label}, {self.when}" if self.when else self.label
        return full if len(full) <= LABEL_CHARACTERS else full[: LABEL_CHARACTERS - 1] + "…"


@dataclass(frozen=True)
class Band:
    """A stretch of time in one status; `basis` is reported or by_date (drawn hatched)."""

    x1: float
    x2: float
    status: str
    basis: str
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineSvg:
    width: int
    height: int
    rows: list[Row]
    bands: list[Band]
    band_y: float
    ticks: list[Tick]
    axis_y: float
    left: float
    right: float
    now_x: float | None
    now_label: str


@dataclass(frozen=True)
class Span:
    """Something to draw: an EDTF date with a label, linking to `href`; `when` overrides its date in words."""

    edtf: str
    label: str
    href: str | None
    kind: str = "mark"
    when: str | None = None


@dataclass(frozen=True)
class Stretch:
    """A status from an EDTF date on: `status`, its `basis`, and its words for the legend of the band."""

    edtf: str
    status: str
    basis: str
    label: str


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def _bounds(edtf: str) -> tuple[str, str] | None:
    """The days a date stands for on the drawing: a half-open date at its known end, as on timelines."""
    try:
        parsed = parse_edtf_date(edtf)
    except EdtfError:
        return None
    return standing(edtf, parsed.lower, parsed.upper)


def _ticks(start: int, end: int, x: Callable[[int], float]) -> list[Tick]:
    """Year ticks, or month ticks over a span of less than about three years; at most about five."""
    first, last = date.fromordinal(start), date.fromordinal(end)
    if end - start < 3 * 365:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        step = next(s for s in (1, 2, 3, 6, 12) if months / s <= 5)
        ticks = []
        for i in range(months + 1):
            year, month = divmod(first.month - 1 + i, 12)
            day = date(first.year + year, month + 1, 1)
            if (month % step == 0) and start <= day.toordinal() <= end:
                ticks.append(Tick(x(day.toordinal()), f"{MONTHS[month][:3]} {day.year}"))
        return ticks
    years = last.year - first.year + 1
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 1000) if years / s <= 5)
    return [
        Tick(x(date(year, 1, 1).toordinal()), str(year))
        for year in range(max(first.year - first.year % step, 1), last.year + 1, step)
        if start <= date(year, 1, 1).toordinal() <= end
    ]


def draw(spans: list[Span], stretches: list[Stretch], valid_at: str, now_label: str) -> TimelineSvg | None:
    """The drawing of `spans` under a band of `stretches` (None when nothing has a readable date), with a
    line at `valid_at` labelled `now_label`."""
    bounded = [(span, b) for span in spans if (b := _bounds(span.edtf)) is not None]
    starts = [(stretch, b[0]) for stretch in stretches if (b := _bounds(stretch.edtf)) is not None]
    known = [d for _, (lo, hi) in bounded for d in (lo, hi)] + [d for _, d in starts]
    if not known:
        return None
    shown = "0001-01-01" < valid_at < "9999-12-31"
    start, end = _day(min(known)), _day(max(known + ([valid_at] if shown else [])))
    if start == end:
        start, end = start - 180, end + 180
    pad = max((end - start) // 30, 15)
    start, end = start - pad, end + pad
    left, right = float(LEFT), float(WIDTH - RIGHT)

    def x(ordinal: int) -> float:
        return round(left + (right - left) * (ordinal - start) / (end - start), 1)

    now = _day(valid_at) if shown else end
    bands = []
    for i, (stretch, first) in enumerate(starts):
        until = min(_day(starts[i + 1][1]) if i + 1 < len(starts) else now, now)
        x1, x2 = x(_day(first)), x(until)
        if x2 > x1:
            bands.append(Band(x1, x2, stretch.status, stretch.basis, stretch.label))
    band_y = float(TOP)
    first_row = band_y + (BAND + BAND_GAP if bands else 0)
    rows = []
    for i, (span, (lo, hi)) in enumerate(bounded):
        when = span.when if span.when is not None else for_people(span.edtf)
        rows.append(Row(span.href, span.label, when, first_row + i * ROW, x(_day(lo)), x(_day(hi) + 1), span.kind))
    axis_y = first_row + len(rows) * ROW + 6
    ticks = [t for t in _ticks(start, end, x) if left + 20 <= t.x <= right - 20]  # a label cut by the edge helps no one
    now_x = x(now) if shown else None
    return TimelineSvg(WIDTH, int(axis_y + AXIS), rows, bands, band_y, ticks, axis_y, left, right, now_x, now_label)
