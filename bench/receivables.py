"""Benchmark of the receivables chain: signing and appending statements, Merkle proofs at scale,
full verification of an export, and the same tree workload on pymerkle.

    uv run python bench/receivables.py                 # 1,000,000 leaves (a few minutes)
    uv run python bench/receivables.py --quick         # 20,000 leaves, seconds
    uv run python bench/receivables.py --leaves 200000 --keep /tmp/rcv-export

Prints its figures, then, as the last line, one JSON object with all of them. Goals: inclusion
proof generation and verification < 100 µs at 1,000,000 leaves; verification of a 1,000,000-leaf
export < 30 s on 2 cores; our tree ≥ 5× pymerkle on append + inclusion proofs. Figures depend on
the machine and on what else runs on it: the load average at the start is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from puhui.receivables import export as fmt
from puhui.receivables import keys as keys_mod
from puhui.receivables import merkle, synthetic
from puhui.receivables.chain import ReceivablesChain
from puhui.receivables.statements import sign_statement, statement
from puhui.receivables.verifier import verify


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the verifier's workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def _us(seconds: float, n: int) -> float:
    return round(seconds / n * 1e6, 2)


def bench_submit(world: synthetic.World, n: int) -> dict[str, float]:
    """Per-statement cost on the platform side, on a fresh chain of n statements."""
    ops = []
    for signer, op, at, fields in synthetic.operations(world, seed=11):
        if len(ops) == n:
            break
        ops.append((signer, op, at, fields))
    chain = ReceivablesChain(
        origin=world.origin, log_key=world.log_key, rules=world.rules, keys=world.keys
    )
    started = time.perf_counter()
    signed = []
    for seq, (signer, op, at, fields) in enumerate(ops):
        signed.append(
            sign_statement(statement(op, seq=seq, actor=signer.party, at=at, **fields), signer)
        )
    sign_s = time.perf_counter() - started
    started = time.perf_counter()
    for s in signed:
        chain.submit(s)  # verify the party's signature, apply the rules, append the leaf
    submit_s = time.perf_counter() - started
    return {
        "sign_ops_per_s": round(n / sign_s),
        "submit_verified_ops_per_s": round(n / submit_s),
        "sign_then_submit_verified_ops_per_s": round(n / (sign_s + submit_s)),
    }


def bench_ed25519(n: int = 3_000) -> dict[str, float]:
    """µs per Ed25519 verification of a statement-sized message, per available backend."""
    key = synthetic.make_world().platform
    message = b"x" * 220
    signature = key.sign(message)
    out = {}
    for backend in keys_mod.available_backends():
        verify_one = keys_mod.verifier_for(key.public, backend)
        started = time.perf_counter()
        for _ in range(n):
            verify_one(signature, message)
        out[backend] = _us(time.perf_counter() - started, n)
    return out


def bench_proofs(tree: merkle.MerkleLog, count: int, rnd: random.Random) -> dict[str, float]:
    n = tree.size
    out: dict[str, float] = {}
    root = tree.root()
    indexes = [rnd.randrange(n) for _ in range(count)]
    started = time.perf_counter()
    proofs = [tree.inclusion_proof(i, n) for i in indexes]
    out["inclusion_gen_us"] = _us(time.perf_counter() - started, count)
    leaf_hashes = [tree.leaf_hash_at(i) for i in indexes]
    started = time.perf_counter()
    for i, p, h in zip(indexes, proofs, leaf_hashes, strict=True):
        if not merkle.verify_inclusion_hash(h, i, n, p, root):
            raise AssertionError("inclusion proof failed")
    out["inclusion_verify_us"] = _us(time.perf_counter() - started, count)
    out["inclusion_proof_len"] = round(sum(map(len, proofs)) / count, 1)
    # proofs against older tree heads
    sizes = [rnd.randrange(1, n + 1) for _ in range(count)]
    idx = [rnd.randrange(s) for s in sizes]
    started = time.perf_counter()
    for i, s in zip(idx, sizes, strict=True):
        tree.inclusion_proof(i, s)
    out["inclusion_gen_past_size_us"] = _us(time.perf_counter() - started, count)
    # consistency
    pairs = [tuple(sorted(rnd.sample(range(1, n + 1), 2))) for _ in range(count)]
    roots = {s: tree.root(s) for pair in pairs for s in pair}
    started = time.perf_counter()
    cproofs = [tree.consistency_proof(a, b) for a, b in pairs]
    out["consistency_gen_us"] = _us(time.perf_counter() - started, count)
    started = time.perf_counter()
    for (a, b), p in zip(pairs, cproofs, strict=True):
        if not merkle.verify_consistency(a, b, roots[a], roots[b], p):
            raise AssertionError("consistency proof failed")
    out["consistency_verify_us"] = _us(time.perf_counter() - started, count)
    started = time.perf_counter()
    for s in sizes[: count // 4]:
        tree.root(s)
    out["root_at_past_size_us"] = _us(time.perf_counter() - started, count // 4)
    return out


def bench_trees(n: int, proofs: int, rnd: random.Random) -> dict[str, Any]:
    """Append n entries then make `proofs` inclusion proofs: ours vs pymerkle's InmemoryTree."""
    from pymerkle import InmemoryTree
    from pymerkle import verify_inclusion as pm_verify_inclusion

    entries = [b"entry-%d-" % i + bytes(40) for i in range(n)]
    indexes = [rnd.randrange(n) for _ in range(proofs)]
    out: dict[str, Any] = {"n": n, "proofs": proofs}

    started = time.perf_counter()
    ours = merkle.MerkleLog()
    for e in entries:
        ours.append(e)
    append_s = time.perf_counter() - started
    started = time.perf_counter()
    our_proofs = [ours.inclusion_proof(i) for i in indexes]
    proof_s = time.perf_counter() - started
    root = ours.root()
    started = time.perf_counter()
    for i, p in zip(indexes, our_proofs, strict=True):
        if not merkle.verify_inclusion(entries[i], i, n, p, root):
            raise AssertionError("ours failed")
    verify_s = time.perf_counter() - started
    out["ours"] = {
        "append_us": _us(append_s, n),
        "inclusion_gen_us": _us(proof_s, proofs),
        "inclusion_verify_us": _us(verify_s, proofs),
        "workload_s": round(append_s + proof_s, 3),
    }

    started = time.perf_counter()
    theirs = InmemoryTree(algorithm="sha256")
    for e in entries:
        theirs.append_entry(e)
    append_s = time.perf_counter() - started
    started = time.perf_counter()
    their_proofs = [theirs.prove_inclusion(i + 1) for i in indexes]  # pymerkle is 1-based
    proof_s = time.perf_counter() - started
    their_root = theirs.get_root()
    if their_root != root:
        raise AssertionError("pymerkle and we disagree on the root")
    started = time.perf_counter()
    for i, p in zip(indexes, their_proofs, strict=True):
        pm_verify_inclusion(theirs.get_leaf(i + 1), their_root, p)
    verify_s = time.perf_counter() - started
    out["pymerkle"] = {
        "append_us": _us(append_s, n),
        "inclusion_gen_us": _us(proof_s, proofs),
        "inclusion_verify_us": _us(verify_s, proofs),
        "workload_s": round(append_s + proof_s, 3),
    }
    out["speedup_append"] = round(out["pymerkle"]["append_us"] / out["ours"]["append_us"], 1)
    out["speedup_inclusion_gen"] = round(
        out["pymerkle"]["inclusion_gen_us"] / out["ours"]["inclusion_gen_us"], 1
    )
    out["speedup_workload"] = round(out["pymerkle"]["workload_s"] / out["ours"]["workload_s"], 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 leaves and fewer proofs")
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument("--pymerkle-leaves", type=int, default=None, help="default: --leaves")
    parser.add_argument("--workers", type=int, default=None, help="verifier processes")
    parser.add_argument("--keep", type=Path, default=None, help="write the export here and keep it")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    leaves = 20_000 if args.quick else args.leaves
    proofs = 2_000 if args.quick else args.proofs
    pm_leaves = args.pymerkle_leaves or leaves
    rnd = random.Random(args.seed)
    figures: dict[str, Any] = {
        "leaves": leaves,
        "cpu_count": os.cpu_count(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
        "ed25519_verify_backend": keys_mod.backend_name(),
    }
    print(
        f"receivables bench: {leaves:,} leaves, {os.cpu_count()} CPUs, "
        f"load {figures['load_avg_1m_at_start']}, "
        f"Ed25519 verify via {figures['ed25519_verify_backend']}"
    )

    figures["ed25519_verify_us"] = bench_ed25519()
    print(
        "Ed25519 verify, µs each: "
        + ", ".join(f"{k} {v}" for k, v in figures["ed25519_verify_us"].items())
    )

    world = synthetic.make_world(args.seed)
    sample = min(leaves, 20_000)
    figures["platform"] = bench_submit(world, sample)
    p = figures["platform"]
    print(f"\n1. statements on the platform (sample of {sample:,})")
    rows = [
        ("sign (canonical JSON + Ed25519)", p["sign_ops_per_s"]),
        ("submit (verify signature, rules, append leaf)", p["submit_verified_ops_per_s"]),
        ("sign + submit", p["sign_then_submit_verified_ops_per_s"]),
    ]
    for label, value in rows:
        print(f"   {label:<47}{value:>10,} ops/s")

    directory = args.keep or Path(tempfile.mkdtemp(prefix="puhui-rcv-bench-"))
    info = fmt.LogInfo(world.origin, world.log_key.public, world.rules)
    started = time.perf_counter()
    with fmt.ExportWriter(directory, info, world.keys) as writer:
        chain = synthetic.build_chain(
            world, leaves, seed=args.seed, sink=writer, checkpoint_every=10_000
        )
    build_s = time.perf_counter() - started
    size_mb = (directory / fmt.STATEMENTS_FILE).stat().st_size / 1e6
    figures["build"] = {
        "seconds": round(build_s, 2),
        "sign_append_ops_per_s": round(leaves / build_s),
        "statements_mb": round(size_mb, 1),
        "checkpoints": len(chain.checkpoints),
        "state": chain.state.summary(),
    }
    print(f"\n2. building the export: sign + rules + append + write, {leaves:,} statements")
    print(
        f"   {build_s:.1f} s = {figures['build']['sign_append_ops_per_s']:,} ops/s, "
        f"statements.jsonl {size_mb:.0f} MB, {len(chain.checkpoints)} checkpoints"
    )

    figures["proofs"] = bench_proofs(chain.tree, proofs, rnd)
    q = figures["proofs"]
    print(f"\n3. proofs at {leaves:,} leaves ({proofs:,} random each)")
    print(
        f"   inclusion: generate {q['inclusion_gen_us']} µs, verify {q['inclusion_verify_us']} µs "
        f"({q['inclusion_proof_len']} hashes); at a past size {q['inclusion_gen_past_size_us']} µs"
    )
    print(
        f"   consistency: generate {q['consistency_gen_us']} µs, "
        f"verify {q['consistency_verify_us']} µs; "
        f"root at a past size {q['root_at_past_size_us']} µs"
    )

    del chain
    cpu_before = _cpu_seconds()
    report = verify(directory, workers=args.workers)
    cpu_s = _cpu_seconds() - cpu_before
    figures["verify"] = {
        "seconds": round(report.elapsed_s, 2),
        "cpu_seconds": round(cpu_s, 1),
        "cpu_us_per_leaf": _us(cpu_s, leaves),
        "projected_seconds_on_2_free_cores": round(cpu_s / 2, 1),
        "ok": report.ok,
        "workers": report.workers,
        "us_per_leaf": _us(report.elapsed_s, leaves),
        "leaves_per_s": round(leaves / report.elapsed_s),
    }
    v = figures["verify"]
    print(f"\n4. independent verification of the export ({report.workers} worker processes)")
    print(
        f"   {'OK' if report.ok else 'FAILED'} in {v['seconds']} s "
        f"({v['us_per_leaf']} µs per leaf, {v['leaves_per_s']:,} leaves/s)"
    )
    print(
        f"   CPU time of all processes {v['cpu_seconds']} s ({v['cpu_us_per_leaf']} µs per leaf): "
        f"{v['projected_seconds_on_2_free_cores']} s on two otherwise idle cores"
    )
    if not report.ok:
        print(report.render("en"))

    figures["pymerkle"] = bench_trees(
        pm_leaves, min(proofs, 2_000 if pm_leaves > 200_000 else proofs), rnd
    )
    t = figures["pymerkle"]
    print(
        f"\n5. tree workload vs pymerkle InmemoryTree "
        f"({pm_leaves:,} appends + {t['proofs']:,} inclusion proofs)"
    )
    for name in ("ours", "pymerkle"):
        r = t[name]
        print(
            f"   {name:<9} append {r['append_us']:>7} µs  proof {r['inclusion_gen_us']:>7} µs  "
            f"verify {r['inclusion_verify_us']:>7} µs  workload {r['workload_s']:>7} s"
        )
    print(
        f"   ours is {t['speedup_workload']}× faster on the workload "
        f"(append {t['speedup_append']}×, proofs {t['speedup_inclusion_gen']}×)"
    )

    if args.keep is None:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(figures, ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
