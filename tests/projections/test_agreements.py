"""Agreement states: every status transition, both times, corrections and retractions, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from events.store.sql import utc_now
from tests.builders import fact
from tests.projections.conftest import Archive

AGREEMENT = "agreement-cern-jinr"
PARTIES = ["org-cern", "org-jinr"]
PAST = "2026-01-10T09:00:00.000000Z"


def signed(occurred: str = "2020-01-15", **data: Any) -> dict[str, Any]:
    payload = {"title": "Cooperation agreement between CERN and JINR", "parties": PARTIES, **data}
    return fact("AgreementSigned", occurred, **payload)


def vote(occurred: str, outcome: str, effect: str | None = "not_renew") -> dict[str, Any]:
    payload = {"body": "body-cern-council", "motion": "On the agreement with JINR", "outcome": outcome, "agreement": AGREEMENT}
    if effect is not None:
        payload["effect"] = effect
    return fact("VoteHeld", occurred, **payload)


def status(archive: Archive, valid_at: str, known_at: str | None = None) -> str | None:
    state = archive.agreement(AGREEMENT, valid_at, known_at)
    return state.status if state else None


def test_signed_without_effective_date_is_in_force_once_signed(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15"))
    assert status(archive, "2020-01-14") is None
    assert status(archive, "2020-01-15") == "in_force"
    state = archive.agreement(AGREEMENT, "2021")
    assert state is not None and state.parties == PARTIES and state.title.startswith("Cooperation")


def test_pending_until_the_effective_date(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15", effective="2020-03"))
    assert status(archive, "2020-02-01") == "pending"
    assert status(archive, "2020-03-30") == "pending"  # "2020-03" has certainly come only on its last day
    assert status(archive, "2020-03-31") == "in_force"


@pytest.mark.parametrize(
    ("event", "after"),
    [
        (fact("AgreementSuspended", "2022-03-08", reason="the war"), "suspended"),
        (fact("AgreementTerminated", "2022-03-08"), "terminated"),
        (fact("AgreementExpired", "2022-03-08"), "expired"),
        (fact("AgreementExpired", "2022-03-08", renewal_refused=True), "not_renewed"),
        (fact("AgreementAmended", "2022-03-08", summary="Adds a protocol on computing"), "in_force"),
        (vote("2022-03-08", "passed", "suspend"), "suspended"),
        (vote("2022-03-08", "passed", "terminate"), "terminated"),
        (vote("2022-03-08", "failed", "terminate"), "in_force"),
        (vote("2022-03-08", "no decision"), "in_force"),
        (vote("2022-03-08", "postponed", "suspend"), "in_force"),
    ],
    ids=lambda value: value if isinstance(value, str) else value["type"] + ":" + str(value["data"].get("outcome", "")),
)
def test_each_fact_moves_an_agreement_in_force(archive: Archive, event: dict[str, Any], after: str) -> None:
    archive.append(AGREEMENT, signed("2020-01-15"), event)
    assert status(archive, "2022-03-07") == "in_force"
    assert status(archive, "2022-03-08") == after
    state = archive.agreement(AGREEMENT, "2022-03-08")
    assert state is not None
    assert [h.status for h in state.history] == ["in_force", after]


def test_renewal_brings_a_suspended_or_expired_agreement_back_in_force(archive: Archive) -> None:
    archive.append(
        AGREEMENT,
        signed("2015-01-15", expires="2019-12-31"),
        fact("AgreementSuspended", "2019-06"),
        fact("AgreementRenewed", "2019-10", expires="2024-12-31"),
    )
    assert status(archive, "2019-07-01") == "suspended"
    assert status(archive, "2019-10-31") == "in_force"
    assert status(archive, "2020-06-01") == "in_force"  # the old end date no longer counts
    assert status(archive, "2025-01-01") == "expired"
    archive.append(AGREEMENT, fact("AgreementRenewed", "2025-02-01", expires="2029-12-31"))
    assert status(archive, "2025-01-15") == "expired"
    assert status(archive, "2025-02-01") == "in_force"
    state = archive.agreement(AGREEMENT, "2025-02-01")
    assert state is not None and state.expires == "2029-12-31"


def test_the_end_date_ends_the_agreement_after_its_last_possible_day(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15", expires="2025-01"))
    assert status(archive, "2025-01-31") == "in_force"
    assert status(archive, "2025-02-01") == "expired"


def test_a_passed_vote_not_to_renew_lets_the_agreement_run_out_as_not_renewed(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15", expires="2024-11-30"), vote("2024-06-20", "passed"))
    before = archive.agreement(AGREEMENT, "2024-07-01")
    assert before is not None
    assert before.status == "in_force" and before.renewal_refused
    assert before.last_vote is not None and before.last_vote.outcome == "passed"
    assert status(archive, "2024-11-30") == "in_force"
    assert status(archive, "2024-12-01") == "not_renewed"


def test_a_renewing_vote_forgets_an_earlier_refusal(archive: Archive) -> None:
    archive.append(
        AGREEMENT, signed("2020-01-15", expires="2024-11-30"), vote("2024-03-20", "passed"),
        vote("2024-06-20", "passed", "renew"),
    )
    state = archive.agreement(AGREEMENT, "2024-12-01")
    assert state is not None and state.status == "expired" and not state.renewal_refused
    assert [v.outcome for v in state.votes] == ["passed", "passed"]


def test_an_agreement_known_only_from_a_vote_counts_as_in_force(archive: Archive) -> None:
    archive.append("body-cern-council", vote("2024-03-28", "no decision"))
    state = archive.agreement(AGREEMENT, "2024-04-01")
    assert state is not None
    assert state.status == "in_force" and state.title is None
    assert state.last_vote is not None and state.last_vote.outcome == "no decision"


def test_a_scheduled_vote_is_next_until_a_vote_is_held(archive: Archive) -> None:
    scheduled = fact(
        "VoteScheduled", "2024-04-02", body="body-cern-council", motion="Extend the agreement?",
        scheduled="2024-06-20", agreement=AGREEMENT, effect="not_renew",
    )
    archive.append(AGREEMENT, signed(), scheduled)
    upcoming = archive.agreement(AGREEMENT, "2024-05-01")
    assert upcoming is not None and upcoming.next_vote is not None and upcoming.next_vote.scheduled == "2024-06-20"
    archive.append(AGREEMENT, vote("2024-06-20", "passed"))
    held = archive.agreement(AGREEMENT, "2024-06-20")
    assert held is not None and held.next_vote is None and held.last_vote is not None


def test_uncertain_dates_count_once_certainly_past(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("/2024-03"), vote("2024-03", "passed", "suspend"))
    assert status(archive, "2024-03-30") is None  # not even the signing is certain yet
    assert status(archive, "2024-03-31") == "suspended"
    assert status(archive, "2024-03") == "suspended"  # a vague valid_at asks about its last day


def test_known_at_shows_what_the_archive_said_before_a_correction(archive: Archive) -> None:
    [signed_id] = archive.append(AGREEMENT, signed("2020-01-15", expires="2025-01"), recorded_at=PAST).ids
    before_correction = utc_now()
    archive.append(
        AGREEMENT,
        fact("FactCorrected", "2026-11-23", target=signed_id, fields={"expires": "2030-01"}, reason="misread end date"),
    )
    assert status(archive, "2026-06-01") == "in_force"
    assert status(archive, "2026-06-01", known_at=before_correction) == "expired"
    assert status(archive, "2026-06-01", known_at="2026-01-10") == "expired"
    assert status(archive, "2026-06-01", known_at="2026-01-09") is None  # nothing was recorded yet
    corrected = archive.agreement(AGREEMENT, "2026-06-01")
    assert corrected is not None and corrected.history[0].fact.revision == 1


def test_a_retraction_removes_the_fact_from_its_recorded_at_on(archive: Archive) -> None:
    ids = archive.append(AGREEMENT, signed("2020-01-15"), fact("AgreementTerminated", "2022-03-08"), recorded_at=PAST).ids
    before = utc_now()
    archive.append(AGREEMENT, fact("FactRetracted", "2026-11-23", target=ids[1], reason="the source was a forgery"))
    assert status(archive, "2023-01-01") == "in_force"
    assert status(archive, "2023-01-01", known_at=before) == "terminated"


def test_a_correction_of_the_parties_moves_the_agreement_between_timelines(archive: Archive) -> None:
    [signed_id] = archive.append(AGREEMENT, signed("2020-01-15"), recorded_at=PAST).ids
    archive.append(
        AGREEMENT,
        fact("FactCorrected", "2026-11-23", target=signed_id, fields={"parties": ["org-cern", "org-kek"]}, reason="wrong party"),
    )
    assert archive.timeline(subject="org-jinr").total == 0
    assert archive.timeline(subject="org-kek").total == 1
    assert archive.timeline(subject="org-jinr", known_at="2026-01-10").total == 1
    state = archive.agreement(AGREEMENT, "2021")
    assert state is not None and state.parties == ["org-cern", "org-kek"]


def test_an_end_date_gone_by_with_no_fact_saying_so_gives_a_status_by_date(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15", expires="2025-01"))
    state = archive.agreement(AGREEMENT, "2026-03-01")
    assert state is not None and (state.status, state.basis, state.last_reported) == ("expired", "by_date", "2020-01-15")
    assert [(h.before, h.status, h.basis, h.on) for h in state.history] == [
        (None, "in_force", "reported", "2020-01-15"), ("in_force", "expired", "by_date", "2025-01"),
    ]
    assert state.history[-1].fact.type == "AgreementSigned"  # the fact that gave the date that passed
    body = state.to_json()
    assert (body["basis"], body["status_since"]) == ("by_date", "2025-01")
    assert [(h["status_before"], h["status_after"], h["basis"]) for h in body["history"]] == [
        (None, "in_force", "reported"), ("in_force", "expired", "by_date"),
    ]
    archive.append(AGREEMENT, fact("AgreementExpired", "2025-02-03"))
    reported = archive.agreement(AGREEMENT, "2026-03-01")
    assert reported is not None and (reported.status, reported.basis) == ("expired", "reported")
    assert [h.status for h in reported.history] == ["in_force", "expired", "expired"]


def test_each_history_entry_names_the_status_it_left_not_todays(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2015-01-15", expires="2019-12-31"), fact("AgreementSuspended", "2019-06"),
                   fact("AgreementRenewed", "2019-10", expires="2024-12-31"), vote("2024-06-20", "passed"))
    state = archive.agreement(AGREEMENT, "2026-01-01")
    assert state is not None
    assert [(h.before, h.status, h.basis) for h in state.history] == [
        (None, "in_force", "reported"), ("in_force", "suspended", "reported"), ("suspended", "in_force", "reported"),
        ("in_force", "in_force", "reported"), ("in_force", "not_renewed", "by_date"),
    ]


def test_a_superseded_agreement_names_its_successor_and_the_successor_what_it_succeeds(archive: Archive) -> None:
    archive.append("agreement-cern-ussr", signed("1967", parties=["country-ussr", "org-cern"]))
    archive.append("agreement-cern-russia", signed("1993-10-30", parties=["country-russia", "org-cern"]))
    archive.append("agreement-cern-ussr", fact("AgreementSuperseded", "1993-10-30", by="agreement-cern-russia"))
    old = archive.agreement("agreement-cern-ussr", "2000")
    assert old is not None and (old.status, old.basis, old.superseded_by) == ("superseded", "reported", "agreement-cern-russia")
    assert archive.agreement("agreement-cern-ussr", "1990").status == "in_force"  # type: ignore[union-attr]
    new = archive.agreement("agreement-cern-russia", "2000")
    assert new is not None and new.status == "in_force" and new.succeeds == ["agreement-cern-ussr"]
    assert [h.fact.type for h in new.history] == ["AgreementSigned", "AgreementSuperseded"]


def test_a_decision_with_an_effect_acts_like_a_passed_vote_and_statements_about_it_are_kept(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("2020-01-15", expires="2024-12-31"))
    archive.append(AGREEMENT, fact("DecisionTaken", "2024-03", by="org-cern", decision="Not to renew", agreement=AGREEMENT,
                                   effect="not_renew"))
    archive.append("person-boris-grinev", fact("StatementMade", "2024-06-05", speaker="person-boris-grinev", quote="Vote no",
                                               about=[AGREEMENT]))
    state = archive.agreement(AGREEMENT, "2025-06-01")
    assert state is not None and (state.status, state.basis, state.renewal_refused) == ("not_renewed", "by_date", True)
    assert [s.data["quote"] for s in state.statements] == ["Vote no"] and state.last_reported == "2024-06-05"
    assert "StatementMade" not in [h.fact.type for h in state.history]


def test_a_scheduled_vote_stands_at_its_date_and_an_open_start_at_its_end(archive: Archive) -> None:
    archive.append(AGREEMENT, signed("/2012"), fact("VoteScheduled", "2024-03/2024-06", body="body-cern-council",
                                                    motion="Extend?", scheduled="2024-06-20", agreement=AGREEMENT))
    archive.append(AGREEMENT, fact("AgreementAmended", "2024-06-10", summary="A protocol"), fact("AgreementAmended", "1990", summary="Old"))
    facts = archive.timeline(subject=AGREEMENT).facts
    assert [(f.stands_at, f.type) for f in facts] == [
        ("1990", "AgreementAmended"), ("/2012", "AgreementSigned"), ("2024-06-10", "AgreementAmended"), ("2024-06-20", "VoteScheduled"),
    ]
    assert [f.stands_at for f in archive.timeline(subject=AGREEMENT, start="2012-03-01", end="2012-03-31").facts] == ["/2012"]
    assert archive.timeline(subject=AGREEMENT, start="2024-06-15", end="2024-06-30").facts[0].type == "VoteScheduled"
