"""A party that signs with its own key: register the public key, prepare, sign, submit."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from tests.integration.receivables.receivables_world import FACE, World, borrower, log_size

from puhui.core.errors import DomainError
from puhui.receivables import errors as rerr
from puhui.receivables import keys_service, service
from puhui.receivables.keys import SigningKey
from puhui.receivables.schemas import KeyRegister, PrepareRequest, SubmitRequest
from puhui.receivables.verifier import verify


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _sign(key: SigningKey, prepared: object) -> SubmitRequest:
    message = base64.b64decode(prepared.signing_input_b64)  # type: ignore[attr-defined]
    return SubmitRequest(
        statement=prepared.statement_text,  # type: ignore[attr-defined]
        kid=key.kid,
        signature=_b64(key.sign(message)),
    )


@pytest.fixture
def own(world: World) -> SigningKey:
    key = SigningKey.generate("T1")
    out = service.register_key(
        world.session,
        world.clock,
        world.cipher,
        borrower(world.t1),
        world.t1.id,
        KeyRegister(public_key=_b64(key.public), retire_custodial=True),
    )
    assert out.kid == key.kid and not out.custodial
    return key


def test_prepare_sign_submit(world: World, own: SigningKey, tmp_path: Path) -> None:
    s, clock, cipher = world.session, world.clock, world.cipher
    t1 = borrower(world.t1)
    cert = world.issue().certificate
    assert cert is not None
    # the platform can no longer sign for the supplier
    with pytest.raises(keys_service.NoCustodialKey):
        world.do(service.accept, cert.id)
    prepared = service.prepare(s, clock, cipher, t1, PrepareRequest(op="accept", cert_id=cert.id))
    assert prepared.seq == log_size(s) and prepared.statement["op"] == "accept"
    out = service.submit(s, clock, cipher, t1, _sign(own, prepared))
    assert out.operations[0].kid == own.kid and out.certificate.status == "active"  # type: ignore[union-attr]

    prepared = service.prepare(
        s,
        clock,
        cipher,
        t1,
        PrepareRequest(op="split", part_id=cert.id, amounts_fen=[FACE // 2] * 2),
    )
    assert [p["part"] for p in prepared.statement["parts"]] == [f"{cert.id}-1", f"{cert.id}-2"]
    service.submit(s, clock, cipher, t1, _sign(own, prepared))

    # financing with one's own signature: the holder signs the offer, the bank completes it
    prepared = service.prepare(
        s, clock, cipher, t1, PrepareRequest(op="finance", part_id=f"{cert.id}-1")
    )
    assert prepared.op == "transfer" and prepared.statement["to"] == "BANK"
    with pytest.raises(DomainError) as info:
        service.submit(s, clock, cipher, t1, _sign(own, prepared))
    assert info.value.code == "idempotency_key_missing"
    out = service.submit(s, clock, cipher, t1, _sign(own, prepared), idempotency_key="own-fin")
    assert [o.op for o in out.operations] == ["transfer", "finance"]
    again = service.submit(s, clock, cipher, t1, _sign(own, prepared), idempotency_key="own-fin")
    assert again.replayed

    # the export carries the party's own key and verifies
    service.publish_checkpoint(s, clock, cipher)
    service.export_log(s, tmp_path / "x")
    keys = json.loads((tmp_path / "x" / "keys.json").read_text())
    assert any(k["kid"] == own.kid for ks in keys["parties"].values() for k in ks)
    report = verify(tmp_path / "x", workers=1)
    assert report.ok, report.render("en")


def test_bad_stale_or_altered_submissions_are_refused(world: World, own: SigningKey) -> None:
    s, clock, cipher = world.session, world.clock, world.cipher
    t1 = borrower(world.t1)
    cert = world.issue().certificate
    assert cert is not None
    prepared = service.prepare(s, clock, cipher, t1, PrepareRequest(op="accept", cert_id=cert.id))
    before = log_size(s)
    # a signature by another key
    other = SigningKey.generate("X")
    bad = _sign(other, prepared).model_copy(update={"kid": own.kid})
    with pytest.raises(rerr.BadSignature):
        service.submit(s, clock, cipher, t1, bad)
    # an unregistered key
    with pytest.raises(rerr.UnknownKey):
        service.submit(s, clock, cipher, t1, _sign(other, prepared))
    # somebody else's statement
    with pytest.raises(service.NotOwnStatement):
        service.submit(s, clock, cipher, borrower(world.t2), _sign(own, prepared))
    assert log_size(s) == before
    # the log moved on since prepare
    world.issue()
    with pytest.raises(service.StaleStatement):
        service.submit(s, clock, cipher, t1, _sign(own, prepared))
    # prepared too long ago
    prepared = service.prepare(s, clock, cipher, t1, PrepareRequest(op="accept", cert_id=cert.id))
    clock.advance(timedelta(seconds=service.PREPARE_TTL_SECONDS + 1))
    with pytest.raises(service.StaleStatement):
        service.submit(s, clock, cipher, t1, _sign(own, prepared))
    # a statement the platform would not make (an id of the party's choosing)
    prepared = service.prepare(s, clock, cipher, t1, PrepareRequest(op="accept", cert_id=cert.id))
    service.submit(s, clock, cipher, t1, _sign(own, prepared))
    prepared = service.prepare(
        s,
        clock,
        cipher,
        t1,
        PrepareRequest(op="split", part_id=cert.id, amounts_fen=[FACE // 2] * 2),
    )
    stmt = dict(prepared.statement)
    stmt["parts"] = [{"part": "MINE-1", "amount_fen": FACE // 2}, stmt["parts"][1]]
    text = json.dumps(stmt, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    forged = prepared.model_copy(
        update={
            "statement_text": text,
            "signing_input_b64": _b64(b"puhui-receivables/statement/v1\n" + text.encode()),
        }
    )
    with pytest.raises(service.StatementMismatch) as info:
        service.submit(s, clock, cipher, t1, _sign(own, forged))
    assert "parts" in info.value.message("en")
    # non-canonical JSON
    spaced = prepared.statement_text.replace(",", ", ", 1)
    with pytest.raises(rerr.NonCanonicalStatement):
        service.submit(
            s,
            clock,
            cipher,
            t1,
            SubmitRequest(statement=spaced, kid=own.kid, signature="A" * 86 + "=="),
        )
    # platform statements cannot be submitted
    limit = dict(prepared.statement, op="limit")
    with pytest.raises(service.NotOwnStatement):
        service.submit(
            s,
            clock,
            cipher,
            t1,
            SubmitRequest(
                statement=json.dumps(limit, sort_keys=True, separators=(",", ":")),
                kid=own.kid,
                signature="A" * 86 + "==",
            ),
        )


def test_submitted_transfer_to_an_unknown_party_is_refused(world: World, own: SigningKey) -> None:
    s, clock, cipher = world.session, world.clock, world.cipher
    t1 = borrower(world.t1)
    cert = world.issue().certificate
    assert cert is not None
    prepared = service.prepare(s, clock, cipher, t1, PrepareRequest(op="accept", cert_id=cert.id))
    service.submit(s, clock, cipher, t1, _sign(own, prepared))
    prepared = service.prepare(
        s,
        clock,
        cipher,
        t1,
        PrepareRequest(op="transfer", part_id=cert.id, to_enterprise_id=world.t2.id),
    )
    stmt = dict(prepared.statement, to="NOBODY")
    text = json.dumps(stmt, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    forged = prepared.model_copy(
        update={
            "statement_text": text,
            "signing_input_b64": _b64(b"puhui-receivables/statement/v1\n" + text.encode()),
        }
    )
    before = log_size(s)
    with pytest.raises(rerr.NotFound):
        service.submit(s, clock, cipher, t1, _sign(own, forged))
    assert log_size(s) == before
    out = service.submit(s, clock, cipher, t1, _sign(own, prepared))
    assert out.operations[0].statement["to"] != "NOBODY"
