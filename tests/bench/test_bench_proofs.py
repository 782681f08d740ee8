"""The proofs benchmark at a tiny size: the tree built by `accord migrate`, proofs served, bundles checked."""

from __future__ import annotations

from pathlib import Path

from bench.bench_log import child_import
from bench.bench_proofs import proofs_over, table
from bench.generate import write_ndjson


def test_proofs_are_served_and_checked_on_a_log_whose_tree_is_built_again(tmp_path: Path) -> None:
    source = tmp_path / "events.ndjson"
    write_ndjson(source, 300, seed=5)
    assert child_import(source, tmp_path)["events"] == 300
    figures = proofs_over(tmp_path, 5, rebuild_tree=True, proofs=20, bundles_checked=5)
    assert (figures["events"], figures["tree_built"], figures["proofs"], figures["bundles_checked"]) == (300, 300, 20, 5)
    assert 1.9 * 32 < figures["tree_bytes_per_event"] < 2.1 * 32, "about two hashes an event"
    assert 0 < figures["proof_p50_ms"] <= figures["proof_p95_ms"] <= figures["proof_p99_ms"]
    assert 0 < figures["floor_p50_ms"] <= figures["floor_p95_ms"]
    assert 0 < figures["check_p50_ms"] <= figures["check_p95_ms"] and figures["audit_path_hashes"] in (8, 9)
    assert "| 300 |" in table([{"size": 300, **figures}])
