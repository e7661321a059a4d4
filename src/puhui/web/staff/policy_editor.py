"""The policy editor (/console/policies/editor): the credit policy's decision tables edited as
tables — a row per rule, a cell per condition and output — with the numeric parameters; "check"
validates the edited document and runs its embedded test cases (htmx swaps the result in, each
problem pointing at its table, row and column in the page's language); "submit" does the same
and, when everything passes, submits the version for a second risk officer's approval through
`decisioning.service.submit_policy` (the diff and the approval stay on /console/policies).

The form carries the whole edit: `r|<stage>` the rule ids in order, `c|<stage>|<rule>|<column>`
the cells, `d|<stage>|<rule>` the descriptions, `x|<stage>|<rule>` a deleted row, `p|<name>` the
parameters, `base` the version edited. Nothing is stored until a version is submitted.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from puhui.core.auth import Principal, require_page
from puhui.core.errors import DomainError, InvalidInput
from puhui.core.models import Role
from puhui.core.web import DB, RuntimeDep, UnitOfWorkRoute, request_lang
from puhui.decisioning import policy_tables
from puhui.decisioning import service as decisioning_service
from puhui.decisioning.policy import Issue, Table, TestResult, validate_document
from puhui.decisioning.policy_tables import EDITABLE_PARAMETERS, RowEdit, TableEdit
from puhui.web.i18n import error_text
from puhui.web.pages import check_csrf, render

router = APIRouter(
    prefix="/console/policies/editor", route_class=UnitOfWorkRoute, include_in_schema=False
)
EDITORS = (Role.RISK_OFFICER,)


@dataclass(frozen=True)
class Problem:
    """An issue as the editor shows it: where (table, row, column) and what, in one language."""

    where: str
    message: str
    stage: str | None
    rule_id: str | None
    column_id: str | None


@dataclass(frozen=True)
class Check:
    problems: tuple[Problem, ...]
    tests: tuple[TestResult, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and all(t.passed for t in self.tests)


# ------------------------------------------------------------------------------- the form


def _edits_from_form(form: Sequence[tuple[str, Any]]) -> tuple[list[TableEdit], dict[str, int]]:
    """The tables and parameters a posted editor form carries (see the module docstring)."""
    order: dict[str, list[str]] = {}
    cells: dict[tuple[str, str], dict[str, str]] = {}
    notes: dict[tuple[str, str], str] = {}
    deleted: set[tuple[str, str]] = set()
    parameters: dict[str, int] = {}
    for key, raw in form:
        value = raw if isinstance(raw, str) else ""
        kind, _, rest = key.partition("|")
        parts = rest.split("|")
        if kind == "r" and len(parts) == 1 and policy_tables.RULE_ID.match(value):
            order.setdefault(parts[0], []).append(value)
        elif kind == "c" and len(parts) == 3:
            cells.setdefault((parts[0], parts[1]), {})[parts[2]] = value
        elif kind == "d" and len(parts) == 2:
            notes[(parts[0], parts[1])] = value
        elif kind == "x" and len(parts) == 2:
            deleted.add((parts[0], parts[1]))
        elif kind == "p" and rest in EDITABLE_PARAMETERS:
            try:
                parameters[rest] = int(value.replace(",", "").strip())
            except ValueError:
                raise InvalidInput(field=f"parameters.{rest}") from None
    edits = [
        TableEdit(
            stage,
            tuple(
                RowEdit(rid, notes.get((stage, rid), "").strip(), cells.get((stage, rid), {}))
                for rid in dict.fromkeys(ids)
                if (stage, rid) not in deleted
            ),
        )
        for stage, ids in order.items()
    ]
    return edits, parameters


def _check(document: Mapping[str, Any], lang: str) -> Check:
    """Validate the edited document and run its test cases; issues located for the page."""
    result = validate_document(document)
    tables = policy_tables.stage_tables(document)
    names = {t.stage: _table_name(t, lang) for t in tables}
    problems = []
    for issue in result.issues:
        where = policy_tables.locate(issue, tables)
        label = (
            policy_tables.describe(where, names[where.stage], lang)
            if where.stage in names
            else issue.where
        )
        problems.append(
            Problem(label, _message(issue, lang), where.stage, where.rule_id, where.column_id)
        )
    return Check(tuple(problems), result.tests)


def _message(issue: Issue, lang: str) -> str:
    return issue.message_en if lang == "en" else issue.message_zh


def _table_name(table: Table, lang: str) -> str:
    """A table's name in the page's language (the JDM names read "硬性拒绝规则 Knock-outs")."""
    zh, _, en = table.name.partition(" ")
    return (en or zh) if lang == "en" else zh


def _page(
    request: Request,
    principal: Principal,
    document: Mapping[str, Any],
    base_id: uuid.UUID,
    *,
    check: Check | None = None,
    note: str = "",
    error: str | None = None,
) -> Response:
    lang = request_lang(request)
    bad = {(p.stage, p.rule_id, p.column_id) for p in check.problems} if check else set()
    template = "_policy_editor.html" if request.headers.get("hx-request") else "policy_editor.html"
    return render(
        request,
        template,
        principal,
        tables=policy_tables.stage_tables(document),
        table_name=lambda t: _table_name(t, lang),
        parameters={k: document["parameters"].get(k) for k in EDITABLE_PARAMETERS},
        base_id=base_id,
        check=check,
        bad=bad,
        note=note,
        error=error,
    )


def _base(db: Session, rt: Any, base: str | None) -> tuple[uuid.UUID, dict[str, Any]]:
    """The version edited: the one named by the form, else the active one."""
    if base:
        try:
            row = decisioning_service.get_policy(db, uuid.UUID(base))
            return row.id, dict(row.document)
        except (ValueError, DomainError):
            pass
    ref, _ = decisioning_service.active_policy(db, rt.clock)
    row = decisioning_service.get_policy(db, ref.id)
    return row.id, dict(row.document)


# ------------------------------------------------------------------------------ the routes


@router.get("", response_class=HTMLResponse)
def editor(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*EDITORS))],
) -> Response:
    base_id, document = _base(db, rt, None)
    return _page(request, principal, document, base_id)


@router.get("/row", response_class=HTMLResponse)
def new_row(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*EDITORS))],
    stage: Annotated[str, Query(max_length=32)],
) -> Response:
    """An empty row for a table (htmx appends it to the table's body)."""
    _, document = _base(db, rt, None)
    table = next((t for t in policy_tables.stage_tables(document) if t.stage == stage), None)
    if table is None:
        raise InvalidInput(field="stage")
    rule_id = f"{stage[:2]}_{secrets.token_hex(3)}"
    return render(request, "_policy_row.html", principal, t=table, rule={"_id": rule_id}, bad=set())


async def _posted(request: Request) -> list[tuple[str, Any]]:
    return list((await request.form(max_fields=20_000)).multi_items())


@router.post("/check", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def check(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*EDITORS))],
) -> Response:
    """Validate the edited tables and run the test cases; nothing is stored."""
    form = await _posted(request)
    return _checked(request, db, rt, principal, form, submit=False)


@router.post("/submit", response_class=HTMLResponse, dependencies=[Depends(check_csrf)])
async def submit(
    request: Request,
    db: DB,
    rt: RuntimeDep,
    principal: Annotated[Principal, Depends(require_page(*EDITORS))],
) -> Response:
    """Check, then submit the version for a second risk officer's approval."""
    form = await _posted(request)
    return _checked(request, db, rt, principal, form, submit=True)


def _checked(
    request: Request,
    db: Session,
    rt: Any,
    principal: Principal,
    form: list[tuple[str, Any]],
    *,
    submit: bool,
) -> Response:
    lang = request_lang(request)
    fields = dict(form)
    note = str(fields.get("note", "")).strip()
    base_id, base_doc = _base(db, rt, str(fields.get("base") or ""))
    try:
        edits, parameters = _edits_from_form(form)
    except DomainError as exc:
        return _page(request, principal, base_doc, base_id, error=error_text(exc, lang), note=note)
    document = policy_tables.apply_edits(base_doc, edits, parameters)
    result = _check(document, lang)
    htmx = bool(request.headers.get("hx-request"))
    error: str | None = None
    if submit and result.ok:
        try:
            if len(note) < 2:
                raise InvalidInput(field="note")
            decisioning_service.submit_policy(db, rt.clock, principal, document, note)
        except DomainError as exc:  # refused before anything was written
            error = error_text(exc, lang)
        else:
            if htmx:
                return Response(headers={"HX-Redirect": "/console/policies#pending"})
            return RedirectResponse("/console/policies#pending", status_code=303)
    response = _page(request, principal, document, base_id, check=result, note=note, error=error)
    refused = submit and (error is not None or not result.ok)
    # htmx swaps only a 2xx answer: the refusal is in the page; a plain form post gets 422
    response.status_code = 422 if refused and not htmx else 200
    return response
