"""E-contracts a court would accept: the signed contract PDF sealed as PAdES (PDF Advanced
Electronic Signature, ETSI EN 319 142) by the bank's certificate, with an RFC 3161 timestamp
and the signer's consent evidence embedded (《电子签名法》 art. 13–14: a reliable electronic
signature — the signing key under the bank's sole control, any later change detectable).

* The bank's signing certificate and key, and the trust root they chain to:
  ``PUHUI_CONTRACT_SIGNING_CERT`` / ``_SIGNING_KEY`` / ``_TRUST_ROOT`` (PEM files; the trust root
  file may hold several roots, e.g. the TSA's too). In development/demo/test, when they are not
  set, a sandbox CA, signing certificate and TSA certificate are generated under
  ``var/pki/`` (labelled 沙箱/Sandbox in their names). Production refuses the sandbox.
* The timestamp authority: ``PUHUI_CONTRACT_TSA_URL`` (RFC 3161 over HTTP, httpx). Without
  one, development/demo/test timestamp in-process with the sandbox TSA (labelled sandbox).
* The evidence: ``puhui-signing-evidence.json`` attached to the PDF before it is signed (so the
  signature covers it): the contract, the unsigned document's SHA-256, who signed, when, from
  where, by which one-time code and message.

:func:`verify_pdf` checks the signature (intact, covering the whole file), the certificate
chain to the configured root, and the timestamp (valid, trusted).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

import httpx
from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import general, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, set_tsp_headers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from puhui.core.clock import SystemClock

EVIDENCE_NAME = "puhui-signing-evidence.json"
FIELD_NAME = "PuhuiBankSeal"
SANDBOX_LABEL = "沙箱 Sandbox"


class HttpxTimeStamper(TimeStamper):
    """An RFC 3161 timestamp authority over HTTP (POST application/timestamp-query)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:  # float-ok: seconds
        self.url = url
        self.timeout = timeout
        super().__init__()

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                res = await client.post(self.url, content=req.dump(), headers=set_tsp_headers({}))
        except httpx.HTTPError as exc:
            raise TimestampRequestError("timestamp authority unreachable") from exc
        if res.status_code != 200 or res.headers.get("content-type") != (
            "application/timestamp-reply"
        ):
            raise TimestampRequestError(f"timestamp authority answered {res.status_code}")
        return tsp.TimeStampResp.load(res.content)


# --- the sandbox PKI ---------------------------------------------------------------------------


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Puhui demo bank (沙箱 Sandbox)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common),
        ]
    )


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool = False,
    eku: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    now = SystemClock().now() - timedelta(days=1)  # a certificate's validity, not a business time
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer or _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650 if ca else 825))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, data: bytes, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _key_pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_sandbox_pki(directory: Path) -> Path:
    """The sandbox CA, bank signing certificate and TSA certificate under ``directory``
    (created once; the CA key is not kept: nothing more is ever issued)."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "tsa.pem").exists():
        return directory
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _cert("Puhui Demo Root CA (沙箱 Sandbox)", ca_key, None, ca_key, ca=True)
    files: dict[str, bytes] = {"ca.pem": ca.public_bytes(serialization.Encoding.PEM)}
    for stem, subject, eku in (
        ("signer", "普惠示范商业银行 电子合同签章 (沙箱 Sandbox)", None),
        ("tsa", "Puhui Sandbox TSA (沙箱 Sandbox)", ExtendedKeyUsageOID.TIME_STAMPING),
    ):
        # the seal: ECDSA P-256 (fast to load for every signature); the TSA: RSA (pyHanko's
        # responder signs with RSA only)
        key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
            ec.generate_private_key(ec.SECP256R1())
            if stem == "signer"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        cert = _cert(subject, key, ca.subject, ca_key, eku=eku)
        files[f"{stem}.pem"] = cert.public_bytes(serialization.Encoding.PEM)
        files[f"{stem}.key"] = _key_pem(key)
    for name, data in files.items():  # tsa.pem last: its presence means "complete"
        if name != "tsa.pem":
            _write(directory / name, data, private=name.endswith(".key"))
    _write(directory / "tsa.pem", files["tsa.pem"])
    return directory


# --- the bank's seal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BankSeal:
    """The bank's signer, the timestamper and the roots a verifier trusts."""

    signer: signers.SimpleSigner
    timestamper: TimeStamper
    trust_roots: tuple[asn1_x509.Certificate, ...]
    sandbox: bool

    def validation_context(self) -> ValidationContext:
        return ValidationContext(trust_roots=list(self.trust_roots), allow_fetching=False)


def _pem_certs(path: Path) -> list[asn1_x509.Certificate]:
    return [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in x509.load_pem_x509_certificates(path.read_bytes())
    ]


def load_seal(
    *,
    environment: str,
    var_dir: Path,
    signing_cert: Path | None = None,
    signing_key: Path | None = None,
    trust_root: Path | None = None,
    tsa_url: str = "",
) -> BankSeal:
    """The bank's seal from the settings; sandbox PKI and TSA outside production."""
    production = environment == "production"
    if production and not (signing_cert and signing_key and trust_root and tsa_url):
        raise RuntimeError(
            "production needs PUHUI_CONTRACT_SIGNING_CERT, _SIGNING_KEY, _TRUST_ROOT and "
            "_TSA_URL: the sandbox certificate and timestamper are refused"
        )
    sandbox = not (signing_cert and signing_key and trust_root)
    pki = ensure_sandbox_pki(var_dir / "pki") if sandbox or not tsa_url else None
    if sandbox:
        assert pki is not None
        signing_cert, signing_key, trust_root = (
            pki / "signer.pem",
            pki / "signer.key",
            pki / "ca.pem",
        )
    assert signing_cert and signing_key and trust_root
    roots = _pem_certs(trust_root)
    signer = signers.SimpleSigner.load(
        str(signing_key), str(signing_cert), ca_chain_files=(str(trust_root),)
    )
    if signer is None:
        raise RuntimeError("the contract signing key or certificate cannot be read")
    if tsa_url:
        timestamper: TimeStamper = HttpxTimeStamper(tsa_url)
    else:
        assert pki is not None
        timestamper = sandbox_timestamper(pki)
        if not sandbox:  # a real seal with the sandbox TSA: trust the sandbox TSA's root too
            roots += _pem_certs(pki / "ca.pem")
    return BankSeal(signer, timestamper, tuple(roots), sandbox or not tsa_url)


class SandboxTimeStamper(DummyTimeStamper):
    """The in-process sandbox TSA (development/demo/test, labelled 沙箱 in its certificate):
    pyHanko's own RFC 3161 responder, with its RSA key loaded once rather than per token."""

    def __init__(self, pki: Path) -> None:
        key = serialization.load_pem_private_key((pki / "tsa.key").read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise RuntimeError("the sandbox TSA key must be RSA")
        self._key = key
        der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        super().__init__(
            tsa_cert=_pem_certs(pki / "tsa.pem")[0],
            tsa_key=asn1_keys.PrivateKeyInfo.load(der),
            certs_to_embed=SimpleCertificateStore.from_certs(_pem_certs(pki / "ca.pem")),
        )

    def _sign_tst_info(
        self, tst_info_data: bytes, md_algorithm: str, dt: datetime
    ) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute(
                    "signing_certificate", general.as_signing_certificate(self.tsa_cert)
                ),
                simple_cms_attribute("message_digest", digest.finalize()),
            ]
        )
        signature = self._key.sign(
            signed_attrs.dump(), PKCS1v15(), get_pyca_cryptography_hash(md_algorithm.upper())
        )
        return signature, signed_attrs


def sandbox_timestamper(pki: Path) -> SandboxTimeStamper:
    return SandboxTimeStamper(pki)


@lru_cache(maxsize=4)
def _cached_seal(
    environment: str,
    var_dir: str,
    signing_cert: str | None,
    signing_key: str | None,
    trust_root: str | None,
    tsa_url: str,
) -> BankSeal:
    return load_seal(
        environment=environment,
        var_dir=Path(var_dir),
        signing_cert=Path(signing_cert) if signing_cert else None,
        signing_key=Path(signing_key) if signing_key else None,
        trust_root=Path(trust_root) if trust_root else None,
        tsa_url=tsa_url,
    )


def seal_for(environment: str, var_dir: Path, settings: Any) -> BankSeal:
    """The seal of these settings (``ContractSettings``), loaded once per process."""
    return _cached_seal(
        environment,
        str(var_dir.resolve()),
        str(settings.signing_cert) if settings.signing_cert else None,
        str(settings.signing_key) if settings.signing_key else None,
        str(settings.trust_root) if settings.trust_root else None,
        settings.tsa_url,
    )


def seal_pdf(pdf: bytes, evidence: dict[str, Any], seal: BankSeal, *, reason: str) -> bytes:
    """``pdf`` with the evidence attached, signed (PAdES B-T: the signature timestamped)."""
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    data = json.dumps(evidence, ensure_ascii=False, sort_keys=True, indent=2).encode("utf-8")
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=EVIDENCE_NAME,
            file_name=EVIDENCE_NAME,
            embedded_data=embed.EmbeddedFileObject.from_file_data(
                writer, data=data, mime_type="application/json"
            ),
            description="签署意愿证据 Signer's consent evidence",
        ),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location="CN",
        use_pades_lta=False,
    )
    pdf_signer = signers.PdfSigner(meta, signer=seal.signer, timestamper=seal.timestamper)
    # room for the signature, certificates and token reserved up front: no trial timestamp
    out = _off_the_loop(lambda: pdf_signer.sign_pdf(writer, bytes_reserved=24_576))
    return bytes(out.getbuffer())


T = TypeVar("T")


def _off_the_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous calls run their own event loop (asyncio.run), which fails in a
    thread where one already runs (a caller inside async code): there, run them in a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PadesReport:
    signed: bool
    intact: bool = False
    whole_file: bool = False
    trusted: bool = False
    signer: str = ""
    timestamp_ok: bool = False
    timestamp_at: datetime | None = None
    tsa: str = ""
    evidence: dict[str, Any] | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return (
            self.signed
            and self.intact
            and self.whole_file
            and self.trusted
            and self.timestamp_ok
            and self.evidence is not None
        )


def has_signature(data: bytes) -> bool:
    return b"/ByteRange" in data and b"/Sig" in data


def _evidence(reader: PdfFileReader) -> dict[str, Any] | None:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        for i in range(0, len(names), 2):
            if str(names[i]) == EVIDENCE_NAME:
                stream = names[i + 1].get_object()["/EF"]["/F"].get_object()
                loaded: dict[str, Any] = json.loads(stream.data.decode("utf-8"))
                return loaded
    except (KeyError, ValueError, TypeError):
        return None
    return None


def verify_pdf(data: bytes, roots: list[asn1_x509.Certificate]) -> PadesReport:
    """Check the bank's PAdES signature of ``data`` against ``roots`` (signature, chain,
    timestamp, coverage of the whole file, the embedded evidence)."""
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:
        return PadesReport(signed=False, problem=f"unreadable PDF: {exc}")
    if not sigs:
        return PadesReport(signed=False, problem="no signature")
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = _off_the_loop(lambda: asyncio.run(_validate(sigs[0], context)))
    except Exception as exc:
        return PadesReport(signed=True, problem=f"signature cannot be validated: {exc}")
    ts = status.timestamp_validity
    return PadesReport(
        signed=True,
        intact=bool(status.intact and status.valid),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        trusted=bool(status.trusted),
        signer=status.signing_cert.subject.human_friendly,
        timestamp_ok=bool(ts is not None and ts.intact and ts.valid and ts.trusted),
        timestamp_at=ts.timestamp if ts is not None else None,
        tsa=ts.signing_cert.subject.human_friendly if ts is not None else "",
        evidence=_evidence(reader),
    )


async def _validate(sig: Any, context: ValidationContext) -> Any:
    return await async_validate_pdf_signature(
        sig, signer_validation_context=context, ts_validation_context=context
    )


__all__ = [
    "EVIDENCE_NAME",
    "SANDBOX_LABEL",
    "BankSeal",
    "HttpxTimeStamper",
    "PadesReport",
    "ensure_sandbox_pki",
    "has_signature",
    "load_seal",
    "seal_for",
    "seal_pdf",
    "verify_pdf",
]
