"""The seed corpus folded: what the two documents say about CERN, JINR and KEK, in both times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

import orjson

from events.ndjson import parse_line
from projections import AsOf
from projections.agreements import list_agreements
from tests.builders import fact
from tests.projections.conftest import Archive

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


def load_seed(archive: Archive, recorded_at: str) -> None:
    """Append the seed corpus as if the archive had recorded it at `recorded_at`."""
    lines = resources.files("service").joinpath("seed/corpus.ndjson").read_bytes().splitlines()
    for line in lines:
        request = parse_line(line)
        events = [e._replace(recorded_at=recorded_at) for e in request.events]
        archive.store.append(request.stream, events, request.expected_version, recorded_by="seed")
    archive.runner.catch_up()


def test_cern_jinr_agreement_in_june_2024_and_after_january_2025(archive: Archive) -> None:
    load_seed(archive, f"{YESTERDAY}T08:00:00.000000Z")
    june = archive.agreement("agreement-cern-jinr", "2024-06-01")
    assert june is not None
    assert june.status == "in_force"
    assert june.parties == ["org-cern", "org-jinr"] and june.expires == "2025-01"
    assert june.last_vote is not None
    assert (june.last_vote.outcome, june.last_vote.threshold) == ("no decision", "two-thirds")
    assert "Germany" in (june.last_vote.notes or "")
    after = archive.agreement("agreement-cern-jinr", "2025-02-01")
    assert after is not None and (after.status, after.basis) == ("expired", "by_date")  # the sources stop before 20 June 2024
    assert [(h.before, h.status, h.basis, h.on) for h in after.history if h.changed] == [
        (None, "in_force", "reported", "/2024-03"), ("in_force", "expired", "by_date", "2025-01"),
    ]
    assert after.history[-1].fact.type == "AgreementSigned"  # the fact that gave the end date
    assert len(after.statements) == 8 and after.last_reported == "2024-06-13/2024-06-19"


def test_no_seed_agreement_is_in_force_today_that_its_sources_show_ended_or_superseded(archive: Archive) -> None:
    load_seed(archive, f"{YESTERDAY}T08:00:00.000000Z")
    ussr = archive.agreement("agreement-cern-ussr")
    assert ussr is not None and (ussr.status, ussr.basis, ussr.superseded_by) == ("superseded", "reported", "agreement-cern-russia")
    russia = archive.agreement("agreement-cern-russia")
    assert russia is not None and russia.succeeds == ["agreement-cern-ussr"]
    assert (russia.status, russia.basis, russia.expires, russia.renewal_refused) == ("expired", "by_date", "2024~", False)
    assert archive.agreement("agreement-cern-russia", "2024-12-01").status == "in_force"  # type: ignore[union-attr]  # 2024~ runs to its end
    belarus = archive.agreement("agreement-cern-belarus")
    assert belarus is not None and (belarus.status, belarus.basis) == ("expired", "reported")
    assert belarus.parties == ["org-cern", "country-belarus"] and belarus.unsourced == ["title"]
    assert archive.agreement("agreement-cern-belarus", "2024-06-27").status == "expired"  # type: ignore[union-attr]
    kek = archive.agreement("agreement-jinr-kek")
    assert kek is not None and (kek.status, kek.basis) == ("in_force", "reported") and len(kek.statements) == 5
    with archive.store.engine.connect() as connection:
        states = list_agreements(connection, AsOf.now()).agreements
    assert {a.id: a.status for a in states if a.status == "in_force"} == {"agreement-jinr-kek": "in_force"}
    assert all(a.basis == "by_date" for a in states if a.id in ("agreement-cern-jinr", "agreement-cern-russia"))


def test_the_timeline_stands_open_dates_at_their_end_and_a_scheduled_vote_at_its_date(archive: Archive) -> None:
    load_seed(archive, f"{YESTERDAY}T08:00:00.000000Z")
    facts = archive.timeline(limit=1000).facts
    # No fact stands before one that certainly happened earlier (ended before it could have begun).
    for i, later in enumerate(facts):
        assert all(not later.occurred_upper < earlier.occurred_lower for earlier in facts[:i]), later.occurred
    places = [f.stands_at for f in facts]
    assert places.index("/2012") > places.index("1993-10-30") and places.index("/2012") < places.index("2018-03")
    scheduled = next(f for f in facts if f.type == "VoteScheduled")
    assert scheduled.stands_at == "2024-06-20" and scheduled.occurred == "2024-03/2024-06-19"
    assert all(f.placed_lower <= "2024-06-20" for f in facts[: facts.index(scheduled)])
    assert all(f.placed_lower >= "2024-06-20" for f in facts[facts.index(scheduled) + 1 :])


def test_jinr_timeline_lists_2024_and_2026_facts_in_order_with_sources(archive: Archive) -> None:
    load_seed(archive, f"{YESTERDAY}T08:00:00.000000Z")
    facts = archive.timeline(subject="org-jinr").facts
    lowers = [f.occurred for f in facts]
    assert [f.type for f in facts if f.occurred.startswith("2026")] == ["VisitMade", "AgreementSigned", "StatementMade"]
    assert any(o.startswith("2024-06") for o in lowers)
    years = [(f.occurred.lstrip("/")[:4]) for f in facts]
    assert years == sorted(years) and {"2024", "2026"} <= set(years)
    assert all(f.sources and f.sources[0]["publisher"] for f in facts)
    visit = next(f for f in facts if f.type == "VisitMade" and f.occurred == "2024-06-13")
    assert "person-vladimir-putin" in visit.data["visitors"]
    kek = next(f for f in facts if f.type == "AgreementSigned" and f.occurred == "2026-02-09")
    assert kek.sources[0]["publisher"] == "JINR"


def test_a_correction_and_a_retraction_today_leave_known_at_yesterday_unchanged(archive: Archive) -> None:
    load_seed(archive, f"{YESTERDAY}T08:00:00.000000Z")

    def snapshot(known_at: str | None) -> bytes:
        agreement = archive.agreement("agreement-cern-jinr", "2025-02-01", known_at)
        timeline = archive.timeline(subject="org-jinr", known_at=known_at)
        return orjson.dumps([agreement.to_json() if agreement else None, timeline.facts and [f.to_json() for f in timeline.facts]])

    before = snapshot(YESTERDAY)
    signed = next(f for f in archive.timeline(subject="agreement-cern-jinr", types=["AgreementSigned"]).facts)
    visit = next(f for f in archive.timeline(subject="org-jinr", types=["VisitMade"]).facts)
    archive.append("agreement-cern-jinr", fact("FactCorrected", "2026-11-23", target=signed.event_id, fields={"expires": "2030"}, reason="test"))
    archive.append("org-jinr", fact("FactRetracted", "2026-11-23", target=visit.event_id, reason="test"))
    assert snapshot(YESTERDAY) == before
    assert snapshot(None) != before
    assert archive.agreement("agreement-cern-jinr", "2025-02-01").status == "in_force"  # type: ignore[union-attr]
