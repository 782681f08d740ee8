"""Reading `valid_at` and `known_at`, and the one text form moments are compared in."""

from __future__ import annotations

import pytest

from projections.text import fold
from projections.times import AsOf, BadTime, archive_moment, moment


def test_valid_at_takes_the_last_day_a_vague_date_can_mean() -> None:
    assert AsOf.parse("2024-06-20").valid_at == "2024-06-20"
    assert AsOf.parse("2024-06").valid_at == "2024-06-30"
    assert AsOf.parse("2024").valid_at == "2024-12-31"
    assert AsOf.parse("2024-12/2025-03").valid_at == "2025-03-31"


def test_defaults_are_today_and_everything_recorded() -> None:
    as_of = AsOf.parse(None, None)
    assert as_of == AsOf.now()
    assert as_of.known_at is None
    assert AsOf.parse("", "") == as_of


def test_known_at_as_a_date_means_the_end_of_that_day_in_utc() -> None:
    assert archive_moment("2026-11-22") == "2026-11-22T23:59:59.999999Z"


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("2026-11-23T09:30:00Z", "2026-11-23T09:30:00.000000Z"),
        ("2026-11-23T10:30:00+01:00", "2026-11-23T09:30:00.000000Z"),
        ("2026-11-23T09:30:00.5Z", "2026-11-23T09:30:00.500000Z"),
        ("2026-11-23T09:30:00.123456Z", "2026-11-23T09:30:00.123456Z"),
    ],
)
def test_moments_compare_as_text_in_one_fixed_width_form(given: str, canonical: str) -> None:
    assert moment(given) == canonical
    assert AsOf.parse(None, given).known_at == canonical


@pytest.mark.parametrize(
    ("valid_at", "known_at", "parameter"),
    [("yesterday", None, "valid_at"), ("2024-13-45", None, "valid_at"), (None, "soon", "known_at"), (None, "2026-02-30", "known_at")],
)
def test_unreadable_times_name_their_parameter(valid_at: str | None, known_at: str | None, parameter: str) -> None:
    with pytest.raises(BadTime) as caught:
        AsOf.parse(valid_at, known_at)
    assert caught.value.parameter == parameter
    assert caught.value.reason


def test_folding_ignores_case_accents_and_yo() -> None:
    assert fold("Объединённый  институт") == fold("ОБЪЕДИНЕННЫЙ институт")
    assert fold("Kovalčuk") == "kovalcuk"
