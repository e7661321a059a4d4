"""`puhui decisions ...`: replay stored decisions under another policy version; manage policies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

decisions_app = typer.Typer(
    help="Automated credit decisions (闪电贷): replay under another policy, credit policies.",
    no_args_is_help=True,
)
policy_app = typer.Typer(
    help="Credit policy versions: list, show, diff, validate, submit, approve (maker-checker).",
    no_args_is_help=True,
)
decisions_app.add_typer(policy_app, name="policy")
console = Console()


def _runtime() -> Any:
    from puhui.core.runtime import build_runtime

    return build_runtime()


def _fen(value: Any) -> str:
    from puhui.core.money import format_fen

    return format_fen(int(value)) if isinstance(value, int) else "-"


def _fail(exc: Exception) -> None:
    from puhui.core.errors import DomainError

    if isinstance(exc, DomainError):
        console.print(f"[red]{exc.message('zh')} / {exc.message('en')}[/red]")
        validation = getattr(exc, "validation", None)
        if validation:
            for issue in validation.get("issues", []):
                console.print(f"  [red]{issue['where']}[/red]: {issue['zh']} / {issue['en']}")
            for test in validation.get("tests", []):
                if not test.get("passed"):
                    console.print(
                        f"  [red]test {test['name']}[/red]: {'; '.join(test['problems'])}"
                    )
        raise typer.Exit(1) from None
    raise exc


@decisions_app.command("replay")
def replay(
    policy_version: Annotated[int, typer.Option(help="Policy version number to re-decide under.")],
    policy_name: Annotated[
        str | None, typer.Option(help="Policy name (default: that of the active version).")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N stored decisions.")] = None,
    made_under: Annotated[
        int | None, typer.Option(help="Only decisions made under this policy version.")
    ] = None,
    show: Annotated[int, typer.Option(help="Rows of the table of changed outcomes.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-decide stored applications from their stored features (no new pulls) under another
    policy version; print what would change. The last line is JSON."""
    from puhui.decisioning import service

    rt = _runtime()
    with rt.session_factory() as session:
        try:
            report = service.replay(
                session,
                policy_version,
                policy_name=policy_name,
                limit=limit,
                made_under=made_under,
            )
        except Exception as exc:
            _fail(exc)
            return
        session.rollback()
    if not as_json:
        console.print(
            f"policy {report.policy_name} v{report.policy_version}: {report.decisions} decisions, "
            f"{report.unchanged} unchanged, [bold]{report.changed} would change[/bold]"
        )
        if report.transitions:
            t = Table(title="outcome changes")
            t.add_column("from -> to")
            t.add_column("count", justify="right")
            for key, count in sorted(report.transitions.items()):
                t.add_row(key, str(count))
            console.print(t)
        if report.changes:
            t = Table(title=f"changed outcomes (first {min(show, len(report.changes))})")
            for col in ("application", "outcome", "limit", "rate bp", "codes added / removed"):
                t.add_column(col)
            for ch in report.changes[:show]:
                added = sorted(set(ch.new["codes"]) - set(ch.old["codes"]))
                removed = sorted(set(ch.old["codes"]) - set(ch.new["codes"]))
                t.add_row(
                    ch.reference,
                    f"{ch.old['outcome']} -> {ch.new['outcome']}",
                    f"{_fen(ch.old['limit_fen'])} -> {_fen(ch.new['limit_fen'])}",
                    f"{ch.old['rate_bp']} -> {ch.new['rate_bp']}",
                    f"+{','.join(added) or '-'} / -{','.join(removed) or '-'}",
                )
            console.print(t)
    summary = report.model_dump(mode="json", exclude={"changes"})
    if as_json:
        summary["changes"] = [c.model_dump(mode="json") for c in report.changes]
    typer.echo(json.dumps(summary, ensure_ascii=False))


# --------------------------------------------------------------------------- policies


@policy_app.command("list")
def policy_list() -> None:
    """Every policy version and its status."""
    from puhui.core.db import unit_of_work
    from puhui.decisioning import service

    rt = _runtime()
    with unit_of_work(rt.session_factory) as session:
        service.ensure_seed_policy(session, rt.clock)
        rows = service.list_policies(session)
        t = Table()
        for col in ("name", "version", "status", "submitted by", "approved by", "note"):
            t.add_column(col)
        for r in rows:
            t.add_row(
                r.name,
                str(r.version),
                r.status,
                r.submitted_by_name,
                r.approved_by_name or "-",
                r.note[:60],
            )
        console.print(t)


def _load(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read {path}: {exc}[/red]")
        raise typer.Exit(2) from None
    return data


@policy_app.command("show")
def policy_show(
    version: int,
    name: Annotated[str | None, typer.Option(help="Policy name.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the document to this file.")] = None,
) -> None:
    """A version's status, diff against its base, and (with --out) its document."""
    from puhui.decisioning import service
    from puhui.decisioning.policy_diff import PolicyDiff

    rt = _runtime()
    with rt.session_factory() as session:
        try:
            row = service.find_policy(session, version, name)
        except Exception as exc:
            _fail(exc)
            return
        console.print(
            f"{row.name} v{row.version} [bold]{row.status}[/bold] sha256 {row.document_sha256}"
        )
        console.print(f"note: {row.note}")
        changes = row.diff.get("changes", [])
        console.print(f"changes against the base version: {row.diff.get('counts')}")
        from puhui.decisioning.policy_diff import Change

        text = PolicyDiff(tuple(Change(**c) for c in changes)).render()
        if text:
            console.print(text, markup=False)
        if out is not None:
            out.write_text(json.dumps(row.document, ensure_ascii=False, indent=1) + "\n")
            console.print(f"document written to {out}")


@policy_app.command("diff")
def policy_diff(
    old: Annotated[str, typer.Argument(help="Version number or a JSON file.")],
    new: Annotated[str, typer.Argument(help="Version number or a JSON file.")],
) -> None:
    """Rule-level differences between two versions (or files)."""
    from puhui.decisioning import service
    from puhui.decisioning.policy import PolicyDocument
    from puhui.decisioning.policy_diff import diff_documents

    rt = _runtime()

    def doc(ref: str) -> PolicyDocument:
        if ref.isdigit():
            with rt.session_factory() as session:
                return PolicyDocument.model_validate(
                    service.find_policy(session, int(ref)).document
                )
        return PolicyDocument.model_validate(_load(Path(ref)))

    try:
        diff = diff_documents(doc(old), doc(new))
    except Exception as exc:
        _fail(exc)
        return
    console.print(diff.render() or "no differences", markup=False)
    typer.echo(json.dumps(diff.counts()))


@policy_app.command("validate")
def policy_validate(file: Path) -> None:
    """Validate a document: schema, zen compilation, required outputs, embedded tests."""
    from puhui.decisioning.policy import validate_document

    result = validate_document(_load(file))
    for issue in result.issues:
        console.print(f"[red]{issue.where}[/red]: {issue.message_zh} / {issue.message_en}")
    for test in result.tests:
        mark = "[green]ok[/green]" if test.passed else "[red]FAIL[/red]"
        console.print(f"{mark} {test.name} -> {test.outcome} {', '.join(test.problems)}")
    typer.echo(json.dumps(result.to_dict()["ok"]))
    if not result.ok:
        raise typer.Exit(1)


def _principal(session: Any, username: str) -> Any:
    from sqlalchemy import select

    from puhui.core import audit
    from puhui.core.auth import principal_of
    from puhui.core.models import Role, User

    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active or user.role != Role.RISK_OFFICER.value:
        console.print(f"[red]{username}: 不是有效的风险经理 not an active risk officer[/red]")
        raise typer.Exit(2)
    principal = principal_of(user)
    audit.set_actor(session, audit.Actor(user.id, user.username, user.role, "cli"))
    return principal


@policy_app.command("submit")
def policy_submit(
    file: Path,
    username: Annotated[str, typer.Option(help="The submitting risk officer (maker).")],
    note: Annotated[str, typer.Option(help="What changed and why.")],
) -> None:
    """Submit a new version (pending a second risk officer's approval)."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.decisioning import service
    from puhui.decisioning.policy_diff import Change, PolicyDiff

    rt = _runtime()
    document = _load(file)
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            principal = _principal(session, username)
            service.ensure_seed_policy(session, rt.clock)
            row = service.submit_policy(session, rt.clock, principal, document, note)
            version, diff = row.version, row.diff
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
        return
    console.print(f"[green]submitted v{version}[/green], pending approval")
    console.print(PolicyDiff(tuple(Change(**c) for c in diff["changes"])).render(), markup=False)


@policy_app.command("approve")
def policy_approve(
    version: int,
    username: Annotated[str, typer.Option(help="The approving risk officer (not the maker).")],
    note: Annotated[str, typer.Option(help="Approval note.")],
    name: Annotated[str | None, typer.Option(help="Policy name.")] = None,
) -> None:
    """Approve a pending version: it becomes the active policy."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.decisioning import service

    rt = _runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            principal = _principal(session, username)
            row = service.find_policy(session, version, name)
            service.approve_policy(session, rt.clock, principal, row.id, note)
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
        return
    console.print(f"[green]v{version} is active[/green]")


@policy_app.command("reject")
def policy_reject(
    version: int,
    username: Annotated[str, typer.Option(help="The rejecting risk officer.")],
    note: Annotated[str, typer.Option(help="Why.")],
    name: Annotated[str | None, typer.Option(help="Policy name.")] = None,
) -> None:
    """Reject a pending version (it stays on record, never active)."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.decisioning import service

    rt = _runtime()
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            principal = _principal(session, username)
            row = service.find_policy(session, version, name)
            service.reject_policy(session, rt.clock, principal, row.id, note)
    except typer.Exit:
        raise
    except Exception as exc:
        _fail(exc)
        return
    console.print(f"v{version} rejected")


@policy_app.command("seed")
def policy_seed() -> None:
    """Install the seed policy as version 1 when the database has no policy yet."""
    from puhui.core import audit
    from puhui.core.db import unit_of_work
    from puhui.decisioning import service

    rt = _runtime()
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        row = service.ensure_seed_policy(session, rt.clock)
        console.print(f"active: {row.name} v{row.version} ({row.document_sha256[:12]})")
