"""EDTF dates: the module's own reading must accept what the `edtf` library accepts at levels 0-1, with the
same bounds, refuse the rest in words, and cost next to nothing whatever it is given."""

from __future__ import annotations

import re
import time

import edtf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.edtf_dates import FIRST_DAY, LAST_DAY, MAX_LENGTH, PATTERN, EdtfDate, EdtfError, parse_edtf_date
from tests.formats import edtf_dates

LEVEL_0_1_CLASSES = {
    "Date", "DateAndTime", "Interval", "Level1Interval", "UncertainOrApproximate", "Unspecified", "LongYear", "Season",
}


def library_day(moment: time.struct_time) -> str:
    """A library bound as an ISO day, clamped to years 1..9999 as the module documents."""
    if moment.tm_year < 1:
        return FIRST_DAY
    if moment.tm_year > 9999:
        return LAST_DAY
    return f"{moment.tm_year:04d}-{moment.tm_mon:02d}-{moment.tm_mday:02d}"


def library_bounds(text: str) -> tuple[str, str]:
    parsed = edtf.parse_edtf(text)
    assert type(parsed).__name__ in LEVEL_0_1_CLASSES, f"the library reads {text!r} as {type(parsed).__name__}"
    return library_day(parsed.lower_strict()), library_day(parsed.upper_strict())


def library_refuses(text: str) -> bool:
    """True when the library cannot parse `text` or reads it as a level 2 form."""
    try:
        parsed = edtf.parse_edtf(text)
    except Exception:
        return True
    return type(parsed).__name__ not in LEVEL_0_1_CLASSES


# Strings both sides read, where the library's bounds are right.
AGREED = [
    # years, months, days
    "2024", "1956", "0001", "9999", "0000",
    "2024-06", "2024-02", "2023-02", "1900-02", "2000-02",
    "2024-06-20", "2024-02-29", "2000-02-29", "2024-12-31", "1967-01-01",
    # qualifiers
    "2024?", "2024~", "2024%", "2024-06~", "2024-12~", "2024-06-20%", "2024-06-20?",
    # date and time
    "2024-06-20T10:00:00", "2024-06-20T10:00:00Z",
    # seasons
    "2024-21", "2024-22", "2024-23", "2024-24",
    # unspecified digits
    "201X", "20XX", "1XXX", "2024-XX", "2024-06-XX", "2024-XX-XX",
    # years beyond four digits and before year 1
    "Y170000002", "Y-170000002", "-0100", "-0100-03",
    # closed intervals
    "2024-12/2025-03", "2024-06-20/2024-06-21", "1967/2024", "2024-06~/2024-08?", "2024-21/2024-22", "-0100/2024",
    "2024/2024",
]


@pytest.mark.parametrize("text", AGREED)
def test_agrees_with_the_library(text: str) -> None:
    assert parse_edtf_date(text) == EdtfDate(text, *library_bounds(text))


# Open (..) and unknown (empty) ends: the library fails or pads by ten years
# here, so the documented behaviour is checked instead: they reach the edges.
OPEN_ENDED = [
    ("2024-06-20/..", "2024-06-20", LAST_DAY),
    ("2024/", "2024-01-01", LAST_DAY),
    ("2024-06-20/", "2024-06-20", LAST_DAY),
    ("2024-12~/..", "2024-12-01", LAST_DAY),
    ("../2024", FIRST_DAY, "2024-12-31"),
    ("/2024", FIRST_DAY, "2024-12-31"),
    ("../2024-06~", FIRST_DAY, "2024-06-30"),
]


@pytest.mark.parametrize(("text", "lower", "upper"), OPEN_ENDED)
def test_open_and_unknown_ends_reach_the_edges_of_the_calendar(text: str, lower: str, upper: str) -> None:
    assert not library_refuses(text)
    assert parse_edtf_date(text) == EdtfDate(text, lower, upper)


# Refused here, and refused (or read as level 2) by the library too.
REFUSED_BY_BOTH = [
    "2024-13-45", "yesterday", "", "2024-13", "2024-00", "2024-06-00", "2024-6-20", "20240620", "/", "2024/2025/2026",
    # level 2: qualifying a part, sets, qualified or southern seasons, unspecified ends of intervals
    "2004-06-~11", "?2004", "2004?-06-11", "[1667,1668]", "{1667,1668}", "2024-25", "2024-21?",
    "201X/2020", "2024-06-XX/2024-07",
    # times of day are not part of EDTF intervals (level 0: "Time of day is excluded")
    "2024-06-20T10:00:00/2024-07",
    # only ASCII digits are EDTF digits
    "２０２４", "٢٠٢٤", "٢٠٢٤-06", "2024-0٦",
]

# Refused here although the library parses them: it does not check calendar
# days, strips white space, and accepts backwards and empty intervals; it reads
# significant digits (level 2) as part of a level 0 year, a time after a bare
# year, and unspecified digits that do not run from the right.
REFUSED_THOUGH_THE_LIBRARY_PARSES = [
    "2023-02-29", "1900-02-29", " 2024", "2024 ", "2025/2024", "2024-06-21/2024-06-20", "../..",
    "1950S2", "Y171010000S3", "1985T10:00:00", "1X0X",
]


@pytest.mark.parametrize("text", REFUSED_BY_BOTH)
def test_refused_like_the_library_refuses(text: str) -> None:
    assert library_refuses(text)
    with pytest.raises(EdtfError):
        parse_edtf_date(text)


@pytest.mark.parametrize("text", REFUSED_THOUGH_THE_LIBRARY_PARSES)
def test_refused_where_the_library_is_too_lenient(text: str) -> None:
    with pytest.raises(EdtfError):
        parse_edtf_date(text)


def test_refuses_what_is_not_a_string() -> None:
    with pytest.raises(EdtfError):
        parse_edtf_date(2024)  # type: ignore[arg-type]


def test_edtf_error_is_a_value_error_so_pydantic_reports_it() -> None:
    assert issubclass(EdtfError, ValueError)


def test_bounds_sort_as_text_like_the_dates_they_name() -> None:
    texts = ["2024-06-20", "2024-06", "1956", "2024-12~/..", "../1967", "2024-21", "2026-02-09"]
    by_lower = sorted(texts, key=lambda t: parse_edtf_date(t).lower)
    assert by_lower == ["../1967", "1956", "2024-21", "2024-06", "2024-06-20", "2024-12~/..", "2026-02-09"]


def test_a_repeated_string_is_served_from_the_cache() -> None:
    text = "1993-10-30/2019-12"
    first = parse_edtf_date(text)
    hits = parse_edtf_date.cache_info().hits
    assert parse_edtf_date(text) is first
    assert parse_edtf_date.cache_info().hits == hits + 1


OPEN_END = re.compile(r"(?:^|/)(?:\.\.)?(?:/|$)")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edtf_dates())
def test_every_level_0_1_date_reads_as_the_library_reads_it(text: str) -> None:
    read = parse_edtf_date(text)
    assert re.fullmatch(PATTERN, text), "the OpenAPI pattern must admit every date the server accepts"
    if not OPEN_END.search(text):  # the library cannot bound open or unknown ends (see OPEN_ENDED)
        assert (read.lower, read.upper) == library_bounds(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.from_regex(PATTERN, fullmatch=True).filter(lambda t: len(t) <= MAX_LENGTH))
def test_what_the_pattern_admits_is_read_as_the_library_reads_it_or_refused_for_a_reason_it_cannot_say(text: str) -> None:
    try:
        read = parse_edtf_date(text)
    except EdtfError as exc:
        # A regular pattern cannot count the days of a month, see `-0000` or compare an interval's ends.
        assert re.search(r"calendar date|-0000|ends before|neither start|qualifies a season", str(exc)), str(exc)
        return
    if not OPEN_END.search(text):
        assert (read.lower, read.upper) == library_bounds(text)


LEVEL_2 = {
    "Y171010000S3": "significant digits",
    "1950S2": "significant digits",
    "1984-1X": "unspecified digits (X) inside",
    "156X-12-25": "unspecified digits (X) inside",
    "2004-?06-11": "qualifies part of a date",
    "[1667,1668]": "a set of dates",
    "{1667,1668}": "a set of dates",
    "Y-17E7": "exponent",
    "2001-33": "names season 33",
}


@pytest.mark.parametrize(("text", "words"), LEVEL_2.items())
def test_level_2_is_refused_in_words_and_never_by_the_library(text: str, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(EdtfError) as refused:
        parse_edtf_date(text)
    assert words in str(refused.value) and "EDTF level 2" in str(refused.value)
    assert "object has no attribute" not in str(refused.value)
    assert capsys.readouterr() == ("", "")  # the library printed its attempts to stdout


def test_a_long_string_is_refused_at_once_without_being_echoed() -> None:
    hostile = "[" + ",".join(f"{1000 + i}-0{1 + i % 9}" for i in range(400)) + "]"  # a 3 KB set
    assert len(hostile) > 3000
    started = time.perf_counter()
    with pytest.raises(EdtfError) as refused:
        parse_edtf_date(hostile)
    assert time.perf_counter() - started < 0.005
    assert str(refused.value) == f"an EDTF date has at most 64 characters; this one has {len(hostile):,}"


def test_refusals_are_cached_too() -> None:
    text = "2024-06-31/2025"
    for _ in range(2):
        with pytest.raises(EdtfError, match="2024-06 has 30 days"):
            parse_edtf_date(text)
    hits = parse_edtf_date.cache_info().hits
    with pytest.raises(EdtfError):
        parse_edtf_date(text)
    assert parse_edtf_date.cache_info().hits == hits + 1
