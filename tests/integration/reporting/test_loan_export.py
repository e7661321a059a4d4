"""Loan-level export (issue 17): CSV and XLSX with Chinese headers, masking by role; ageing."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.orm import Session
from tests.integration.lending.contracts.conftest import make_resident_id
from tests.integration.lending.lending_factories import START, draw, make_enterprise, make_line

from puhui.core.clock import FixedClock
from puhui.core.models import Role
from puhui.core.runtime import Runtime
from puhui.lending import collateral, guarantees
from puhui.lending.collateral_rules import CollateralKind
from puhui.lending.guarantees_models import Guarantee
from puhui.parties import service as parties_service
from puhui.parties.schemas import PersonCreate
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
    assert row["担保人"] == "" and str(row["押品认可价值（元）"]) == "0.00"
    buckets = {b.bucket: b for b in loan_export.ageing(session)}
    assert buckets["未逾期"].loans >= 1 and list(buckets)[-1] == "180天以上"


def test_export_fills_the_guarantor_and_collateral_columns(
    session: Session, clock: FixedClock, runtime: Runtime
) -> None:
    ent = make_enterprise(session, clock, "杭州担保导出测试有限公司")
    line = make_line(session, clock, ent.id)
    draw(session, clock, line.id, 1_000_000, term_months=3)
    deposit = collateral.CollateralIn(CollateralKind.DEPOSIT, "保证金", 500_000, START)
    collateral.add_collateral(session, clock, None, line.id, deposit)
    guarantor = make_enterprise(session, clock, "杭州保证测试有限公司")
    person = parties_service.create_person(
        session, clock, runtime.cipher,
        PersonCreate(name="王测试", resident_id=make_resident_id(7), mobile="13900001111"),
    )  # fmt: skip
    session.add(
        Guarantee(  # a binding guarantee as `guarantees.sign` leaves it
            reference="GU-TEST-1", line_id=line.id, enterprise_id=ent.id,
            guarantor_kind="enterprise", guarantor_enterprise_id=guarantor.id,
            exposure_enterprise_id=guarantor.id, signer_person_id=person.id,
            guarantor_name=guarantor.name, amount_fen=2_000_000, status="signed",
            consent_ids=[], snapshot_ids=[], check_summary={}, document_text="",
            document_sha256="", created_at=clock.now(), updated_at=clock.now(),
        )
    )  # fmt: skip
    session.flush()
    assert guarantees.signed_fen(session, line.id) == 2_000_000
    frame = loan_export.portfolio_frame(session, Role.CUSTOMER_MANAGER)
    row = frame.filter(frame["企业名称"] == ent.name).row(0, named=True)
    assert row["担保人"] == "杭州保证测试有限公司（20000元）"
    assert str(row["押品认可价值（元）"]) == "5000.00"
