"""Checkpoints, inclusion and consistency proofs from the database, checked with the pure
merkle functions; the export of a database-built chain verifies, and tampering is named."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from tests.integration.receivables.receivables_world import FACE, World, at_day

from puhui.receivables import keys_service, merkle, service
from puhui.receivables.checkpoint import open_checkpoint
from puhui.receivables.models import CertificateRow, LogHead, PartyKey
from puhui.receivables.statements import SignedStatement
from puhui.receivables.verifier import verify


def _chain(world: World) -> str:
    """A certificate through split, transfer, finance and clearing; returns its id."""
    cert = world.active(FACE)
    world.do(service.split, cert, [20_000_000, 30_000_000])
    world.do(service.transfer, f"{cert}-1", world.t2.id)
    world.do(service.accept_transfer, f"{cert}-1")
    world.do(service.finance, f"{cert}-2", idempotency_key=f"fin-{cert}")
    return cert


def _log_key(world: World) -> bytes:
    head = world.session.get(LogHead, 1)
    assert head is not None
    key = keys_service.log_public_key(world.session, head.origin)
    assert key is not None
    return key


def test_checkpoints_and_proofs_verify_with_the_pure_functions(world: World) -> None:
    s, clock = world.session, world.clock
    cert = _chain(world)
    first = service.publish_checkpoint(s, clock, world.cipher)
    assert service.publish_checkpoint(s, clock, world.cipher) == first  # no growth: no new head
    head = s.get(LogHead, 1)
    assert head is not None
    origin, log_key = head.origin, _log_key(world)
    cp1 = open_checkpoint(first.note, origin=origin, public_key=log_key)
    assert cp1.size == first.size == head.size and cp1.root.hex() == first.root

    # every operation of the certificate is provably in the signed tree
    for op in service.provenance(s, None, cert).operations:
        proof = service.inclusion_proof(s, None, op.seq)
        assert proof.size == first.size and proof.checkpoint == first
        assert merkle.verify_inclusion(
            proof.entry.encode(),
            op.seq,
            proof.size,
            [bytes.fromhex(p) for p in proof.proof],
            cp1.root,
        )
        signed = SignedStatement.from_entry(proof.entry.encode())
        assert signed.statement["seq"] == op.seq
    # a wrong leaf does not verify
    proof = service.inclusion_proof(s, None, first.size - 1)
    assert not merkle.verify_inclusion(
        b"forged", first.size - 1, proof.size, [bytes.fromhex(p) for p in proof.proof], cp1.root
    )

    at_day(clock, s.get(CertificateRow, cert).maturity_date)  # type: ignore[union-attr]
    world.do(service.pay, cert, idempotency_key=f"pay-{cert}")
    second = service.publish_checkpoint(s, clock, world.cipher)
    cp2 = open_checkpoint(second.note, origin=origin, public_key=log_key)
    assert cp2.size == first.size + 3 and cp2.at >= cp1.at
    cons = service.consistency_proof(s, first.size, second.size)
    assert cons.old_checkpoint == first and cons.new_checkpoint == second
    assert merkle.verify_consistency(
        cp1.size, cp2.size, cp1.root, cp2.root, [bytes.fromhex(p) for p in cons.proof]
    )
    # default new = latest checkpoint; an inclusion proof at an older size still verifies
    assert service.consistency_proof(s, first.size).new_size == second.size
    old = service.inclusion_proof(s, None, 0, size=first.size)
    assert old.root == first.root
    with pytest.raises(service.ProofRangeInvalid):
        service.inclusion_proof(s, None, second.size - 1, size=second.size - 1)
    with pytest.raises(service.ProofRangeInvalid):
        service.consistency_proof(s, second.size, first.size)
    assert [c.size for c in service.list_checkpoints(s)][:2] == [second.size, first.size]
    assert service.latest_checkpoint(s) == second


def test_log_key_and_custodial_keys_are_encrypted_at_rest(world: World) -> None:
    s = world.session
    service.publish_checkpoint(s, world.clock, world.cipher)
    rows = list(s.scalars(select(PartyKey)))
    assert rows and all(r.custodial and r.private_enc for r in rows)
    for row in rows:
        seed = keys_service._open(world.cipher, row).seed()
        assert seed not in bytes(row.private_enc)  # type: ignore[arg-type]
        assert base64.b64encode(seed) not in bytes(row.private_enc)  # type: ignore[arg-type]


def test_root_recomputed_from_the_leaves_equals_the_stored_root(world: World) -> None:
    _chain(world)
    check = service.check_log(world.session)
    assert check.ok, check.problems
    assert check.recomputed_root == check.stored_root


def _export(world: World, directory: Path) -> None:
    service.publish_checkpoint(world.session, world.clock, world.cipher)
    out = service.export_log(world.session, directory)
    assert out.entries == world.session.get(LogHead, 1).size  # type: ignore[union-attr]


def test_export_verifies_and_every_kind_of_tampering_is_named(world: World, tmp_path: Path) -> None:
    s, clock = world.session, world.clock
    cert = _chain(world)
    service.publish_checkpoint(s, clock, world.cipher)
    at_day(clock, s.get(CertificateRow, cert).maturity_date)  # type: ignore[union-attr]
    world.do(service.pay, cert, idempotency_key=f"pay-{cert}")
    good = tmp_path / "good"
    _export(world, good)
    report = verify(good, workers=1)
    assert report.ok, report.render("en")
    assert report.summary["certificates"] >= 1 and report.checkpoints >= 2
    lines = (good / "statements.jsonl").read_bytes().splitlines(keepends=True)
    n = len(lines)
    target = n - 3  # 0-based index of an entry of our certificate

    def tampered(name: str, new_lines: list[bytes]) -> Path:
        d = tmp_path / name
        d.mkdir()
        for f in ("log.json", "keys.json", "checkpoints.jsonl"):
            (d / f).write_bytes((good / f).read_bytes())
        (d / "statements.jsonl").write_bytes(b"".join(new_lines))
        return d

    # 1. flip one byte inside a statement: its signature no longer verifies
    line = bytearray(lines[target])
    pos = line.index(b'"amount_fen":') + len(b'"amount_fen":')
    line[pos] = ord("9") if line[pos] != ord("9") else ord("8")
    r = verify(tampered("flip", [*lines[:target], bytes(line), *lines[target + 1 :]]), workers=1)
    assert not r.ok and r.first is not None
    assert r.first.line == target + 1 and r.first.code == "receivables.bad_signature"
    assert f"第 {target + 1} 行" in r.render("zh")

    # 2. drop an entry: the sequence breaks at that line, and the checkpoints no longer match
    r = verify(tampered("drop", [*lines[:target], *lines[target + 1 :]]), workers=1)
    assert not r.ok and r.first is not None
    assert r.first.line == target + 1 and r.first.code == "receivables.sequence_mismatch"
    assert any(p.file == "checkpoints.jsonl" for p in r.problems)

    # 3. swap two entries
    swapped = [*lines]
    swapped[target], swapped[target + 1] = swapped[target + 1], swapped[target]
    r = verify(tampered("swap", swapped), workers=1)
    assert not r.ok and r.first is not None
    assert r.first.line == target + 1 and r.first.code == "receivables.sequence_mismatch"

    # 4. forge a checkpoint: change its root, keep the signature
    d = tampered("forge", lines)
    notes = (d / "checkpoints.jsonl").read_text().splitlines()
    note = json.loads(notes[-1])["note"]
    parts = note.split("\n")
    parts[2] = "A" * 43 + "="
    notes[-1] = json.dumps({"note": "\n".join(parts)}, ensure_ascii=False)
    (d / "checkpoints.jsonl").write_text("\n".join(notes) + "\n")
    r = verify(d, workers=1)
    assert not r.ok and r.first is not None
    assert r.first.file == "checkpoints.jsonl" and r.first.line == len(notes)
    assert r.first.code == "receivables.checkpoint_invalid"


def test_export_needs_a_published_log_key(world: World, tmp_path: Path) -> None:
    head = world.session.get(LogHead, 1)
    assert head is not None
    if keys_service.log_public_key(world.session, head.origin) is None:
        with pytest.raises(service.NoLogKey):
            service.export_log(world.session, tmp_path / "x")


def test_log_tables_refuse_update_and_delete(world: World) -> None:
    s = world.session
    _chain(world)
    service.publish_checkpoint(s, world.clock, world.cipher)
    for sql in (
        "UPDATE receivables_entry SET op = 'x'",
        "DELETE FROM receivables_entry",
        "UPDATE receivables_node SET level = level",
        "DELETE FROM receivables_checkpoint",
    ):
        with pytest.raises(DBAPIError, match="append-only"), s.begin_nested():
            s.execute(text(sql))
    assert service.check_log(s).ok
