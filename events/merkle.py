"""The log as an RFC 9162 Merkle tree: hashing, which stored nodes make up a root or a proof, and checking proofs.

Pure functions: `accord check-proof` uses them with no database. Leaf `i` is
the `i + 1`-th event in position order; its hash is SHA-256(0x00 || the
event's canonical JSON), an inner node's SHA-256(0x01 || left || right).

A node is `(level, index)`: the root of the perfect subtree over the leaves
`[index * 2**level, (index + 1) * 2**level)`. Only such complete nodes are
stored; the hash of a subtree that is not perfect yet (an "ephemeral" node on
the right edge of a tree whose size is not a power of two) is computed from
the complete nodes that cover it, as transparency-dev/merkle does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""RFC 9162's hash of the empty tree."""

Node = tuple[int, int]
"""(level, index) of a complete node."""


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def last_leaf(node: Node) -> int:
    """The index of the rightmost leaf under `node`: the node is complete from the moment that leaf is added."""
    level, index = node
    return ((index + 1) << level) - 1


def range_nodes(begin: int, end: int) -> list[Node]:
    """The fewest complete nodes that cover the leaves `[begin, end)`, left to right."""
    nodes = []
    while begin < end:
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while (1 << level) > end - begin:
            level -= 1
        nodes.append((level, begin >> level))
        begin += 1 << level
    return nodes


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """The root over adjacent subtrees given left to right, each larger than the next (a compact range)."""
    if not hashes:
        return EMPTY_ROOT
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


@dataclass(frozen=True)
class ProofPlan:
    """The complete nodes whose hashes make a proof, in proof order: each entry is one node, or the
    nodes of an ephemeral subtree (left to right), whose hash the proof holds instead."""

    entries: tuple[tuple[Node, ...], ...]

    @property
    def nodes(self) -> list[Node]:
        return [node for entry in self.entries for node in entry]

    def proof(self, hashes: Callable[[Node], bytes]) -> list[bytes]:
        return [fold_right([hashes(node) for node in entry]) for entry in self.entries]


def _path(level: int, index: int, size: int) -> list[tuple[Node, ...]]:
    """The proof that node `(level, index)` is in the tree of `size` leaves, from the node up (RFC 9162 PATH
    generalised to a subtree): its siblings up to where its path leaves the tree's right edge, then the
    ephemeral subtree to the right of that point, then the complete subtrees to the left of it."""
    inner = (index ^ (size >> level)).bit_length() - 1
    entries: list[tuple[Node, ...]] = [((level + i, (index >> i) ^ 1),) for i in range(inner)]
    fork_level, fork_index = level + inner, index >> inner
    begin, end = fork_index << fork_level, (fork_index + 1) << fork_level
    right = range_nodes(end, size)
    if right:
        entries.append(tuple(right))
    entries.extend((node,) for node in reversed(range_nodes(0, begin)))
    return entries


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """The nodes of the RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    return ProofPlan(tuple(_path(0, index, size)))


def consistency_plan(first: int, second: int) -> ProofPlan:
    """The nodes of the RFC 9162 consistency proof from the tree of `first` leaves to that of `second`."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves: 0 < first <= second")
    if first == second:
        return ProofPlan(())
    level = (first & -first).bit_length() - 1  # the largest perfect subtree the old tree ends with
    index = (first - 1) >> level
    entries = _path(level, index, second)
    if first != 1 << level:  # unless the old tree is that subtree, whose hash the verifier already holds
        entries.insert(0, ((level, index),))
    return ProofPlan(tuple(entries))


class Frontier:
    """The tree's right edge as it grows: the hashes of its largest perfect subtrees, largest first.

    `push` adds a leaf and returns the hashes of every node it completes, the
    leaf's own first: exactly what the store keeps for that leaf.
    """

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        levels = [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]
        if len(levels) != len(hashes):
            raise ValueError(f"a tree of {size} leaves has {len(levels)} subtrees on its edge, not {len(hashes)}")
        self.size = size
        self._edge = list(zip(levels, hashes, strict=True))

    def push(self, leaf: bytes) -> bytes:
        completed = [leaf]
        level, current = 0, leaf
        while self._edge and self._edge[-1][0] == level:
            current = node_hash(self._edge.pop()[1], current)
            level += 1
            completed.append(current)
        self._edge.append((level, current))
        self.size += 1
        return b"".join(completed)

    @property
    def edge(self) -> list[bytes]:
        """The hashes of the edge's subtrees, largest first: what `Frontier(size, edge)` starts from again."""
        return [h for _, h in self._edge]

    def root(self) -> bytes:
        return fold_right(self.edge)


def edge_nodes(size: int) -> list[Node]:
    """The complete nodes on the right edge of a tree of `size` leaves, largest first (what `Frontier` holds)."""
    return range_nodes(0, size)


# -- checking proofs ------------------------------------------------------------------------------


class ProofError(ValueError):
    """A proof that does not hold; the message says how."""


def _decompose(index: int, size: int) -> tuple[int, int]:
    """How many of an inclusion proof's hashes lie below the point where the leaf's path meets the
    tree's right edge, and how many lie along that edge."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, bin(index >> inner).count("1")


def _chain(seed: bytes, proof: Sequence[bytes], index: int, *, only_left: bool = False) -> bytes:
    for i, sibling in enumerate(proof):
        if index >> i & 1:
            seed = node_hash(sibling, seed)
        elif not only_left:
            seed = node_hash(seed, sibling)
    return seed


def _chain_edge(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = node_hash(sibling, seed)
    return seed


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof of `leaf` (its hash) at `index` leads to in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    if len(leaf) != HASH_SIZE or any(len(h) != HASH_SIZE for h in proof):
        raise ProofError("every hash must be 32 bytes")
    inner, edge = _decompose(index, size)
    if len(proof) != inner + edge:
        raise ProofError(f"the proof holds {len(proof)} hashes; leaf {index} of {size} needs {inner + edge}")
    return _chain_edge(_chain(leaf, proof[:inner], index), proof[inner:])


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless `proof` shows `leaf` at `index` in the tree of `size` leaves with `root`."""
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"the inclusion proof does not lead to the root of the tree of size {size}")


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes) -> None:
    """Raise ProofError unless `proof` shows the tree of `first` leaves (`first_root`) is a prefix of the
    tree of `second` leaves (`second_root`)."""
    if not 0 < first <= second:
        raise ProofError(f"no consistency proof from {first} to {second} leaves: 0 < first <= second")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError("every hash must be 32 bytes")
    if first == second:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError(f"two different roots for the tree of size {first}")
        return
    inner, edge = _decompose(first - 1, second)
    shift = (first & -first).bit_length() - 1
    inner -= shift
    seed, rest = (first_root, list(proof)) if first == 1 << shift else (proof[0] if proof else b"", list(proof[1:]))
    if not seed or len(rest) != inner + edge:
        raise ProofError(f"the proof holds {len(proof)} hashes, not what sizes {first} and {second} need")
    mask = (first - 1) >> shift
    if _chain_edge(_chain(seed, rest[:inner], mask, only_left=True), rest[inner:]) != first_root:
        raise ProofError(f"the consistency proof does not lead to the root of the tree of size {first}")
    if _chain_edge(_chain(seed, rest[:inner], mask), rest[inner:]) != second_root:
        raise ProofError(f"the consistency proof does not lead to the root of the tree of size {second}")
