"""The policy editor: the decision tables as tables (a row per rule, a cell per condition and
output); a cell that does not parse is named by table, row and column in zh and en and nothing
is stored; a valid change runs the embedded tests and is submitted for a second risk officer,
its diff the one cell changed; the submitter cannot approve it, another officer can."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.decisioning import service
from puhui.decisioning.models import PolicyVersion

INPUT = re.compile(r'<input[^>]*?name="([^"]+)"[^>]*?value="([^"]*)"')
CELL = "c|knockouts|ko_dishonest|t_knockouts_out_1"  # 失信被执行人: the action


def _form(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(n), html.unescape(v)) for n, v in INPUT.findall(page)]


def _with(form: list[tuple[str, str]], **changes: str) -> dict[str, Any]:
    """The form with some values changed, as httpx posts repeated fields (a list per name)."""
    out: dict[str, Any] = {}
    for name, value in [(n, changes.get(n, v)) for n, v in form] + [
        (n, v) for n, v in changes.items() if n not in dict(form)
    ]:
        out.setdefault(name, []).append(value)
    return out


def test_editor_check_submit_and_second_approval(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    active = service.ensure_seed_policy(session, runtime.clock)
    session.commit()
    maker = headers_for(Role.RISK_OFFICER)
    page = client.get("/console/policies/editor", headers=maker)
    assert page.status_code == 200
    assert page.text.count('data-testid="table-') == 5  # the five stages, as tables
    form = _form(page.text)
    assert dict(form)[CELL] == "'decline'" and dict(form)["base"] == str(active.id)
    assert len(form) > 150  # every cell is its own input, not one 40,000-character textarea

    bad = client.post(
        "/console/policies/editor/check",
        data=_with(form, **{"c|knockouts|ko_dishonest|t_knockouts_in_0": "== tru e"}),
        headers={**maker, "HX-Request": "true"},
    )
    assert bad.status_code == 200 and 'data-testid="problems"' in bad.text
    assert "决策表「硬性拒绝规则」 · 第 1 行 · 列「失信被执行人」" in bad.text
    assert 'aria-invalid="true"' in bad.text and "<html" not in bad.text  # a fragment for htmx
    client.get("/console/lang/en", headers=maker)
    english = client.post(
        "/console/policies/editor/submit",
        data=_with(form, note="x", **{CELL: "'perhaps'"}),
        headers=maker,
    )
    assert english.status_code == 422
    assert 'Table "Knock-outs", row 1, column "动作 action"' in html.unescape(english.text)
    assert session.scalar(select(PolicyVersion).where(PolicyVersion.version == 2)) is None
    client.get("/console/lang/zh", headers=maker)

    young = "c|knockouts|ko_young|t_knockouts_in_6"  # 成立月数 < 12 → < 18: a test case fails
    failing = client.post(
        "/console/policies/editor/check", data=_with(form, **{young: "< 18"}), headers=maker
    )
    assert "未通过" in failing.text and "成立满一年" in failing.text
    enforcement = "c|knockouts|ko_enforcement|t_knockouts_in_7"  # 未结被执行 >= 2 → >= 3
    checked = client.post(
        "/console/policies/editor/check", data=_with(form, **{enforcement: ">= 3"}), headers=maker
    )
    assert 'data-testid="tests-summary"' in checked.text and "未通过" not in checked.text
    done = client.post(
        "/console/policies/editor/submit",
        data=_with(form, note="两件未结被执行案件改为三件", **{enforcement: ">= 3"}),
        headers=maker,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    session.expire_all()
    pending = session.scalar(select(PolicyVersion).where(PolicyVersion.version == 2))
    assert pending is not None and pending.status == "pending_approval"
    changes = pending.diff["changes"]
    assert len(changes) == 1 and ">= 3" in str(changes[0]) and ">= 2" in str(changes[0])

    own = client.post(
        f"/console/policies/{pending.id}/approve", data={"note": "自批"}, headers=maker
    )
    assert own.status_code >= 400
    checker = headers_for(Role.RISK_OFFICER, [])
    ok = client.post(
        f"/console/policies/{pending.id}/approve",
        data={"note": "同意"},
        headers=checker,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    session.expire_all()
    assert session.get(PolicyVersion, pending.id).status == "active"  # type: ignore[union-attr]


def test_a_new_row_and_other_roles(
    client: TestClient, session: Session, runtime: Runtime, headers_for: Any
) -> None:
    service.ensure_seed_policy(session, runtime.clock)
    session.commit()
    row = client.get(
        "/console/policies/editor/row?stage=grading", headers=headers_for(Role.RISK_OFFICER)
    )
    assert row.status_code == 200 and 'name="r|grading"' in row.text
    assert row.text.count('name="c|grading|') == 4  # one condition, three outputs
    officer = client.get(
        "/console/policies/editor", headers=headers_for(Role.CREDIT_OFFICER), follow_redirects=False
    )
    assert officer.status_code == 403
