"""Loan-level export (issue 17): CSV and XLSX with Chinese headers, masking by role; ageing."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.orm import Session
from tests.integration.lending.lending_factories import draw, make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.reporting import loan_export


def test_export_has_chinese_headers_masks_by_role_and_opens_as_a_spreadsheet(
    session: Session, clock: FixedClock
) -> None:
    ent = make_enterprise(session, clock)
    line = make_line(session, clock, ent.id)
    draw(session, clock, line.id, 1_234_567, term_months=3)
    frame = loan_export.portfolio_frame(session, Role.CUSTOMER_MANAGER)
    mine = frame.filter(frame["企业名称"] == ent.name)
    assert mine.height == 1 and frame.columns[0] == "借据编号"
    row = mine.row(0, named=True)
    assert str(row["放款金额（元）"]) == "12345.67" and row["还款方式"] == "先息后本"
    assert row["统一社会信用代码"] != ent.uscc and "*" in row["统一社会信用代码"]
    full = loan_export.portfolio_frame(session, Role.RISK_OFFICER)
    assert ent.uscc in full["统一社会信用代码"].to_list()
    csv = io.BytesIO()
    loan_export.write_csv(mine, csv)
    text = csv.getvalue().decode("utf-8-sig")
    assert text.startswith("借据编号,企业名称,") and "12345.67" in text
    xlsx = io.BytesIO()
    loan_export.write_xlsx(mine, xlsx)
    with zipfile.ZipFile(io.BytesIO(xlsx.getvalue())) as book:
        strings = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "借据编号" in strings and ent.name in strings
    buckets = {b.bucket: b for b in loan_export.ageing(session)}
    assert buckets["未逾期"].loans >= 1 and list(buckets)[-1] == "180天以上"
