"""The two times every read model answers for: `valid_at` (the world) and `known_at` (the archive).

How an uncertain date counts: a fact counts as of `valid_at` V once it has
certainly happened, that is once the upper bound of its `occurred` is on or
before V. "2024-06" counts from 30 June 2024, "2024-12/2025-03" from 31 March
2025, "/2024-03" (some time up to March 2024) from 31 March 2024. An
agreement's `expires` date ends it after the last day it can mean ("2025-01":
in force through 31 January, expired from 1 February) and its `effective` date
starts it on the last day it can mean. `valid_at` itself may be vague too:
"2024-06" asks about the end of June 2024, the last day it can mean.

`known_at` K is matched against `recorded_at`: what the archive said at K is
what it had recorded by then, with the corrections and retractions it had
recorded by then. A plain date means the end of that day (UTC).

Where a fact stands on a timeline is another matter (`placed`): a date with an
open start ("/2012", by 2012) stands at its end, an open end at its start, so
no fact stands before one that certainly happened earlier; a scheduled vote
stands at the date it is scheduled for. Timelines are ordered, and their
`from`/`to` filters read, by that place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from events.edtf_dates import EdtfError, parse_edtf_date

MOMENT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
EARLIEST = "0000-01-01T00:00:00.000000Z"
LATEST = "9999-12-31T23:59:59.999999Z"

# A `known_at`: an RFC 3339 date and time (upper-case T and Z, as RFC 3339 lets a format require;
# no leap second), or a date. Calendar days are spelled out, leap years included, so the pattern
# admits exactly the strings the server reads and the OpenAPI document can state it.
_DAY_31 = "(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
_DAY_30 = "(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
_DAY_FEB = "02-(?:0[1-9]|1[0-9]|2[0-8])"
_LEAP_DAY = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29"
_DATE = f"(?:[0-9]{{4}}-(?:{_DAY_31}|{_DAY_30}|{_DAY_FEB})|{_LEAP_DAY})"
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.][0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_MOMENT = re.compile(f"{_DATE}(?:{_TIME})?")
MOMENT_PATTERN = f"^ *(?:{_DATE}(?:{_TIME})?)? *$"
"""`known_at` as the OpenAPI document states it: empty (now), a date, or an RFC 3339 moment; spaces around are ignored."""


class BadTime(ValueError):
    """A `valid_at`, `known_at`, `from` or `to` that cannot be read; names the parameter."""

    def __init__(self, parameter: str, reason: str) -> None:
        self.parameter = parameter
        self.reason = reason
        super().__init__(f"{parameter}: {reason}")


def moment(value: str) -> str:
    """An RFC 3339 moment in the one fixed-width UTC form the read models compare as text."""
    if len(value) == 27 and value[10] == "T" and value[19] == "." and value[26] == "Z":
        return value  # already canonical: the form the store writes
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime(MOMENT_FORMAT)


def certain_by(upper: str, valid_at: str) -> bool:
    """Whether a date whose upper bound is `upper` has certainly passed by `valid_at`."""
    return upper <= valid_at


def standing(text: str, lower: str, upper: str) -> tuple[str, str]:
    """The days the EDTF date `text` (with bounds `lower`, `upper`) stands for on a timeline: its bounds,
    but only the known end of a half-open date ("/2012" stands in 2012, "2025-12/.." in December 2025)."""
    start, slash, end = text.partition("/")
    if not slash or (start in ("", "..")) == (end in ("", "..")):
        return lower, upper
    known = parse_edtf_date(end if start in ("", "..") else start)
    return known.lower, known.upper


def placed(fact_type: str, occurred: str, lower: str, upper: str, data: dict[str, Any]) -> tuple[str, str]:
    """Where a fact that `occurred` (with bounds `lower`, `upper`) stands on timelines: see `standing`;
    a VoteScheduled stands at its `scheduled` date."""
    scheduled = data.get("scheduled") if fact_type == "VoteScheduled" else None
    if isinstance(scheduled, str):
        try:
            parsed = parse_edtf_date(scheduled)
        except EdtfError:
            pass
        else:
            return standing(scheduled, parsed.lower, parsed.upper)
    return standing(occurred, lower, upper)


@dataclass(frozen=True)
class AsOf:
    """A question about the past: the world on `valid_at` (ISO date) as the archive knew it at
    `known_at` (canonical moment, or None for everything recorded so far)."""

    valid_at: str
    known_at: str | None = None

    @classmethod
    def now(cls) -> AsOf:
        return cls(datetime.now(UTC).date().isoformat())

    @classmethod
    def parse(cls, valid_at: str | None = None, known_at: str | None = None) -> AsOf:
        """Read the two query parameters, each empty for now; raise BadTime naming the one that is wrong."""
        world = optional_world_date(valid_at, "valid_at", upper=True)
        return cls(AsOf.now().valid_at if world is None else world, None if _blank(known_at) else archive_moment(known_at))  # type: ignore[arg-type]

    def to_json(self) -> dict[str, str | None]:
        return {"valid_at": self.valid_at, "known_at": self.known_at}


def _blank(value: str | None) -> bool:
    """An absent parameter, or one a form sent empty; spaces around a value are a form's too, and ignored."""
    return value is None or not value.strip(" ")


def optional_world_date(value: str | None, parameter: str, *, upper: bool) -> str | None:
    """`world_date` of a parameter that may be absent or empty (None then)."""
    return None if _blank(value) else world_date(value, parameter, upper=upper)  # type: ignore[arg-type]


def world_date(value: str, parameter: str, *, upper: bool) -> str:
    """An EDTF date as one ISO day: its last possible day if `upper`, else its first."""
    try:
        parsed = parse_edtf_date(value.strip(" "))
    except EdtfError as exc:
        raise BadTime(parameter, str(exc)) from None
    return parsed.upper if upper else parsed.lower


def archive_moment(value: str) -> str:
    """A `known_at`: an RFC 3339 moment, or a date meaning the end of that day in UTC."""
    text = value.strip(" ")
    if _MOMENT.fullmatch(text) is None:
        raise BadTime("known_at", "expected an RFC 3339 moment such as 2026-11-23T09:30:00Z, or a date such as 2026-11-22")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1, microseconds=-1)
            return end.strftime(MOMENT_FORMAT)
        return moment(text)
    except (ValueError, OverflowError):  # year 0, or a moment its offset moves out of years 1-9999
        return EARLIEST if text < "0001-01-02" else LATEST
