"""`puhui contracts ...`: check that a PDF is, byte for byte, a signed contract."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from puhui.core.clock import SHANGHAI

contracts_app = typer.Typer(help="E-contracts (电子合同).", no_args_is_help=True)
console = Console()


def _check_seal(data: bytes, settings: Any) -> bool | None:
    """The bank's PAdES seal of a signed contract: signature, chain to the configured root,
    timestamp. None when the file carries no signature (an unsigned contract)."""
    from puhui.lending.contracts import pades
    from puhui.lending.contracts.pdf import contract_settings

    if not pades.has_signature(data):
        return None
    seal = pades.seal_for(settings.environment, settings.var_dir, contract_settings())
    report = pades.verify_pdf(data, list(seal.trust_roots))
    mark = {True: "[green]✓[/green]", False: "[red]✗[/red]"}
    console.print(f"{mark[report.intact]} 签名完整 signature intact ({report.signer})")
    console.print(f"{mark[report.whole_file]} 覆盖全文 covers the whole file")
    console.print(f"{mark[report.trusted]} 证书链可信 certificate chain to the configured root")
    at = report.timestamp_at.isoformat() if report.timestamp_at else "—"
    console.print(f"{mark[report.timestamp_ok]} 时间戳 RFC 3161 timestamp {at} ({report.tsa})")
    console.print(f"{mark[report.evidence is not None]} 签署意愿证据 consent evidence attached")
    if seal.sandbox:
        console.print("[yellow]沙箱 Sandbox: demo certificate and timestamper[/yellow]")
    if not report.ok:
        console.print(
            f"[red]签章无效 SEAL INVALID[/red] {report.problem}".rstrip()
            + " — 文件在签章后被修改或证书不可信 / changed after sealing or untrusted"
        )
    return report.ok


@contracts_app.command("verify")
def verify_cmd(
    file: Annotated[Path, typer.Argument(help="the contract PDF to check")],
) -> None:
    """Does FILE's SHA-256 match a signed contract, and (for the sealed PDF) is the bank's PAdES
    seal valid — signature, certificate chain, RFC 3161 timestamp? Exit 0 if so, 1 if not, 2 if
    unreadable."""
    from puhui.core.runtime import build_runtime
    from puhui.lending.contracts import service as contracts

    try:
        data = file.read_bytes()
    except OSError as exc:
        console.print(f"[red]无法读取文件 cannot read {file}: {exc.strerror or exc}[/red]")
        raise typer.Exit(2) from None
    rt = build_runtime()
    sealed_ok = _check_seal(data, rt.settings)
    with rt.session_factory() as session:
        outcome = contracts.verify_document(session, data)
    console.print(f"SHA-256 {outcome.sha256}  ({outcome.size} bytes)")
    if sealed_ok is False:
        raise typer.Exit(1)
    if outcome.matched:
        for m in outcome.signed:
            signed_at = m.signed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
            console.print(
                f"[green]匹配 MATCH[/green]: 已签署合同 signed contract {m.reference} "
                f"(id {m.contract_id})\n"
                f"  借款人 borrower: {m.enterprise_name} ({m.enterprise_uscc})\n"
                f"  签署时间 signed at: {signed_at} (Asia/Shanghai)\n"
                f"  签署人 signed by: {m.signer_name_masked}, 手机 mobile "
                f"{m.signer_mobile_masked}, user {m.signer_user_id}"
            )
        return
    console.print(
        "[red]不匹配 NO MATCH[/red]: 该文件与任何已签署合同均不一致 / "
        "the file matches no signed contract"
    )
    for u in outcome.unsigned:
        console.print(
            f"  (与未签署合同 {u.reference} 一致，状态 {u.status} / "
            f"matches unsigned contract {u.reference}, status {u.status})"
        )
    raise typer.Exit(1)


@contracts_app.command("export")
def export_cmd(
    file: Annotated[Path, typer.Argument(help="where to write the PDF")],
    reference: Annotated[
        str | None, typer.Option(help="the contract's reference (default: the latest signed)")
    ] = None,
) -> None:
    """Write a signed contract's PDF to FILE, byte for byte as signed (then `contracts verify`
    it). Recorded in the audit trail as a download. Exit 1 if there is no such contract."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.core.errors import DomainError
    from puhui.core.runtime import build_runtime
    from puhui.lending.contracts import service as contracts

    rt = build_runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            audit.set_actor(session, audit.Actor(None, "cli", None, "cli"))
            contract = contracts.signed_contract(session, reference)
            contracts.record_download(session, contract)
            file.write_bytes(contract.document)
            shown = (contract.reference, contract.document_size, contract.document_sha256)
    except DomainError as exc:
        console.print(f"[red]{exc.message('zh')} / {exc.message('en')}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{shown[0]} → {file} ({shown[1]} bytes, SHA-256 {shown[2]})")
