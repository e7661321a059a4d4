"""The signed contract sealed by the bank as PAdES with an RFC 3161 timestamp and the signer's
evidence attached; `puhui contracts verify` checks signature, chain and timestamp, and fails on
a tampered copy or a seal from another CA. The timestamp comes from a local RFC 3161 server the
test starts (pyHanko's responder behind HTTP) or from the in-process sandbox timestamper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import tsp
from tests.integration.lending.contracts.conftest import StandInLines
from tests.integration.lending.contracts.test_contract_verify_cli import (  # noqa: F401
    _sign_one,
    cli_runtime,
)
from typer.testing import CliRunner

from puhui.cli import app
from puhui.core.runtime import Runtime
from puhui.lending.contracts import pades
from puhui.lending.contracts import service as contracts


@pytest.fixture
def tsa_url(tmp_path: Path) -> Iterator[str]:
    """A local RFC 3161 timestamp authority over HTTP (its own sandbox PKI)."""
    stamper = pades.sandbox_timestamper(pades.ensure_sandbox_pki(tmp_path / "tsa-pki"))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa"
    finally:
        server.shutdown()
        server.server_close()


def _signed(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, str]:
    lines = StandInLines()
    monkeypatch.setattr(contracts, "credit_lines", lines)
    monkeypatch.setattr(contracts, "_product", lambda session, code: None)
    signed_id, _ = _sign_one(rt, lines)
    with rt.session_factory() as s:
        contract = contracts.get_contract(s, signed_id)
        assert contract.signed_document is not None
        assert contract.signed_document_sha256 == pades_sha(contract.signed_document)
        return contract.signed_document, contract.reference


def pades_sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_sandbox_seal_verifies_and_a_tampered_copy_fails(
    cli_runtime: Runtime,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    sealed, reference = _signed(cli_runtime, monkeypatch)
    seal = pades.seal_for("development", cli_runtime.settings.var_dir, _settings())
    report = pades.verify_pdf(sealed, list(seal.trust_roots))
    assert report.ok, report
    assert "沙箱" in report.signer and "Sandbox TSA" in report.tsa
    evidence = report.evidence or {}
    assert evidence["contract"] == reference and evidence["signer"]["mobile"] == "138****8000"
    assert "13800138000" not in str(evidence)

    good = tmp_path / "sealed.pdf"
    good.write_bytes(sealed)
    runner = CliRunner()
    ok = runner.invoke(app, ["contracts", "verify", str(good)])
    assert ok.exit_code == 0, ok.output
    assert "MATCH" in ok.output and "certificate chain" in ok.output and "沙箱" in ok.output

    tampered = bytearray(sealed)
    tampered[400] ^= 0x01  # inside the signed byte range: the contract text itself
    bad = tmp_path / "tampered.pdf"
    bad.write_bytes(bytes(tampered))
    assert not pades.verify_pdf(bytes(tampered), list(seal.trust_roots)).ok
    no = runner.invoke(app, ["contracts", "verify", str(bad)])
    assert no.exit_code == 1 and "SEAL INVALID" in no.output


def test_a_seal_from_another_ca_is_not_trusted(tmp_path: Path) -> None:
    mine = pades.load_seal(environment="test", var_dir=tmp_path / "mine")
    theirs = pades.load_seal(environment="test", var_dir=tmp_path / "theirs")
    pdf = _blank_pdf()
    forged = pades.seal_pdf(pdf, {"contract": "X"}, theirs, reason="forged")
    report = pades.verify_pdf(forged, list(mine.trust_roots))
    assert report.intact and not report.trusted and not report.ok


def test_timestamp_from_an_http_tsa_and_signing_refused_when_it_is_down(
    cli_runtime: Runtime,  # noqa: F811 - the fixture imported above
    monkeypatch: pytest.MonkeyPatch,
    tsa_url: str,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PUHUI_CONTRACT_TSA_URL", tsa_url)
    sealed, _ = _signed(cli_runtime, monkeypatch)
    seal = pades.seal_for("development", cli_runtime.settings.var_dir, _settings())
    assert isinstance(seal.timestamper, pades.HttpxTimeStamper)
    roots = list(seal.trust_roots) + pades._pem_certs(tmp_path / "tsa-pki" / "ca.pem")
    report = pades.verify_pdf(sealed, roots)
    assert report.ok and report.timestamp_ok, report

    down = pades.load_seal(
        environment="development", var_dir=tmp_path / "down", tsa_url="http://127.0.0.1:9/tsa"
    )
    with pytest.raises(OSError):
        pades.seal_pdf(_blank_pdf(), {}, down, reason="x")


def test_production_refuses_the_sandbox_seal(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SIGNING_CERT"):
        pades.load_seal(environment="production", var_dir=tmp_path)


def _settings():  # type: ignore[no-untyped-def]
    from puhui.lending.contracts.pdf import contract_settings

    return contract_settings()


def _blank_pdf() -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="contract")
    return bytes(doc.output())


def test_sealing_and_verifying_work_inside_a_running_event_loop(tmp_path: Path) -> None:
    """pyHanko runs its own event loop; a caller inside async code (a browser test's loop, an
    async route) must still get a seal, not 'asyncio.run() cannot be called…'."""
    import asyncio

    seal = pades.load_seal(environment="test", var_dir=tmp_path)

    async def inside_a_loop() -> bool:
        sealed = pades.seal_pdf(_blank_pdf(), {"contract": "L"}, seal, reason="loop")
        return pades.verify_pdf(sealed, list(seal.trust_roots)).ok

    assert asyncio.run(inside_a_loop())
