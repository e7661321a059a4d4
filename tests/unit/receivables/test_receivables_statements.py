"""Canonical JSON, Ed25519 keys and signatures, signed entries, signed checkpoints."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from puhui.receivables import keys as keys_mod
from puhui.receivables.checkpoint import (
    Checkpoint,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
    vkey,
)
from puhui.receivables.errors import (
    BadSignature,
    CheckpointInvalid,
    KeyNotValid,
    KeyPartyMismatch,
    MalformedStatement,
    NonCanonicalStatement,
    UnknownKey,
)
from puhui.receivables.keys import (
    KeyRecord,
    KeyRing,
    SigningKey,
    decode_public_key,
    encode_key,
    key_id,
    verify_signature,
)
from puhui.receivables.statements import (
    SIGNING_CONTEXT,
    STMT_OFFSET,
    SignedStatement,
    business_date,
    canonical_json,
    format_at,
    parse_at,
    parse_canonical,
    sign_statement,
    split_entry,
    statement,
)

SEED = bytes(range(32))


def key(party: str = "T1-001", seed: bytes = SEED) -> SigningKey:
    return SigningKey.from_seed(party, seed)


# --- canonical JSON ----------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_drops_whitespace() -> None:
    value = {"b": [3, {"y": True, "x": None}], "a": '供应商 "A"', "c": -7}
    assert (
        canonical_json(value)
        == '{"a":"供应商 \\"A\\"","b":[3,{"x":null,"y":true}],"c":-7}'.encode()
    )


def test_canonical_json_escapes_like_json_stringify() -> None:
    assert canonical_json({"s": "\u0001\n\t\b\f\r\\/\u2028é😀"}) == (
        '{"s":"\\u0001\\n\\t\\b\\f\\r\\\\/\u2028é😀"}'.encode()
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"amount": 1.5},
        {"amount": 100.0},
        {"n": 2**53},
        {"n": -(2**53)},
        {"键": 1},
        {1: 1},
        {"s": "\ud800"},
        {"x": (1, 2)},
        {"x": b"bytes"},
    ],
)
def test_canonical_json_rejects_what_is_not_portable(bad: object) -> None:
    with pytest.raises(MalformedStatement):
        canonical_json(bad)


@pytest.mark.parametrize(
    "text",
    [
        b'{"b":1,"a":2}',  # unsorted
        b'{"a": 1}',  # whitespace
        b'{"a":1,"a":2}',  # duplicate key
        b'{"a":1.0}',  # float
        b'{"a":1e3}',
        b'{"a":NaN}',
        b'{"a":"\\u0041"}',  # needless escape
        b'{"a":01}',
        b'{"a":1}\n',
        b"\xef\xbb\xbf{}",  # BOM
        b'{"a":"\xff"}',  # not UTF-8
    ],
)
def test_parse_canonical_rejects_non_canonical(text: bytes) -> None:
    with pytest.raises(NonCanonicalStatement):
        parse_canonical(text)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(exclude_categories=["Cs"])),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(st.characters(max_codepoint=127), max_size=6), children, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_canonical_round_trip(value: object) -> None:
    data = canonical_json(value)
    assert parse_canonical(data) == value
    assert canonical_json(parse_canonical(data)) == data


# --- time --------------------------------------------------------------------------------------


def test_at_is_utc_second_precision() -> None:
    moment = datetime(2026, 3, 1, 10, 0, 5, 999_000, tzinfo=timezone(timedelta(hours=8)))
    assert format_at(moment) == "2026-03-01T02:00:05Z"
    assert parse_at("2026-03-01T02:00:05Z") == datetime(2026, 3, 1, 2, 0, 5, tzinfo=UTC)
    for bad in [
        "2026-03-01T02:00:05",
        "2026-03-01 02:00:05Z",
        "2026-03-01T02:00:05.1Z",
        "20260301T020005Z",
    ]:
        with pytest.raises(ValueError):
            parse_at(bad)
    with pytest.raises(ValueError):
        format_at(datetime(2026, 3, 1))


def test_business_date_is_shanghai() -> None:
    assert str(business_date("2026-03-01T15:59:59Z")) == "2026-03-01"
    assert str(business_date("2026-03-01T16:00:00Z")) == "2026-03-02"


# --- keys --------------------------------------------------------------------------------------


def test_key_id_is_sha256_of_raw_public_key() -> None:
    k = key()
    assert len(k.public) == 32
    assert k.kid == hashlib.sha256(k.public).hexdigest() == key_id(k.public)
    assert decode_public_key(encode_key(k.public)) == k.public
    assert decode_public_key(k.public.hex()) == k.public
    with pytest.raises(ValueError):
        decode_public_key(base64.b64encode(b"\x01" * 31).decode())
    # RFC 8032 test 1 secret key gives the published public key.
    rfc = SigningKey.from_seed(
        "x", bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    assert rfc.public.hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    assert (
        rfc.sign(b"")
        .hex()
        .startswith("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155")
    )


@pytest.mark.parametrize("backend", keys_mod.available_backends())
def test_signatures_verify_on_every_backend(backend: str) -> None:
    k = key()
    sig = k.sign(b"message")
    assert verify_signature(k.public, sig, b"message", backend)
    assert not verify_signature(k.public, sig, b"messagE", backend)
    assert not verify_signature(k.public, bytes([sig[0] ^ 1]) + sig[1:], b"message", backend)
    assert not verify_signature(key("x", bytes(32)).public, sig, b"message", backend)
    assert not verify_signature(k.public, sig[:63], b"message", backend)


def test_keyring_checks_party_and_validity() -> None:
    ring = KeyRing()
    k = key()
    ring.register(k, valid_from="2026-01-01T00:00:00Z", valid_to="2027-01-01T00:00:00Z")
    assert ring.check(k.kid, "T1-001", "2026-06-01T00:00:00Z").party == "T1-001"
    with pytest.raises(UnknownKey):
        ring.check("00" * 32, "T1-001", "2026-06-01T00:00:00Z")
    with pytest.raises(KeyPartyMismatch):
        ring.check(k.kid, "T1-002", "2026-06-01T00:00:00Z")
    with pytest.raises(KeyNotValid):
        ring.check(k.kid, "T1-001", "2027-01-01T00:00:00Z")
    with pytest.raises(KeyNotValid):
        ring.check(k.kid, "T1-001", "2025-12-31T23:59:59Z")
    again = KeyRing.from_json(ring.to_json())
    assert [r.to_json() for r in again] == [r.to_json() for r in ring]
    with pytest.raises(ValueError):
        ring.add(KeyRecord("SOMEONE-ELSE", k.public))
    data = ring.to_json()
    data["parties"]["T1-001"][0]["kid"] = "ab" * 32
    with pytest.raises(ValueError):
        KeyRing.from_json(data)


# --- statements and entries --------------------------------------------------------------------


def sample() -> dict[str, object]:
    return statement(
        "transfer",
        seq=7,
        actor="T1-001",
        at="2026-03-01T02:00:00Z",
        cert="EC1",
        part="EC1-1",
        to="T2-001",
    )


def test_signed_statement_round_trip() -> None:
    k = key()
    ring = KeyRing([KeyRecord(k.party, k.public)])
    signed = sign_statement(sample(), k)
    entry = signed.entry()
    assert entry.startswith(b'{"kid":"' + k.kid.encode())
    assert entry[STMT_OFFSET:-1] == signed.statement_bytes
    assert parse_canonical(entry) == {
        "kid": k.kid,
        "sig": base64.b64encode(signed.signature).decode(),
        "stmt": sample(),
    }  # the entry itself is canonical JSON
    back = SignedStatement.from_entry(entry)
    assert back == signed
    assert back.verify(ring) == sample()
    assert verify_signature(k.public, signed.signature, SIGNING_CONTEXT + signed.statement_bytes)
    assert not verify_signature(k.public, signed.signature, signed.statement_bytes)


def test_tampered_or_misattributed_statements_fail() -> None:
    k = key()
    other = key("T2-001", bytes(32))
    ring = KeyRing([KeyRecord(k.party, k.public), KeyRecord(other.party, other.public)])
    signed = sign_statement(sample(), k)
    changed = signed.statement_bytes.replace(b"T2-001", b"T2-009")
    with pytest.raises(BadSignature):
        SignedStatement(changed, signed.signature, signed.kid).verify(ring)
    with pytest.raises(KeyPartyMismatch):
        sign_statement(sample(), other).verify(ring)  # T2-001 signing T1-001's statement
    with pytest.raises(UnknownKey):
        sign_statement(sample(), key("T1-001", b"\x07" * 32)).verify(ring)


def test_split_entry_rejects_bad_frames() -> None:
    entry = sign_statement(sample(), key()).entry()
    assert split_entry(entry) is not None
    sig_at = entry.index(b'"sig":"') + 7
    bad_padding = entry[: sig_at + 85] + b"B==" + entry[sig_at + 88 :]
    for bad in [
        entry + b" ",
        entry[:STMT_OFFSET] + b" " + entry[STMT_OFFSET:],
        entry.replace(b'{"kid"', b'{"Kid"'),
        entry[:8] + entry[8:72].upper() + entry[72:],  # upper-case hex kid
        bad_padding,  # non-canonical base64
        entry[:STMT_OFFSET] + b"[1]}",
    ]:
        assert split_entry(bad) is None
    # the frame holds but the statement inside is cut: parsing it fails
    with pytest.raises(NonCanonicalStatement):
        _ = SignedStatement.from_entry(entry[:-1]).statement


# --- checkpoints -------------------------------------------------------------------------------

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_signed_note_matches_the_go_reference_vector() -> None:
    """golang.org/x/mod/sumdb/note (C2SP signed-note) example key and note, byte for byte."""
    k = SigningKey.from_seed("PeterNeumann", GO_SEED)
    assert vkey("PeterNeumann", k.public) == GO_VKEY
    note = sign_note(GO_TEXT, k, "PeterNeumann")
    assert note == GO_TEXT + "\n" + GO_SIG
    assert open_note(note, name="PeterNeumann", public_key=k.public) == GO_TEXT
    with pytest.raises(CheckpointInvalid):
        open_note(
            note.replace("cryptography", "cryptographY"), name="PeterNeumann", public_key=k.public
        )


ORIGIN = "puhui.example/receivables/v1"


def test_checkpoint_text_form_and_signature() -> None:
    log_key = key("LOG", b"\x05" * 32)
    cp = Checkpoint(
        ORIGIN,
        8,
        bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        "2026-03-01T02:00:00Z",
    )
    note = sign_checkpoint(cp, log_key)
    assert note.startswith(
        "puhui.example/receivables/v1\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
        "time 2026-03-01T02:00:00Z\n\n— puhui.example/receivables/v1 "
    )
    assert open_checkpoint(note, origin=ORIGIN, public_key=log_key.public) == cp
    # a cosignature by another key does not matter
    witness = key("W", b"\x06" * 32)
    cosigned = note + sign_note(cp.body(), witness, "witness.example").split("\n\n")[1]
    assert open_checkpoint(cosigned, origin=ORIGIN, public_key=log_key.public) == cp


def test_forged_checkpoints_are_rejected() -> None:
    log_key = key("LOG", b"\x05" * 32)
    cp = Checkpoint(ORIGIN, 8, b"\x11" * 32, "2026-03-01T02:00:00Z")
    note = sign_checkpoint(cp, log_key)
    root64 = base64.b64encode(cp.root).decode()
    forged = [
        note.replace("\n8\n", "\n9\n"),  # size
        note.replace(root64, base64.b64encode(b"\x12" * 32).decode()),  # root
        note.replace("02:00:00Z", "02:00:01Z"),  # time
        sign_checkpoint(cp, key("LOG", b"\x09" * 32)),  # another key
        note.split("\n\n")[0] + "\n",  # unsigned
        note.replace("— ", "- "),
    ]
    for bad in forged:
        with pytest.raises(CheckpointInvalid):
            open_checkpoint(bad, origin=ORIGIN, public_key=log_key.public)
    with pytest.raises(CheckpointInvalid):
        open_checkpoint(note, origin="another.example/log", public_key=log_key.public)
