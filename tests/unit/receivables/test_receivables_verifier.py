"""The export format and the independent verifier: a realistic chain verifies; tampering of any
kind is detected and the first bad entry is named."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from receivables_helpers import (
    HAPPY_PATH,
    LOG_KEY,
    ORIGIN,
    Export,
    party_key,
    write_happy_export,
)

from puhui.receivables import export as fmt
from puhui.receivables import synthetic
from puhui.receivables.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from puhui.receivables.keys import SigningKey
from puhui.receivables.merkle import leaf_hash, verify_inclusion
from puhui.receivables.statements import SIG_OFFSET, sign_statement, statement
from puhui.receivables.verifier import main, verify

N = len(HAPPY_PATH)


def first(export: Export) -> tuple[str, int | None, str]:
    report = verify(export.directory)
    assert not report.ok
    assert report.first is not None
    return report.first.file, report.first.line, report.first.code


def test_the_happy_export_verifies(happy_export: Export) -> None:
    report = verify(happy_export.directory)
    assert report.ok, report.render("en")
    assert report.leaves == N and report.checkpoints == 3 and not report.warnings
    assert report.root == happy_export.chain.tree.root().hex()
    assert report.summary["certificates_by_status"] == {"cleared": 1}
    assert report.summary["cleared_fen"] == 50_000_000
    assert "验证通过" in report.render() and "VERIFIED" in report.render()


def test_export_files(happy_export: Export) -> None:
    d = happy_export.directory
    info = json.loads((d / "log.json").read_text())
    assert info["origin"] == ORIGIN and info["tree"] == "rfc9162" and info["hash"] == "sha256"
    assert base64.b64decode(info["log_key"]["public_key"]) == LOG_KEY.public
    assert info["log_key"]["vkey"].startswith(ORIGIN + "+")
    keys = json.loads((d / "keys.json").read_text())
    assert keys["parties"]["T1-STEEL"][0]["kid"] == party_key("T1-STEEL").kid
    lines = happy_export.lines()
    assert len(lines) == N and all(line.endswith(b"\n") for line in lines)
    # every line is a leaf: an auditor can check one entry against a checkpoint
    notes = [json.loads(x)["note"] for x in happy_export.checkpoints.read_text().splitlines()]
    last = open_checkpoint(notes[-1], origin=ORIGIN, public_key=LOG_KEY.public)
    tree = happy_export.chain.tree
    assert last.size == N and last.root == tree.root()
    for index, line in enumerate(lines):
        entry = line[:-1]
        assert tree.leaf_hash_at(index) == leaf_hash(entry)
        assert verify_inclusion(entry, index, N, tree.inclusion_proof(index, N), last.root)


def test_flipping_any_byte_of_a_statement_is_detected(happy_export: Export) -> None:
    original = happy_export.lines()
    target = 5  # the tier-2 supplier's accept_transfer, line 6
    line = original[target]
    for pos in range(len(line)):
        for bit in (0x01,) if pos % 2 else (0x20,):
            altered = bytearray(line)
            altered[pos] ^= bit
            lines = list(original)
            lines[target] = bytes(altered)
            happy_export.write_lines(lines)
            file, number, code = first(happy_export)
            assert (file, number) == ("statements.jsonl", target + 1), (pos, bit, code)
    happy_export.write_lines(original)
    assert verify(happy_export.directory).ok


@pytest.mark.parametrize("dropped", range(N))
def test_dropping_an_entry_is_detected(happy_export: Export, dropped: int) -> None:
    lines = happy_export.lines()
    del lines[dropped]
    happy_export.write_lines(lines)
    report = verify(happy_export.directory)
    assert not report.ok and report.first is not None
    if dropped < N - 1:
        assert (report.first.line, report.first.code) == (
            dropped + 1,
            "receivables.sequence_mismatch",
        )
        assert report.first.seq == dropped + 1
    # the checkpoints no longer match either (the last one covers more entries than remain)
    assert any(p.file == "checkpoints.jsonl" for p in report.problems)


@pytest.mark.parametrize(("a", "b"), [(0, 1), (2, 3), (4, 9), (8, 10)])
def test_reordering_two_entries_is_detected(happy_export: Export, a: int, b: int) -> None:
    lines = happy_export.lines()
    lines[a], lines[b] = lines[b], lines[a]
    happy_export.write_lines(lines)
    assert first(happy_export) == ("statements.jsonl", a + 1, "receivables.sequence_mismatch")


def test_forged_checkpoint_signature_is_detected(happy_export: Export) -> None:
    notes = happy_export.checkpoints.read_text().splitlines()
    second = json.loads(notes[1])["note"]
    cp = open_checkpoint(second, origin=ORIGIN, public_key=LOG_KEY.public)
    other_root = base64.b64encode(bytes(32)).decode()
    forged_root = second.replace(base64.b64encode(cp.root).decode(), other_root)  # root changed
    by_stranger = sign_checkpoint(cp, SigningKey.from_seed("X", b"\x01" * 32))  # wrong key
    text, sig_line = second.split("\n\n")
    name, blob64 = sig_line.rstrip("\n").rsplit(" ", 1)
    blob = base64.b64decode(blob64)
    bad_blob = base64.b64encode(blob[:-1] + bytes([blob[-1] ^ 1])).decode()
    bad_sig = f"{text}\n\n{name} {bad_blob}\n"  # signature bytes altered
    for note in (forged_root, by_stranger, bad_sig):
        lines = list(notes)
        lines[1] = json.dumps({"note": note})
        happy_export.checkpoints.write_text("\n".join(lines) + "\n")
        report = verify(happy_export.directory)
        assert not report.ok
        assert report.first is not None
        assert (report.first.file, report.first.line, report.first.code) == (
            "checkpoints.jsonl",
            2,
            "receivables.checkpoint_invalid",
        )


def test_a_root_signed_by_the_log_key_but_not_of_the_log_is_detected(happy_export: Export) -> None:
    """The platform itself signing a head that its entries do not produce."""
    notes = happy_export.checkpoints.read_text().splitlines()
    lie = sign_checkpoint(Checkpoint(ORIGIN, 8, bytes(32), "2026-03-02T07:30:00Z"), LOG_KEY)
    notes[1] = json.dumps({"note": lie})
    happy_export.checkpoints.write_text("\n".join(notes) + "\n")
    report = verify(happy_export.directory)
    assert report.first is not None
    assert (report.first.file, report.first.line) == ("checkpoints.jsonl", 2)
    assert "root" in report.first.message_en


def test_rewritten_history_fails_a_trusted_checkpoint(tmp_path: Path) -> None:
    """An auditor kept an earlier checkpoint; the platform later rewrote the log (it could re-sign
    all checkpoints, but not the parties' statements, so it drops the tail and re-signs)."""
    honest = write_happy_export(tmp_path / "honest")
    kept = tmp_path / "kept.note"
    kept.write_text(json.loads(honest.checkpoints.read_text().splitlines()[-1])["note"])
    shutil.copytree(honest.directory, tmp_path / "rewritten")
    rewritten = Export(tmp_path / "rewritten", honest.chain)
    rewritten.write_lines(honest.lines()[:8])
    tree = honest.chain.tree
    notes = [sign_checkpoint(Checkpoint(ORIGIN, 8, tree.root(8), "2026-06-30T05:00:00Z"), LOG_KEY)]
    rewritten.checkpoints.write_text("".join(json.dumps({"note": n}) + "\n" for n in notes))
    assert verify(rewritten.directory).ok  # consistent on its own...
    report = verify(rewritten.directory, trusted=[str(kept)])
    assert not report.ok and report.first is not None and report.first.file == str(kept)


def test_truncated_file_and_entries_after_the_last_checkpoint(happy_export: Export) -> None:
    data = happy_export.statements.read_bytes()
    happy_export.statements.write_bytes(data[:-1])  # the final newline is gone
    assert first(happy_export)[1:] == (N, "export.truncated")
    # appending a valid, signed entry without a checkpoint is only a warning
    happy_export.statements.write_bytes(data)
    extra = statement(
        "limit", seq=N, actor="PLATFORM", at="2026-07-01T00:00:00Z", party="CORE-BUILD", limit_fen=0
    )
    with happy_export.statements.open("ab") as f:
        f.write(sign_statement(extra, party_key("PLATFORM")).entry() + b"\n")
    report = verify(happy_export.directory)
    assert report.ok and len(report.warnings) == 1 and "1 entries" in report.warnings[0].message_en


def test_business_rule_violation_signed_by_the_party_is_named(tmp_path: Path) -> None:
    """A correctly signed statement that breaks a rule (a double transfer) is caught by replay."""
    export = write_happy_export(tmp_path / "e", checkpoint_after=())
    seq = N
    again = statement(
        "transfer",
        seq=seq,
        actor="T1-STEEL",
        at="2026-07-01T00:00:00Z",
        cert="EC1",
        part="EC1-1",
        to="T2-PAINT",
    )
    with export.statements.open("ab") as f:
        f.write(sign_statement(again, party_key("T1-STEEL")).entry() + b"\n")
    report = verify(export.directory)
    assert report.first is not None
    assert (report.first.line, report.first.code, report.first.seq) == (
        N + 1,
        "receivables.double_spend",
        N,
    )
    assert "已被使用" in report.first.message_zh


def test_statement_signed_by_another_party_is_named(tmp_path: Path) -> None:
    export = write_happy_export(tmp_path / "e", checkpoint_after=())
    lines = export.lines()
    actor, op, at, fields = HAPPY_PATH[4]
    stmt = statement(op, seq=4, actor=actor, at=at, **fields)
    lines[4] = sign_statement(stmt, party_key("T2-BOLTS")).entry() + b"\n"  # T2 signs T1's transfer
    export.write_lines(lines)
    assert first(export) == ("statements.jsonl", 5, "receivables.key_party_mismatch")


def test_missing_or_broken_files(happy_export: Export) -> None:
    (happy_export.directory / "keys.json").write_text("{")
    assert first(happy_export)[0] == "keys.json"
    (happy_export.directory / "log.json").write_text(json.dumps({"format": "other"}))
    assert first(happy_export)[0] == "log.json"


def test_parallel_and_serial_verification_agree(tmp_path: Path) -> None:
    world = synthetic.make_world(seed=3)
    info = fmt.LogInfo(world.origin, world.log_key.public, world.rules)
    with fmt.ExportWriter(tmp_path / "s", info, world.keys) as writer:
        chain = synthetic.build_chain(
            world, 1_500, seed=3, sink=writer, checkpoint_every=500, certs_per_day=3
        )
    assert chain.state.summary()["certificates_by_status"].get("cleared", 0) > 0  # full lifecycles
    chain.state.check_invariants()
    serial = verify(tmp_path / "s", workers=1)
    parallel = verify(tmp_path / "s", workers=2, chunk_bytes=20_000)
    assert serial.ok and parallel.ok, serial.render("en")
    assert (
        parallel.workers == 2
        and serial.root == parallel.root
        and serial.summary == parallel.summary
    )
    lines = (tmp_path / "s" / "statements.jsonl").read_bytes().splitlines(keepends=True)
    line = lines[1_234]
    pos = SIG_OFFSET + 10
    lines[1_234] = line[:pos] + (b"A" if line[pos : pos + 1] != b"A" else b"B") + line[pos + 1 :]
    (tmp_path / "s" / "statements.jsonl").write_bytes(b"".join(lines))
    for workers in (1, 2):
        report = verify(tmp_path / "s", workers=workers, chunk_bytes=20_000)
        assert report.first is not None
        assert (report.first.line, report.first.code) == (1_235, "receivables.bad_signature")


def test_command_line(happy_export: Export, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(happy_export.directory), "--lang", "en"]) == 0
    assert "VERIFIED" in capsys.readouterr().out
    lines = happy_export.lines()
    lines[2], lines[3] = lines[3], lines[2]
    happy_export.write_lines(lines)
    assert main([str(happy_export.directory), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["first"]["line"] == 3
    # and as a module, the way an auditor runs it
    done = subprocess.run(
        [sys.executable, "-m", "puhui.receivables.verifier", str(happy_export.directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "验证失败" in done.stdout and "statements.jsonl line 3" in done.stdout


def test_the_verifier_needs_no_database_and_no_other_domain() -> None:
    code = (
        "import sys, puhui.receivables.verifier, puhui.receivables.chain\n"
        "import puhui.receivables.synthetic\n"
        "other = ('sqlalchemy', 'fastapi', 'pydantic')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in other\n"
        "       or (m.startswith('puhui.') and not m.startswith('puhui.receivables')\n"
        "           and m not in ('puhui.core', 'puhui.core.signing'))]\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


TAIL = b'"op":"limit","party":"CORE-BUILD","seq":11,"v":1}'


@pytest.mark.parametrize(
    "text",
    [
        b'{"actor":"PLATFORM", "at":"2026-07-01T00:00:00Z","limit_fen":0,' + TAIL,  # a space
        b'{"actor":"PLATFORM","at":"2026-07-01T00:00:00Z","limit_fen":5,"limit_fen":0,' + TAIL,
        b'{"at":"2026-07-01T00:00:00Z","actor":"PLATFORM","limit_fen":0,' + TAIL,  # order
        b'{"actor":"PLATFORM","at":"2026-07-01T00:00:00Z","limit_fen":0.0,' + TAIL,  # a float
        b'{"actor":"PLATFORM","at":"2026-07-01T00:00:00Z","limit_fen":1e2,' + TAIL,  # exponent
        b'{"actor":"PLATFORM","at":"2026-07-01T00:00:00Z","limit_fen":' + b"9" * 30 + b"," + TAIL,
    ],
)
def test_signed_but_not_canonical_statements_are_rejected(
    happy_export: Export, text: bytes
) -> None:
    """Even with a valid signature: one statement must have exactly one encoding."""
    from puhui.receivables.statements import SignedStatement, signing_message

    signer = party_key("PLATFORM")
    entry = SignedStatement(text, signer.sign(signing_message(text)), signer.kid).entry()
    with happy_export.statements.open("ab") as f:
        f.write(entry + b"\n")
    assert first(happy_export) == ("statements.jsonl", N + 1, "receivables.non_canonical")


_keys = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=8)
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(_keys, _json_values, max_size=6))
@settings(max_examples=300, deadline=None)
def test_the_verifiers_canonical_check_agrees_with_the_platforms(value: dict) -> None:
    """The verifier's orjson round trip accepts exactly the platform's canonical bytes."""
    import orjson

    from puhui.receivables.statements import canonical_json

    data = canonical_json(value)
    assert orjson.dumps(orjson.loads(data), option=orjson.OPT_SORT_KEYS) == data
