"""Envelope encryption: ciphertexts carry their key id; `rotate` adds a data key, `reencrypt`
re-seals every encrypted column under it and retires (erases) the keys no longer used; values
in today's format keep decrypting; SM4 selectable."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import puhui.metadata  # noqa: F401 - every encrypted column known to the job
from puhui.core import keys
from puhui.core.crypto import LEGACY_KID, FieldCipher
from puhui.core.models import DataKeyRecord
from puhui.core.runtime import Runtime
from puhui.parties import service as parties
from puhui.parties.models import Person
from puhui.parties.schemas import PersonCreate

RESIDENT_IDS = {"13911112222": "11010519491231002X", "13911113333": "110105198001010016"}


def _person(session: Session, runtime: Runtime, mobile: str) -> Person:
    created = parties.create_person(
        session,
        runtime.clock,
        runtime.cipher,
        PersonCreate(name="轮换测试", resident_id=RESIDENT_IDS[mobile], mobile=mobile),
    )
    row = session.get(Person, created.id)
    assert row is not None
    return row


def test_encrypted_columns_are_found_by_their_declaration() -> None:
    names = {c.name for c in keys.encrypted_columns()}
    assert {
        "parties_person.mobile_enc",
        "parties_person.resident_id_enc",
        "datahub_snapshot.payload_enc",
        "core_outbox.body_enc",
        "core_outbox.recipient_enc",
        "receivables_key.private_enc",
    } <= names


def test_rotate_reencrypt_retire_and_legacy_values_still_decrypt(
    session: Session, runtime: Runtime
) -> None:
    cipher = runtime.cipher
    old = _person(session, runtime, "13911112222")
    assert cipher.key_id_of(old.mobile_enc) == LEGACY_KID  # today's format, no key yet
    first = keys.rotate(session, runtime.clock, cipher, "aes")
    mid = _person(session, runtime, "13911113333")
    assert cipher.key_id_of(mid.mobile_enc) == first
    assert cipher.decrypt(old.mobile_enc, "mobile") == "13911112222"  # legacy still opens

    second = keys.rotate(session, runtime.clock, cipher, "sm")
    report = keys.reencrypt(session, runtime.clock, cipher)
    assert report.active_kid == second and first in report.retired
    assert report.reencrypted["parties_person.mobile_enc"] >= 2
    session.expire_all()
    for person, mobile in ((old, "13911112222"), (mid, "13911113333")):
        row = session.get(Person, person.id)
        assert row is not None
        assert cipher.key_id_of(row.mobile_enc) == second and row.mobile_enc[1:2] == b"\x02"
        assert cipher.decrypt(row.mobile_enc, "mobile") == mobile
    retired = session.scalars(select(DataKeyRecord).where(DataKeyRecord.kid == first)).one()
    assert retired.status == "retired" and retired.wrapped is None
    session.commit()


def test_a_value_under_a_retired_key_no_longer_opens(session: Session, runtime: Runtime) -> None:
    cipher = runtime.cipher
    first = keys.rotate(session, runtime.clock, cipher, "aes")
    blob = cipher.encrypt("13900001111", "mobile")  # a copy kept outside the columns
    keys.rotate(session, runtime.clock, cipher, "aes")
    report = keys.reencrypt(session, runtime.clock, cipher)
    assert first in report.retired
    try:
        cipher.decrypt(blob, "mobile")
    except ValueError as exc:
        assert "retired" in str(exc)
    else:
        raise AssertionError("a retired key still decrypts")


def test_a_cipher_without_ring_is_todays_format() -> None:
    cipher = FieldCipher.from_master(b"z" * 32)
    blob = cipher.encrypt("x", "f")
    assert blob[:1] == b"\x01" and cipher.decrypt(blob, "f") == "x"
