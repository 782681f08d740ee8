"""accord's tree functions against RFC 6962's reference vectors and against the independent verifier, for every
leaf and size up to 64 and every pair of sizes up to 40."""

from __future__ import annotations

import pytest

from events.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_plan,
    edge_nodes,
    fold_right,
    inclusion_plan,
    leaf_hash,
    node_hash,
    range_nodes,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)
from tests.proofs import rfc9162
from tests.proofs.test_independent_verifier import LEAVES, ROOTS

ENTRIES = [f"entry {i}".encode() for i in range(64)]


def complete_nodes(entries: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete node of the tree over `entries`, by (level, index), as the store keeps them."""
    frontier, nodes = Frontier(), {}
    for index, entry in enumerate(entries):
        completed = frontier.push(leaf_hash(entry))
        for level in range(len(completed) // 32):
            nodes[(level, index >> level)] = completed[32 * level : 32 * (level + 1)]
    return nodes


def test_the_frontier_grows_the_reference_roots() -> None:
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT == bytes.fromhex(ROOTS[0])
    for n, entry in enumerate(LEAVES, start=1):
        frontier.push(leaf_hash(entry))
        assert frontier.root().hex() == ROOTS[n]
        assert frontier.size == n


def test_a_leaf_completes_one_node_per_trailing_one_of_its_index() -> None:
    frontier = Frontier()
    assert [len(frontier.push(leaf_hash(e))) // 32 for e in ENTRIES[:8]] == [1, 2, 1, 3, 1, 2, 1, 4]


def test_roots_from_stored_nodes_match_the_rfc_at_every_size() -> None:
    nodes = complete_nodes(ENTRIES)
    for size in range(65):
        assert fold_right([nodes[n] for n in edge_nodes(size)]) == rfc9162.mth(ENTRIES[:size])
        frontier = Frontier(size, [nodes[n] for n in edge_nodes(size)])
        assert frontier.root() == rfc9162.mth(ENTRIES[:size])


def test_range_nodes_cover_a_range_with_the_fewest_perfect_subtrees() -> None:
    assert range_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert range_nodes(4, 7) == [(1, 2), (0, 6)]
    assert range_nodes(3, 8) == [(0, 3), (2, 1)]
    assert range_nodes(5, 5) == []


def test_inclusion_proofs_of_every_leaf_in_every_tree_up_to_64() -> None:
    nodes = complete_nodes(ENTRIES)
    for size in range(1, 65):
        root = rfc9162.mth(ENTRIES[:size])
        for index in range(size):
            proof = inclusion_plan(index, size).proof(nodes.__getitem__)
            leaf = leaf_hash(ENTRIES[index])
            assert rfc9162.verify_inclusion(index, size, leaf, proof, root), (index, size)
            verify_inclusion(index, size, leaf, proof, root)
            if proof:
                with pytest.raises(ProofError):
                    verify_inclusion(index, size, leaf, [*proof[:-1], bytes(32)], root)
                with pytest.raises(ProofError, match="needs"):
                    verify_inclusion(index, size, leaf, proof[:-1], root)


def test_consistency_proofs_between_every_pair_of_sizes_up_to_40() -> None:
    nodes = complete_nodes(ENTRIES)
    roots = [rfc9162.mth(ENTRIES[:n]) for n in range(41)]
    for second in range(1, 41):
        for first in range(1, second + 1):
            proof = consistency_plan(first, second).proof(nodes.__getitem__)
            assert rfc9162.verify_consistency(first, second, roots[first], roots[second], proof), (first, second)
            verify_consistency(first, second, proof, roots[first], roots[second])
            if first < second:
                with pytest.raises(ProofError):
                    verify_consistency(first, second, proof, roots[first - 1], roots[second])
                with pytest.raises(ProofError):
                    verify_consistency(first, second, proof[1:], roots[first], roots[second])


def test_impossible_proofs_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_plan(5, 5)
    with pytest.raises(ValueError, match="0 < first <= second"):
        consistency_plan(0, 3)
    with pytest.raises(ProofError, match="not below the tree size"):
        root_from_inclusion(3, 3, bytes(32), [])
    with pytest.raises(ProofError, match="32 bytes"):
        root_from_inclusion(0, 2, bytes(31), [bytes(32)])
    with pytest.raises(ProofError, match="equal sizes must be empty"):
        verify_consistency(4, 4, [bytes(32)], bytes(32), bytes(32))
    with pytest.raises(ValueError, match="subtrees on its edge"):
        Frontier(3, [bytes(32)])
    assert node_hash(b"a" * 32, b"b" * 32) != node_hash(b"b" * 32, b"a" * 32)
