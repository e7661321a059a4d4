"""RFC 9162 / RFC 6962 Merkle tree: published vectors, properties, and a cross-check with pymerkle.

The vectors are those of the Certificate Transparency reference implementations
(transparency-dev/merkle ``proof/verify_test.go`` and ``rfc6962/rfc6962_test.go``, formerly
google/trillian ``merkle``): an 8-leaf tree, its roots for sizes 1..8, and published inclusion
and consistency proofs. In those files leaf numbers of inclusion proofs are 1-based; here
indexes are 0-based.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymerkle import InmemoryTree

from puhui.receivables import merkle
from puhui.receivables.merkle import (
    EMPTY_ROOT,
    InMemoryNodeStore,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]

ROOTS = [  # root of the first n leaves, n = 1..8
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

INCLUSION = [  # (0-based index, size, proof)
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (0, 1, []),
]

CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- hashing vectors (rfc6962_test.go) ---------------------------------------------------------


def test_hasher_vectors() -> None:
    assert h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert root([]) == EMPTY_ROOT
    assert leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == h(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456") == h(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    a, b = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert a != b
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) != node_hash(b, a)


# --- published roots and proofs ----------------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 9))
def test_roots_of_the_reference_tree(size: int) -> None:
    assert root(LEAVES[:size]) == ROOTS[size - 1]
    log = MerkleLog()
    log.extend(LEAVES)
    assert log.root(size) == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_published_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAVES[:size], index) == proof
    assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_published_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES[:new], old) == proof
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], proof)


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], rt: bytes, leaf: bytes
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    """The corruptions of transparency-dev's corruptInclusionProof."""
    probes = [
        ("index - 1", leaf, index - 1, size, proof, rt),
        ("index + 1", leaf, index + 1, size, proof, rt),
        ("index ^ 2", leaf, index ^ 2, size, proof, rt),
        ("size * 2", leaf, index, size * 2, proof, rt),
        ("size // 2", leaf, index, size // 2, proof, rt),
        ("wrong leaf", b"WrongLeaf", index, size, proof, rt),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("random root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], rt),
        ("trailing root", leaf, index, size, [*proof, rt], rt),
        ("preceding garbage", leaf, index, size, [b"", *proof], rt),
        ("preceding root", leaf, index, size, [rt, *proof], rt),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 3", leaf, index, size, bad, rt))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], rt))
    if len(proof) > 1:
        probes.append(
            ("inserted component", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], rt)
        )
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION[:4])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    for desc, leaf, i, s, p, r in _inclusion_probes(
        index, size, proof, ROOTS[size - 1], LEAVES[index]
    ):
        assert not verify_inclusion(leaf, i, s, p, r), desc


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY[1:])
def test_corrupted_consistency_proofs_fail(old: int, new: int, proof: list[bytes]) -> None:
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    probes = [
        ("old - 1", old - 1, new, r1, r2, proof),
        ("old + 1", old + 1, new, r1, r2, proof),
        ("old ^ 2", old ^ 2, new, r1, r2, proof),
        ("new * 2", old, new * 2, r1, r2, proof),
        ("new // 2", old, new // 2, r1, r2, proof),
        ("wrong root1", old, new, b"WrongRoot", r2, proof),
        ("wrong root2", old, new, r1, b"WrongRoot", proof),
        ("swapped roots", old, new, r2, r1, proof),
        ("empty proof", old, new, r1, r2, []),
        ("trailing garbage", old, new, r1, r2, [*proof, b""]),
        ("trailing root1", old, new, r1, r2, [*proof, r1]),
        ("trailing root2", old, new, r1, r2, [*proof, r2]),
        ("preceding garbage", old, new, r1, r2, [b"", *proof]),
        ("preceding root1", old, new, r1, r2, [r1, *proof]),
        ("preceding root2", old, new, r1, r2, [r2, *proof]),
        ("preceding proof[0]", old, new, r1, r2, [proof[0], *proof]),
        ("truncated", old, new, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 4", old, new, r1, r2, bad))
    for desc, o, n, a, b, p in probes:
        assert not verify_consistency(o, n, a, b, p), desc


def test_degenerate_consistency_cases() -> None:
    r1, r2 = ROOTS[0], ROOTS[1]
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    assert verify_consistency(1, 1, r1, r1, [])
    assert not verify_consistency(1, 1, r1, r2, [])
    assert not verify_consistency(1, 1, r1, r1, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, r1, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, r2, r1, [])  # an empty tree has the empty root
    assert not verify_consistency(2, 1, r2, r1, [])  # time travel
    assert not verify_consistency(1, 2, r1, r2, [])


def test_inclusion_edge_cases() -> None:
    for index, size in [(0, 0), (1, 0), (2, 1)]:
        assert not verify_inclusion(b"x", index, size, [], EMPTY_ROOT)
    one = leaf_hash(b"data")
    assert verify_inclusion(b"data", 0, 1, [], one)
    assert not verify_inclusion(b"data", 0, 1, [], b"")
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES, 8)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES, 9)


# --- properties --------------------------------------------------------------------------------

N = 70
ENTRIES = [i.to_bytes(2, "big") * (i % 3 + 1) for i in range(N)]


@pytest.fixture(scope="module")
def log70() -> MerkleLog:
    log = MerkleLog()
    log.extend(ENTRIES)
    return log


def test_every_inclusion_proof_up_to_70_verifies(log70: MerkleLog) -> None:
    for size in range(1, N + 1):
        rt = log70.root(size)
        assert rt == root(ENTRIES[:size])
        for index in range(size):
            proof = log70.inclusion_proof(index, size)
            assert len(proof) <= math.ceil(math.log2(size))
            assert verify_inclusion(ENTRIES[index], index, size, proof, rt), (index, size)


def test_every_consistency_proof_up_to_70_verifies(log70: MerkleLog) -> None:
    for new in range(0, N + 1):
        new_root = log70.root(new)
        for old in range(0, new + 1):
            proof = log70.consistency_proof(old, new)
            assert verify_consistency(old, new, log70.root(old), new_root, proof), (old, new)


def rfc_mth(d: Sequence[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1."""
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1 << ((n - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:])).digest()


def rfc_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) straight from RFC 9162 §2.1.3.1."""
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m: int, d: Sequence[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) straight from RFC 9162 §2.1.4.1."""
    n = len(d)
    if m == n:
        return [] if whole else [rfc_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*rfc_subproof(m, d[:k], whole), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


def test_proofs_equal_the_rfc_definitions(log70: MerkleLog) -> None:
    for n in range(1, 34):
        d = ENTRIES[:n]
        assert log70.root(n) == rfc_mth(d)
        for m in range(n):
            assert log70.inclusion_proof(m, n) == rfc_path(m, d), (m, n)
        for m in range(1, n):
            assert log70.consistency_proof(m, n) == rfc_subproof(m, d, True), (m, n)


def _flip(data: bytes, bit: int) -> bytes:
    i = (bit // 8) % len(data)
    return data[:i] + bytes([data[i] ^ (1 << (bit % 8))]) + data[i + 1 :]


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, N),
    data=st.data(),
)
def test_altered_inclusion_proofs_fail(log70: MerkleLog, size: int, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, size - 1))
    proof = log70.inclusion_proof(index, size)
    rt = log70.root(size)
    leaf = ENTRIES[index]
    bit = data.draw(st.integers(0, 255))
    assert not verify_inclusion(leaf, index, size, proof, _flip(rt, bit))
    assert not verify_inclusion(leaf + b"x", index, size, proof, rt)
    other = data.draw(st.integers(0, size - 1).filter(lambda i: ENTRIES[i] != leaf))
    assert not verify_inclusion(leaf, other, size, proof, rt) or other == index
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = _flip(bad[k], bit)
        assert not verify_inclusion(leaf, index, size, bad, rt)
        assert not verify_inclusion(leaf, index, size, proof[:-1], rt)
        assert not verify_inclusion(leaf, index, size, [*proof, proof[0]], rt)


@settings(max_examples=150, deadline=None)
@given(new=st.integers(2, N), data=st.data())
def test_altered_consistency_proofs_fail(log70: MerkleLog, new: int, data: st.DataObject) -> None:
    old = data.draw(st.integers(1, new - 1))
    proof = log70.consistency_proof(old, new)
    r1, r2 = log70.root(old), log70.root(new)
    bit = data.draw(st.integers(0, 255))
    assert verify_consistency(old, new, r1, r2, proof)
    assert not verify_consistency(old, new, _flip(r1, bit), r2, proof)
    assert not verify_consistency(old, new, r1, _flip(r2, bit), proof)
    k = data.draw(st.integers(0, len(proof) - 1))
    bad = list(proof)
    bad[k] = _flip(bad[k], bit)
    assert not verify_consistency(old, new, r1, r2, bad)
    other = data.draw(st.integers(1, new - 1).filter(lambda o: o != old))
    assert not verify_consistency(other, new, r1, r2, proof)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=300))
def test_roots_match_pymerkle(entries: list[bytes]) -> None:
    theirs = InmemoryTree(algorithm="sha256")  # security on by default: RFC 9162 prefixes
    for e in entries:
        theirs.append_entry(e)
    log = MerkleLog()
    for e in entries:
        log.append(e)
    assert log.root() == theirs.get_root() == root(entries)
    for size in {1, len(entries) // 2 or 1, len(entries)}:
        assert log.root(size) == theirs.get_root(size)


# --- the stored-hash log -----------------------------------------------------------------------


class CountingStore(InMemoryNodeStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_nodes(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        self.reads += len(coords)
        return super().get_nodes(coords)


def test_proofs_read_olog_n_stored_nodes_and_never_rehash_leaves() -> None:
    store = CountingStore()
    log = MerkleLog(store)
    n = 100_003
    log.extend_leaf_hashes(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n))
    assert store.reads == 0  # appending only writes
    bound = 2 * math.ceil(math.log2(n)) + 2
    for index, size in [(0, n), (n - 1, n), (54_321, n), (777, 65_537), (12, 13)]:
        store.reads = 0
        proof = log.inclusion_proof(index, size)
        assert store.reads <= bound
        assert merkle.verify_inclusion_hash(
            log.leaf_hash_at(index), index, size, proof, log.root(size)
        )
    for old, new in [(1, n), (65_536, n), (99_999, n), (3, 70_001)]:
        store.reads = 0
        proof = log.consistency_proof(old, new)
        assert store.reads <= bound
        assert verify_consistency(old, new, log.root(old), log.root(new), proof)
    store.reads = 0
    log.root(77_777)
    assert store.reads <= math.ceil(math.log2(n))


def test_levels_hold_complete_subtrees() -> None:
    log = MerkleLog()
    log.extend(LEAVES[:7])
    store = log.store
    assert isinstance(store, InMemoryNodeStore)
    assert [len(level) // 32 for level in store.levels] == [7, 3, 1]
    assert store.get_nodes([(2, 0)]) == [ROOTS[3]]  # leaves 0..3
    assert store.get_nodes([(1, 2)]) == [root(LEAVES[4:6])]


def test_log_reopens_from_its_store() -> None:
    first = MerkleLog()
    first.extend(ENTRIES[:45])
    again = MerkleLog(first.store)
    assert again.size == 45 and again.root() == first.root()
    again.extend(ENTRIES[45:])
    assert again.root() == root(ENTRIES)
    assert again.root(45) == root(ENTRIES[:45])


def test_append_returns_indexes_and_validates() -> None:
    log = MerkleLog()
    assert [log.append(e) for e in LEAVES[:3]] == [0, 1, 2]
    assert log.append_leaf_hash(leaf_hash(LEAVES[3])) == 3
    assert log.root() == ROOTS[3]
    with pytest.raises(ValueError):
        log.append_leaf_hash(b"short")
    with pytest.raises(ValueError):
        log.root(5)
    with pytest.raises(ValueError):
        log.inclusion_proof(0, 5)
    with pytest.raises(ValueError):
        log.consistency_proof(3, 2)
    with pytest.raises(ValueError):
        InMemoryNodeStore().put_nodes([(0, 1, EMPTY_ROOT)])  # not the next node


def test_in_memory_fast_path_writes_what_the_store_protocol_writes() -> None:
    fast = MerkleLog()  # plain InMemoryNodeStore: rows written directly
    generic = MerkleLog(CountingStore())  # a subclass: goes through put_nodes
    for e in ENTRIES:
        assert fast.append(e) == generic.append(e)
    assert isinstance(fast.store, InMemoryNodeStore) and isinstance(
        generic.store, InMemoryNodeStore
    )
    assert fast.store.levels == generic.store.levels
    assert fast.root() == generic.root() == root(ENTRIES)
