"""A :class:`~puhui.receivables.merkle.NodeStore` over the ``receivables_node`` table.

Rows are keyed ``(level, idx)`` and written once (the table is append-only). A
:class:`~puhui.receivables.merkle.MerkleLog` over this store reads its right frontier (at most
64 nodes) with one query when it is opened, writes each append's nodes with one INSERT, and
reads all the nodes of a proof with one query.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.orm import Session

from puhui.receivables.merkle import Coord
from puhui.receivables.models import Node

_CHUNK = 500
# Each query has one shape whatever the coordinates, so it is compiled once and cached, and
# reads the nodes by primary key. (A row-value IN list makes SQLite scan the whole table; on
# PostgreSQL, the generic plan psycopg's prepared statements get for two ANY lists can scan a
# whole level, while the join on unnest stays one index lookup per node.)
_NODES_PG = text(
    "SELECT n.level, n.idx, n.hash"
    " FROM unnest(CAST(:levels AS bigint[]), CAST(:indexes AS bigint[])) AS c(level, idx)"
    " JOIN receivables_node AS n ON n.level = c.level AND n.idx = c.idx"
)
# SQLite: the lookups of every (level, idx) pair of the two lists, a small superset filtered here.
_NODES_SQLITE = select(Node.level, Node.idx, Node.hash).where(
    Node.level.in_(bindparam("levels", expanding=True)),
    Node.idx.in_(bindparam("indexes", expanding=True)),
)


class SqlNodeStore:
    """Node hashes in the database, seen through one Session (the caller's transaction).

    ``size`` is the tree size when known (the log head's, read under its lock); otherwise it
    is read from the level-0 rows.
    """

    __slots__ = ("_postgres", "_size", "session")

    def __init__(self, session: Session, size: int | None = None) -> None:
        self.session = session
        self._size = size
        self._postgres = session.get_bind().dialect.name == "postgresql"

    def leaf_count(self) -> int:
        if self._size is None:
            top = self.session.scalar(select(func.max(Node.idx)).where(Node.level == 0))
            self._size = 0 if top is None else int(top) + 1
        return self._size

    def get_nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        found: dict[Coord, bytes] = {}
        wanted = list(dict.fromkeys(coords))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            if self._postgres:
                params = {"levels": [c[0] for c in chunk], "indexes": [c[1] for c in chunk]}
                rows = self.session.execute(_NODES_PG, params)
            else:
                levels = sorted({lv for lv, _ in chunk})
                indexes = sorted({ix for _, ix in chunk})
                rows = self.session.execute(_NODES_SQLITE, {"levels": levels, "indexes": indexes})
            for level, idx, digest in rows:
                found[(int(level), int(idx))] = bytes(digest)
        try:
            return [found[c] for c in coords]
        except KeyError as exc:  # a store that lost a node is corrupt, never user error
            raise LookupError(
                f"Merkle node {exc.args[0]} is missing from receivables_node"
            ) from exc

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        if not nodes:
            return
        self.session.execute(
            insert(Node), [{"level": lv, "idx": ix, "hash": digest} for lv, ix, digest in nodes]
        )
        added = sum(1 for lv, _, _ in nodes if lv == 0)
        if self._size is not None:
            self._size += added
