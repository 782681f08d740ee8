"""The seed corpus folded: what the two documents say about CERN, JINR and KEK, in both times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

import orjson

from events.ndjson import parse_line
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
    assert after is not None and after.status == "expired"
    assert archive.agreement("agreement-cern-russia", "2024-06-01").status == "in_force"  # type: ignore[union-attr]
    assert archive.agreement("agreement-cern-russia", "2024-12-01").status == "not_renewed"  # type: ignore[union-attr]
    assert archive.agreement("agreement-cern-belarus", "2024-06-27").status == "expired"  # type: ignore[union-attr]
    assert archive.agreement("agreement-jinr-kek", "2026-02-09").status == "in_force"  # type: ignore[union-attr]


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
