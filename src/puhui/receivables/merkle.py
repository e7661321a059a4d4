"""RFC 9162 (Certificate Transparency v2, same tree as RFC 6962) Merkle tree over SHA-256.

Pure code: no database, no I/O. Indexes are 0-based.

Hashing (RFC 9162 §2.1.1)::

    MTH({})      = SHA-256()                       (the empty tree)
    leaf hash    = SHA-256(0x00 || entry)
    node hash    = SHA-256(0x01 || left || right)
    MTH(D[n])    = node_hash(MTH(D[0:k]), MTH(D[k:n]))   k = largest power of two < n

Two ways to use it:

* the list functions (:func:`root`, :func:`inclusion_proof`, :func:`consistency_proof`) take
  the raw entries and are convenient for small trees and tests;
* :class:`MerkleLog` keeps only hashes, in a :class:`NodeStore`: level 0 holds the leaf hashes,
  level ``k`` the hashes of the complete subtrees of ``2**k`` leaves (node ``(k, i)`` covers
  leaves ``[i * 2**k, (i + 1) * 2**k)``). A node is written once, when its subtree becomes
  complete, and never changes, so the store is append-only. Any root of a past size, any
  inclusion proof and any consistency proof is a fold of O(log n) stored nodes; no leaf is ever
  rehashed. Appending keeps the right frontier (the "compact range", at most 64 hashes) in
  memory, so it only writes to the store; each append hashes one leaf and, amortized, one node.

:class:`InMemoryNodeStore` keeps each level in a ``bytearray``. A database store implements the
same three methods over a table keyed ``(level, index)``; proofs fetch all the nodes they need
with one :meth:`NodeStore.get_nodes` call.

The verification functions follow RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)
step by step and return ``False`` (never raise) for any malformed input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"

Coord = tuple[int, int]
"""A stored node: ``(level, index)``."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return _sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE + left + right).digest()


# ---------------------------------------------------------------------------------------------
# Storage


class NodeStore(Protocol):
    """Where a :class:`MerkleLog` keeps its node hashes.

    Writes are append-only per level: node ``(level, i)`` is put once, after ``(level, i - 1)``.
    """

    def leaf_count(self) -> int:
        """Number of level-0 nodes stored (the tree size)."""
        ...

    def get_nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        """The hashes at ``coords``, in the same order. Every coordinate exists."""
        ...

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        """Store ``(level, index, hash)`` triples (leaves and the nodes they complete)."""
        ...


class InMemoryNodeStore:
    """Levels as ``bytearray``s of concatenated 32-byte hashes (64 bytes per leaf overall)."""

    __slots__ = ("levels",)

    def __init__(self) -> None:
        self.levels: list[bytearray] = []

    def leaf_count(self) -> int:
        return len(self.levels[0]) // HASH_SIZE if self.levels else 0

    def get_nodes(self, coords: Sequence[Coord]) -> list[bytes]:
        levels = self.levels
        return [bytes(levels[level][index << 5 : (index << 5) + 32]) for level, index in coords]

    def put_nodes(self, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        levels = self.levels
        for level, index, digest in nodes:
            if level >= len(levels):
                levels.extend(bytearray() for _ in range(level + 1 - len(levels)))
            row = levels[level]
            if len(row) != index << 5 or len(digest) != HASH_SIZE:
                raise ValueError(f"node ({level}, {index}) is not the next one of its level")
            row += digest


# ---------------------------------------------------------------------------------------------
# Index arithmetic (no hashing)

Plan = tuple[list[Coord], int, int]
"""Nodes to read for a proof, in proof order, and where the pieces of its one ephemeral
(incomplete) subtree sit in that list: ``(coords, start, count)``; count 0 if there is none."""


def _range_coords(lo: int, hi: int) -> list[Coord]:
    """Complete subtrees covering leaves [lo, hi), left to right.

    Valid for the ranges that occur in RFC 9162 trees: ``lo`` is a multiple of a power of two
    at least ``hi - lo``, so every piece is aligned.
    """
    coords: list[Coord] = []
    width = hi - lo
    pos = lo
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            coords.append((level, pos >> level))
            pos += 1 << level
    return coords


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Hash of a range from its complete pieces (left to right): fold from the right."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = _sha256(_NODE + h + acc).digest()
    return acc


def _path(index: int, level: int, size: int, coords: list[Coord]) -> Plan:
    """Siblings of node (level, index) on its way up to the root of the tree of ``size`` leaves,
    appended to ``coords``.

    A left sibling is always a complete subtree. A right sibling is complete, or, once at most
    (where the path leaves the complete part of the tree), an ephemeral subtree [start, size)
    made of stored pieces, or missing (beyond ``size``: the node is promoted, RFC 9162 §2.1.1).
    This yields PATH(m, D[n]) of RFC 9162 §2.1.3.1 for level 0, and the tail of the
    consistency proof of §2.1.4.1 for the node that ends at the old size.
    """
    eph_at = eph_count = 0
    height = (size - 1).bit_length()
    i = index
    while level < height:
        j = i ^ 1
        if j < i:
            coords.append((level, j))
        else:
            start = j << level
            if start + (1 << level) <= size:
                coords.append((level, j))
            elif start < size:
                pieces = _range_coords(start, size)
                eph_at, eph_count = len(coords), len(pieces)
                coords.extend(pieces)
        i >>= 1
        level += 1
    return coords, eph_at, eph_count


def _inclusion_plan(index: int, size: int) -> Plan:
    """PATH(index, D[size]) of RFC 9162 §2.1.3.1."""
    return _path(index, 0, size, [])


def _consistency_plan(old_size: int, new_size: int) -> Plan:
    """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4.1.

    The largest complete subtree ending at ``old_size`` (omitted when that is the whole old tree,
    i.e. ``old_size`` is a power of two), then its path up to the root of the new tree.
    """
    if old_size == 0 or old_size == new_size:
        return [], 0, 0
    level = (old_size & -old_size).bit_length() - 1
    index = (old_size - 1) >> level
    return _path(index, level, new_size, [] if index == 0 else [(level, index)])


# ---------------------------------------------------------------------------------------------
# The log


class MerkleLog:
    """An append-only RFC 9162 log over a :class:`NodeStore`."""

    __slots__ = ("_frontier", "_levels", "_put", "_size", "store")

    def __init__(self, store: NodeStore | None = None) -> None:
        self.store: NodeStore = store if store is not None else InMemoryNodeStore()
        self._put = self.store.put_nodes
        # A store has one writer, this log; the in-memory one is written without method calls.
        self._levels = self.store.levels if type(self.store) is InMemoryNodeStore else None
        self._size = self.store.leaf_count()
        # Peaks of the current tree (one per set bit of the size), largest (leftmost) first.
        coords = _range_coords(0, self._size)
        self._frontier: list[bytes] = self.store.get_nodes(coords) if coords else []

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def append(self, entry: bytes) -> int:
        """Append a raw entry; returns its 0-based index."""
        return self.append_leaf_hash(_sha256(_LEAF + entry).digest())

    def append_leaf_hash(self, digest: bytes) -> int:
        """Append an already computed leaf hash; returns its index."""
        if len(digest) != HASH_SIZE:
            raise ValueError("a leaf hash is 32 bytes")
        index = i = self._size
        frontier = self._frontier
        h, level = digest, 0
        levels = self._levels
        if levels is not None:  # in-memory store: write the rows directly
            if not levels:
                levels.append(bytearray())
            levels[0] += digest
            while i & 1:  # each trailing 1 bit of the old size is a peak that merges
                h = _sha256(_NODE + frontier.pop() + h).digest()
                i >>= 1
                level += 1
                if level == len(levels):
                    levels.append(bytearray())
                levels[level] += h
        else:
            writes = [(0, index, digest)]
            while i & 1:
                h = _sha256(_NODE + frontier.pop() + h).digest()
                i >>= 1
                level += 1
                writes.append((level, i, h))
            self._put(writes)
        frontier.append(h)
        self._size = index + 1
        return index

    def extend(self, entries: Iterable[bytes]) -> int:
        """Append raw entries; returns the new size."""
        return self.extend_leaf_hashes(_sha256(_LEAF + e).digest() for e in entries)

    def extend_leaf_hashes(self, digests: Iterable[bytes]) -> int:
        """Append leaf hashes, writing to the store once; returns the new size."""
        writes: list[tuple[int, int, bytes]] = []
        frontier = self._frontier
        size = self._size
        sha = _sha256
        node = _NODE
        for digest in digests:
            if len(digest) != HASH_SIZE:
                raise ValueError("a leaf hash is 32 bytes")
            writes.append((0, size, digest))
            h, i, level = digest, size, 0
            while i & 1:
                h = sha(node + frontier.pop() + h).digest()
                i >>= 1
                level += 1
                writes.append((level, i, h))
            frontier.append(h)
            size += 1
        if writes:
            self._put(writes)
        self._size = size
        return size

    def leaf_hash_at(self, index: int) -> bytes:
        self._check_size(index + 1, "index")
        return self.store.get_nodes([(0, index)])[0]

    def root(self, size: int | None = None) -> bytes:
        """Root hash of the tree of the first ``size`` leaves (default: all)."""
        if size is None or size == self._size:
            return _fold(self._frontier) if self._frontier else EMPTY_ROOT
        self._check_size(size, "size")
        if size == 0:
            return EMPTY_ROOT
        return _fold(self.store.get_nodes(_range_coords(0, size)))

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """Audit path of leaf ``index`` in the tree of ``size`` leaves, leaf side first."""
        size = self._size if size is None else size
        self._check_size(size, "size")
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a tree of {size} leaves")
        return self._hashes(_inclusion_plan(index, size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """Proof that the tree of ``old_size`` leaves is a prefix of the one of ``new_size``."""
        new_size = self._size if new_size is None else new_size
        self._check_size(new_size, "new_size")
        if not 0 <= old_size <= new_size:
            raise ValueError(f"old size {old_size} is not within 0..{new_size}")
        return self._hashes(_consistency_plan(old_size, new_size))

    def _hashes(self, plan: Plan) -> list[bytes]:
        """Read every node of a plan with one store call and hash the ephemeral subtree."""
        coords, eph_at, eph_count = plan
        if not coords:
            return []
        hashes = self.store.get_nodes(coords)
        if eph_count > 1:
            hashes[eph_at : eph_at + eph_count] = [_fold(hashes[eph_at : eph_at + eph_count])]
        return hashes

    def _check_size(self, size: int, name: str) -> None:
        if not 0 <= size <= self._size:
            raise ValueError(f"{name} {size} is outside a log of {self._size} leaves")


# ---------------------------------------------------------------------------------------------
# List functions over raw entries


def _log_of(leaves: Sequence[bytes]) -> MerkleLog:
    log = MerkleLog()
    log.extend(leaves)
    return log


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the raw entries ``leaves``; SHA-256 of nothing for an empty list."""
    return _log_of(leaves).root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path of entry ``index`` in the tree of ``leaves``."""
    return _log_of(leaves).inclusion_proof(index)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """Consistency proof from the first ``old_size`` entries to all of ``leaves``."""
    return _log_of(leaves).consistency_proof(old_size)


# ---------------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)


def root_from_inclusion_proof(
    leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes]
) -> bytes | None:
    """The root implied by an audit path, or None if the path has the wrong shape."""
    if not 0 <= index < size or len(leaf_digest) != HASH_SIZE:
        return None
    fn, sn = index, size - 1
    r = leaf_digest
    sha = _sha256
    for p in proof:
        if sn == 0 or len(p) != HASH_SIZE:
            return None
        if fn & 1 or fn == sn:
            r = sha(_NODE + p + r).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha(_NODE + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r


def verify_inclusion_hash(
    leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Like :func:`verify_inclusion` for a leaf given by its leaf hash."""
    return root_from_inclusion_proof(leaf_digest, index, size, proof) == root


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True if raw entry ``leaf`` is at ``index`` in the tree of ``size`` leaves with ``root``."""
    return verify_inclusion_hash(leaf_hash(leaf), index, size, proof, root)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True if ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    Sizes 0 and equal sizes take an empty proof: an empty old tree must have the empty root, and
    equal sizes need equal roots.
    """
    # One piece on purpose (cyclomatic ~22): this is the verification algorithm of RFC 9162
    # §2.1.4.2 step by step (the numbered comments are its steps); split, it would no longer
    # read against the RFC.
    if not 0 <= old_size <= new_size:
        return False
    if len(old_root) != HASH_SIZE or len(new_root) != HASH_SIZE:
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if old_size == new_size:
        return not proof and old_root == new_root
    # 1. An empty path cannot prove anything here.
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.-4.
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    sha = _sha256
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha(_NODE + c + fr).digest()
            sr = sha(_NODE + c + sr).digest()
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha(_NODE + sr + c).digest()
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == old_root and sr == new_root and sn == 0
