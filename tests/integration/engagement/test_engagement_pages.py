"""The console's proactive service page and the staff home's cards, over HTTP."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from tests.support.engagement_lists import dealer_list

from puhui.core.models import Role


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_a_manager_pre_screens_an_uploaded_list_and_segments(
    client: TestClient, headers_for: Any
) -> None:
    headers = headers_for(Role.CUSTOMER_MANAGER)
    page = client.get("/console/engagement", headers=headers)
    assert page.status_code == 200 and "主动服务" in page.text
    csv = dealer_list(30, seed=4).drop("basis_monthly_fen").write_csv()
    resp = client.post(
        "/console/engagement/prescreen",
        headers=headers,
        data={"csrf_token": _csrf(page.text), "kind": "registry_region", "list_name": "西湖区"},
        files={"list_file": ("list.csv", csv.encode(), "text/csv")},
        follow_redirects=False,
    )
    # a registry list with the core enterprise's purchase trends is refused: not its data
    assert resp.status_code == 303
    refused = client.get("/console/engagement", headers=headers).text
    assert "sales_trend_6m" in refused and 'data-testid="prescreen-runs"' not in refused
    public = dealer_list(30, seed=4).drop("sales_trend_6m", "sales_yoy").write_csv()
    resp = client.post(
        "/console/engagement/prescreen",
        headers=headers,
        data={"csrf_token": _csrf(refused), "kind": "registry_region", "list_name": "西湖区"},
        files={"list_file": ("list.csv", public.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = client.get("/console/engagement", headers=headers)
    assert 'data-testid="prescreen-runs"' in page.text and "区域工商名录" in page.text
    resp = client.post(
        "/console/engagement/segments",
        headers=headers,
        data={"csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = client.get("/console/engagement", headers=headers).text
    assert "逾期关注" in page and "不动户" in page
    home = client.get("/console/", headers=headers).text
    assert "客群" in home and "预授信" in home
