"""The log's Merkle tree in the database: kept by every append, in the append's own transaction.

`merkle_nodes` holds one row per event, keyed by its position, with the
hashes of every complete node that event's leaf completes: its leaf hash,
then, when the leaf closes a perfect subtree of 2, 4, 8 ... leaves, that
subtree's root (so 32 bytes for half the events, 64 for a quarter, ...:
two hashes per event on average). Node `(level, index)` is the
`level`-th hash of the row of leaf `last_leaf(node)`. A proof or a root
needs at most about 2 log2(n) complete nodes, read in one query by primary
key; nothing is ever rehashed from the log, and rows, like events, are only
ever appended (no row is updated when the tree grows, as it would be with
tiles or a stored frontier).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from events.chain import canonical_row
from events.envelope import GENESIS_HASH
from events.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    Node,
    consistency_plan,
    edge_nodes,
    fold_right,
    inclusion_plan,
    last_leaf,
    leaf_hash,
)
from events.proofs import ConsistencyProof, InclusionProof
from events.store.tables import ROW_COLUMNS

BUILD_BATCH = 20_000
"""Events a transaction adds to the tree when it is built for a log that has none yet."""
_READ_PAGE = 1000


Run = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Runs one read query and returns its rows: on a connection of its own (`SqlEventStore.fetch`), or on one
held for several (`SqlEventStore.reader`, `rows_of`)."""


def rows_of(connection: Connection) -> Run:
    """The queries of `connection` (and its transaction) as a `Run`."""
    return lambda query, args: connection.exec_driver_sql(query, tuple(args)).all()  # type: ignore[return-value]


class TreeIncomplete(Exception):
    """The tree does not reach as far as a root or proof needs: it lags behind the log (not built yet)."""


def row_hashes(frontier: Frontier, rows: Sequence[Sequence[Any]]) -> list[tuple[int, bytes]]:
    """The `merkle_nodes` rows of stored event rows that follow the frontier's last leaf."""
    return [(row[0], frontier.push(leaf_hash(canonical_row(row)))) for row in rows]


class MerkleTree:
    """The queries of the tree. Those that write work in the caller's transaction (`connection`); those that
    only read, through any `Run`."""

    def __init__(self, mark: str) -> None:
        self._mark = mark
        self._insert = f"INSERT INTO merkle_nodes (position, hashes) VALUES ({mark}, {mark})"
        self._edge: tuple[int, str, list[bytes]] = (0, GENESIS_HASH, [])
        """The right edge after the last append through this process, with the size and the chain's hash
        there: the next append that continues that very head reads no node. (Keyed by the head's hash, it
        cannot be wrong even for an append whose transaction then failed: the same head has the same edge.)"""

    def size(self, connection: Connection) -> int:
        return connection.exec_driver_sql("SELECT max(position) FROM merkle_nodes").scalar() or 0

    def extend(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Add the leaves of event rows just inserted (numbered and chained, in position order) to the tree;
        a tree behind the log (not built yet) is first brought level with the event before them."""
        size, head, edge = self._edge
        first = rows[0]
        frontier = Frontier(size, edge) if (size, head) == (first[0] - 1, first[13]) else self.frontier(connection, first[0] - 1)
        nodes = row_hashes(frontier, rows)
        # Through the driver's cursor, in the transaction: SQLAlchemy's statement layer cost more than the insert.
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(self._insert, nodes)
        finally:
            cursor.close()
        self._edge = (frontier.size, rows[-1][14], frontier.edge)

    def frontier(self, connection: Connection, size: int) -> Frontier:
        """The tree's right edge at `size` leaves, built up to there first if the tree stops short of it."""
        try:
            return Frontier(size, self.hashes(rows_of(connection), edge_nodes(size)))
        except TreeIncomplete:
            return self.catch_up(connection, size)

    def catch_up(self, connection: Connection, head: int, progress: Callable[[int], None] | None = None) -> Frontier:
        """Add the leaves of every event after the tree's last one, up to position `head`."""
        size = self.size(connection)
        frontier = Frontier(size, self.hashes(rows_of(connection), edge_nodes(size)))
        for rows in self._events(connection, size, head):
            connection.exec_driver_sql(self._insert, row_hashes(frontier, rows))
            if progress is not None:
                progress(frontier.size)
        if frontier.size != head:
            raise TreeIncomplete(f"the log has no event at position {frontier.size + 1}, below its head {head}")
        return frontier

    def _events(self, connection: Connection, after: int, upto: int) -> Iterator[list[Sequence[Any]]]:
        query = (
            f"SELECT {', '.join(ROW_COLUMNS)} FROM events WHERE position > {self._mark} AND position <= {self._mark}"
            f" ORDER BY position LIMIT {_READ_PAGE}"
        )
        while after < upto:
            rows = connection.exec_driver_sql(query, (after, upto)).all()
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def hashes(self, run: Run, nodes: Sequence[Node]) -> list[bytes]:
        """The hashes of complete nodes, in the order asked, read in one query; TreeIncomplete if any is missing."""
        holders = sorted({last_leaf(node) + 1 for node in nodes})
        if not holders:
            return []
        query = f"SELECT position, hashes FROM merkle_nodes WHERE position IN ({', '.join([self._mark] * len(holders))})"
        stored = dict(run(query, holders))
        found = []
        for node in nodes:
            row = stored.get(last_leaf(node) + 1)
            start = node[0] * HASH_SIZE
            if row is None or len(row) < start + HASH_SIZE:
                raise TreeIncomplete(f"the tree holds no node {node}")
            found.append(bytes(row[start : start + HASH_SIZE]))
        return found

    def root(self, run: Run, size: int) -> bytes:
        return fold_right(self.hashes(run, edge_nodes(size))) if size else EMPTY_ROOT

    def inclusion(self, run: Run, index: int, size: int) -> InclusionProof:
        plan = inclusion_plan(index, size)
        leaf = (0, index)
        wanted = [leaf, *plan.nodes]
        found = dict(zip(wanted, self.hashes(run, wanted), strict=True))
        return InclusionProof(index, size, found[leaf], plan.proof(found.__getitem__))

    def consistency(self, run: Run, first: int, second: int) -> ConsistencyProof:
        plan = consistency_plan(first, second)
        found = dict(zip(plan.nodes, self.hashes(run, plan.nodes), strict=True))
        return ConsistencyProof(first, second, plan.proof(found.__getitem__))

    def pages(self, fetch: Run) -> Iterator[tuple[int, bytes]]:
        """Every stored row, in position order."""
        rows = paged(fetch, "SELECT position, hashes FROM merkle_nodes WHERE position > ? ORDER BY position", self._mark)
        return ((position, bytes(hashes)) for position, hashes in rows)


def paged(fetch: Run, query: str, mark: str) -> Iterator[tuple[Any, ...]]:
    """The rows of `query` (whose one parameter, `?`, is the keyset cursor on its first column), a page (one
    short read through `fetch`) at a time, so that no reader holds a snapshot open for long."""
    sql = f"{query.replace('?', mark)} LIMIT {_READ_PAGE}"
    after = -1
    while True:
        rows = fetch(sql, (after,))
        yield from rows
        if len(rows) < _READ_PAGE:
            return
        after = rows[-1][0]


def checkpoint_roots(fetch: Run, mark: str) -> Iterator[tuple[int, bytes]]:
    """Every stored checkpoint's tree size and root, smallest first."""
    rows = paged(fetch, "SELECT tree_size, root_hash FROM checkpoints WHERE tree_size > ? ORDER BY tree_size", mark)
    return ((int(size), bytes(root)) for size, root in rows)


class TreeWalker:
    """Rebuilds the tree leaf by leaf from the log and compares it with the stored rows (`accord verify`)."""

    def __init__(self, stored: Iterator[tuple[int, bytes]], checkpoints: Iterator[tuple[int, bytes]]) -> None:
        self.frontier = Frontier()
        self._stored = stored
        self._checkpoints = checkpoints
        self._next_checkpoint = next(checkpoints, None)

    def check(self, position: int, canonical: bytes) -> str | None:
        """Return why the tree stored for the event at `position` (its canonical JSON given) is wrong, or None."""
        expected = self.frontier.push(leaf_hash(canonical))
        stored = next(self._stored, None)
        if stored is None or stored[0] != position:
            return "the Merkle tree holds no node for this event (run `accord migrate` to build it)"
        if stored[1] != expected:
            return "the Merkle tree's nodes stored for this event are not those rebuilt from the log"
        while self._next_checkpoint is not None and self._next_checkpoint[0] == position:
            if self._next_checkpoint[1] != self.frontier.root():
                return f"the checkpoint signed at tree size {position} does not hold the root rebuilt from the log"
            self._next_checkpoint = next(self._checkpoints, None)
        return None

    def finish(self, head: int) -> str | None:
        """Return why the tree or the checkpoints reach beyond the log, whose head is now `head`, or None.
        (Rows and checkpoints up to the head came with events appended while the log was walked.)"""
        extra = next(self._stored, None)
        if extra is not None and extra[0] > head:
            return f"the Merkle tree holds a node for position {extra[0]}, beyond the log"
        if self._next_checkpoint is not None and self._next_checkpoint[0] > head:
            return f"a checkpoint was signed at tree size {self._next_checkpoint[0]}, beyond the log"
        return None
