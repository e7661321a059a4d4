"""Fixtures for e-contracts: an enterprise with a legal representative, and a stand-in credit line.

`StandInLines` plays `puhui.lending.credit_lines` (get_line, activate_after_signing) so these
tests do not depend on how the lending core creates lines; it is installed with monkeypatch.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.identity_factories import verify_rep

from puhui.core import codes
from puhui.core.clock import Clock
from puhui.core.errors import NotFound
from puhui.core.runtime import Runtime
from puhui.lending.contracts import service as contracts
from puhui.parties import service as parties
from puhui.parties.models import RelationKind
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate

REP_MOBILE = "13800138000"


@dataclass
class StandInLine:
    id: uuid.UUID
    enterprise_id: uuid.UUID
    product_code: str = "WEIYEDAI"
    limit_fen: int = 100_000_000
    rate_bp: int = 345
    term_months: int = 12
    expiry_date: date = date(2027, 11, 23)
    repayment_method: str = "interest_first"
    status: str = "pending_signature"
    contract_id: uuid.UUID | None = None


@dataclass
class StandInLines:
    lines: dict[uuid.UUID, StandInLine] = field(default_factory=dict)
    activations: list[tuple[uuid.UUID, uuid.UUID]] = field(default_factory=list)

    def add(self, enterprise_id: uuid.UUID, **kw: Any) -> StandInLine:
        line = StandInLine(id=uuid.uuid4(), enterprise_id=enterprise_id, **kw)
        self.lines[line.id] = line
        return line

    def get_line(self, session: Session, line_id: uuid.UUID) -> StandInLine:
        if line_id not in self.lines:
            raise NotFound("授信额度", "Credit line")
        return self.lines[line_id]

    def activate_after_signing(
        self, session: Session, clock: Clock, line_id: uuid.UUID, contract_id: uuid.UUID
    ) -> StandInLine:
        line = self.lines[line_id]
        assert line.status == "pending_signature"
        line.status = "active"
        line.contract_id = contract_id
        self.activations.append((line_id, contract_id))
        return line


@pytest.fixture
def lines(monkeypatch: pytest.MonkeyPatch) -> StandInLines:
    fake = StandInLines()
    monkeypatch.setattr(contracts, "credit_lines", fake)
    monkeypatch.setattr(contracts, "_product", lambda session, code: None)
    return fake


def make_uscc(n: int) -> str:
    body = f"7996{n:04d}"  # organization code body (GB 11714), then its check character
    first17 = "91330100" + body + codes.org_code_check_char(body)
    return first17 + codes.uscc_check_char(first17)


def make_resident_id(n: int) -> str:
    first17 = f"110105194912{n % 28 + 1:02d}{n % 1000:03d}"
    return first17 + codes.resident_id_check_char(first17)


def new_enterprise(session: Session, runtime: Runtime, name: str, uscc: str) -> uuid.UUID:
    ent = parties.create_enterprise(
        session,
        runtime.clock,
        EnterpriseCreate(
            name=name,
            uscc=uscc,
            industry_section="C",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=500_000_000,
            established_date=date(2015, 6, 1),
            size_class="small",
        ),
    )
    return ent.id


def add_legal_rep(
    session: Session,
    runtime: Runtime,
    enterprise_id: uuid.UUID,
    resident_id: str,
    mobile: str,
    *,
    verified: bool = True,
) -> uuid.UUID:
    person = parties.create_person(
        session,
        runtime.clock,
        runtime.cipher,
        PersonCreate(name="陈测试", resident_id=resident_id, mobile=mobile),
    )
    parties.add_relationship(
        session,
        runtime.clock,
        enterprise_id,
        RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
    )
    if verified:  # three-factor and face checks passed (issue 15)
        verify_rep(
            session,
            runtime.clock,
            runtime.cipher,
            name="陈测试",
            resident_id=resident_id,
            mobile=mobile,
            person_id=person.id,
        )
    return person.id


@dataclass
class World:
    enterprise_id: uuid.UUID
    person_id: uuid.UUID
    line: StandInLine
    lines: StandInLines


@pytest.fixture
def world(session: Session, runtime: Runtime, lines: StandInLines) -> World:
    enterprise_id = new_enterprise(session, runtime, "杭州测试机械有限公司", make_uscc(1))
    person_id = add_legal_rep(session, runtime, enterprise_id, make_resident_id(1), REP_MOBILE)
    session.commit()
    return World(enterprise_id, person_id, lines.add(enterprise_id), lines)


CODE_RE = re.compile(r"验证码 (\d{6})")


def code_in(body: str) -> str:
    match = CODE_RE.search(body)
    assert match, "no code in the SMS body"
    return match.group(1)
