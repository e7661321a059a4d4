"""Collateral (押品) on credit lines: records, valuations, the secured product's loan-to-value
check at drawdown, and the shortfall after a revaluation (the arithmetic: `collateral_rules`).

* `add_collateral` records an item (kind, description, the asset's reference — a receivables
  certificate of the supply chain or a warehouse receipt is named by its reference, the lien
  registration's reference, valuation, haircut, valuation date) and its first valuation.
* `revalue` records a new valuation; when the line's cover then falls short of what its
  exposure needs under a secured product's maximum LTV (after any valuation, the first one
  too), it publishes `events.CollateralShortfall` (`flows.collateral` raises risk's
  ``collateral_shortfall`` alert on the enterprise).
* `check_ltv` is what `drawdowns.draw` asks of a secured product's drawdown:
  `LoanToValueExceeded` when the line's principal outstanding plus the drawdown would exceed
  the maximum LTV of the cover.
* `set_product_security` marks a product secured with its maximum LTV.

Services never commit. Every change is audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from puhui.core import audit, events
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.ids import new_id, reference_from_id
from puhui.core.money import format_fen
from puhui.lending import loans
from puhui.lending.collateral_models import Collateral, CollateralValuation, ProductSecurity
from puhui.lending.collateral_rules import (
    BP,
    DEFAULT_HAIRCUT_BP,
    CollateralKind,
    CollateralStatus,
    CoverCheck,
    check_cover,
    cover_fen,
    within_ltv,
)
from puhui.lending.events import CollateralShortfall
from puhui.lending.guarantees_errors import (
    CollateralInvalid,
    CollateralNotFound,
    LoanToValueExceeded,
)
from puhui.lending.models import CreditLine, LineStatus, Loan, LoanStatus
from puhui.lending.products import get_product_or_default

MAX_VALUATION_FEN = 10**15


def percent_text(bp: int) -> str:
    """Basis points as a percentage for people: 7000 -> "70", 6550 -> "65.5"."""
    whole, rest = divmod(bp, 100)
    return str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def _invalid(why_zh: str, why_en: str, field: str | None = None) -> CollateralInvalid:
    return CollateralInvalid(field=field, why_zh=why_zh, why_en=why_en)


def _check_valuation(valuation_fen: int, haircut_bp: int, valued_date: date, today: date) -> None:
    if isinstance(valuation_fen, bool) or not 0 < valuation_fen <= MAX_VALUATION_FEN:
        raise _invalid("评估价值须大于零。", "The valuation must be above zero.", "valuation_fen")
    if not 0 <= haircut_bp <= BP:
        raise _invalid(
            "折扣率须在 0% 到 100% 之间。", "The haircut must be 0 % to 100 %.", "haircut_bp"
        )
    if valued_date > today:
        raise _invalid(
            "评估日期不能晚于今天。", "The valuation date cannot be in the future.", "valued_date"
        )


# ----------------------------------------------------------------------------- product terms


def product_security(session: Session, product_code: str) -> ProductSecurity | None:
    return session.scalar(
        select(ProductSecurity).where(ProductSecurity.product_code == product_code)
    )


def set_product_security(
    session: Session, clock: Clock, product_code: str, *, secured: bool, max_ltv_bp: int
) -> ProductSecurity:
    """Mark a product secured (or not) with its maximum loan-to-value (1..10000 bp)."""
    if not 0 < max_ltv_bp <= BP:
        raise _invalid(
            "最高抵质押率须在 0% 到 100% 之间。", "The maximum LTV must be 0 % to 100 %.",
            "max_ltv_bp",
        )  # fmt: skip
    product_code = get_product_or_default(session, clock, product_code).code
    row = product_security(session, product_code)
    before = None if row is None else {"secured": row.secured, "max_ltv_bp": row.max_ltv_bp}
    if row is None:
        row = ProductSecurity(product_code=product_code, secured=secured, max_ltv_bp=max_ltv_bp,
                              updated_at=clock.now())  # fmt: skip
        session.add(row)
    else:
        row.secured, row.max_ltv_bp, row.updated_at = secured, max_ltv_bp, clock.now()
    session.flush()
    audit.record(session, "product.security", "product", row.id, before=before,
                 after={"product_code": product_code, "secured": secured,
                        "max_ltv_bp": max_ltv_bp})  # fmt: skip
    return row


def _max_ltv_bp(session: Session, product_code: str) -> int | None:
    """A secured product's maximum LTV; None when the product is not secured."""
    row = product_security(session, product_code)
    return row.max_ltv_bp if row is not None and row.secured else None


# ----------------------------------------------------------------------------- reading


def get_collateral(session: Session, collateral_id: uuid.UUID) -> Collateral:
    row = session.get(Collateral, collateral_id)
    if row is None:
        raise CollateralNotFound()
    return row


def collateral_of_line(session: Session, line_id: uuid.UUID) -> list[Collateral]:
    return list(
        session.scalars(
            select(Collateral)
            .where(Collateral.line_id == line_id)
            .order_by(Collateral.created_at, Collateral.id)
        )
    )


def valuations(session: Session, collateral_id: uuid.UUID) -> list[CollateralValuation]:
    return list(
        session.scalars(
            select(CollateralValuation)
            .where(CollateralValuation.collateral_id == collateral_id)
            .order_by(CollateralValuation.created_at, CollateralValuation.id)
        )
    )


def line_exposure_fen(session: Session, line_id: uuid.UUID) -> int:
    """The principal outstanding of the line's active loans."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Loan.principal_outstanding_fen), 0)).where(
                Loan.line_id == line_id, Loan.status == LoanStatus.ACTIVE.value
            )
        )
        or 0
    )


def line_cover_fen(session: Session, line_id: uuid.UUID) -> int:
    rows = session.execute(
        select(Collateral.valuation_fen, Collateral.haircut_bp).where(
            Collateral.line_id == line_id, Collateral.status == CollateralStatus.ACTIVE.value
        )
    ).all()
    return sum(cover_fen(int(v), int(h)) for v, h in rows)


def line_position(session: Session, line: CreditLine) -> CoverCheck:
    """The line's exposure against its collateral under its secured product's maximum LTV
    (an unsecured product's line requires no cover: never short)."""
    return check_cover(
        line_exposure_fen(session, line.id),
        line_cover_fen(session, line.id),
        _max_ltv_bp(session, line.product_code),
    )


# ----------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class CollateralIn:
    kind: CollateralKind
    description: str
    valuation_fen: int
    valued_date: date
    haircut_bp: int | None = None  # the kind's usual haircut when None
    asset_reference: str = ""
    lien_reference: str = ""


def add_collateral(
    session: Session, clock: Clock, principal: Principal | None, line_id: uuid.UUID,
    data: CollateralIn,
) -> Collateral:  # fmt: skip
    """Record an item for a line (pending signature, active or frozen) with its valuation."""
    line = loans.lock_line(session, line_id)
    if line.status not in (LineStatus.PENDING_SIGNATURE.value, LineStatus.ACTIVE.value,
                           LineStatus.FROZEN.value):  # fmt: skip
        raise _invalid("该授信已结束，不能再登记押品。", "The line has ended; no collateral.")
    kind = CollateralKind(data.kind)
    haircut = DEFAULT_HAIRCUT_BP[kind] if data.haircut_bp is None else data.haircut_bp
    today = business_date(clock)
    _check_valuation(data.valuation_fen, haircut, data.valued_date, today)
    description = data.description.strip()[:200]
    if not description:
        raise _invalid("请填写押品名称。", "Describe the collateral.", "description")
    if kind in (CollateralKind.RECEIVABLE_CERTIFICATE, CollateralKind.WAREHOUSE_RECEIPT) and (
        not data.asset_reference.strip()
    ):
        raise _invalid("应收账款凭证和仓单须填写其编号。",
                       "A receivables certificate or warehouse receipt needs its reference.",
                       "asset_reference")  # fmt: skip
    now, row_id = clock.now(), new_id()
    row = Collateral(
        id=row_id, reference=reference_from_id("CO", row_id, today), line_id=line.id,
        enterprise_id=line.enterprise_id, kind=kind.value, description=description,
        asset_reference=data.asset_reference.strip()[:100],
        lien_reference=data.lien_reference.strip()[:100], valuation_fen=data.valuation_fen,
        haircut_bp=haircut, valued_date=data.valued_date, status=CollateralStatus.ACTIVE.value,
        created_at=now, created_by=principal.user_id if principal else None, updated_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    position = _record_valuation(session, clock, principal, row, line, "首次评估 first valuation")
    audit.record(session, "collateral.add", "collateral", row.id,
                 after={"line_id": line.id, "kind": kind.value, "valuation_fen": row.valuation_fen,
                        "haircut_bp": haircut, "lien_reference": row.lien_reference})  # fmt: skip
    _signal_shortfall(session, clock, line, position)
    return row


def _record_valuation(
    session: Session, clock: Clock, principal: Principal | None, row: Collateral,
    line: CreditLine, note: str,
) -> CoverCheck:  # fmt: skip
    position = line_position(session, line)
    session.add(
        CollateralValuation(
            collateral_id=row.id, valuation_fen=row.valuation_fen, haircut_bp=row.haircut_bp,
            valued_date=row.valued_date, note=note[:300],
            line_exposure_fen=position.exposure_fen, line_cover_fen=position.cover_fen,
            shortfall_fen=position.shortfall_fen, created_at=clock.now(),
            created_by=principal.user_id if principal else None,
        )
    )  # fmt: skip
    session.flush()
    return position


def revalue(
    session: Session, clock: Clock, principal: Principal | None, collateral_id: uuid.UUID, *,
    valuation_fen: int, valued_date: date, haircut_bp: int | None = None, note: str = "",
) -> CoverCheck:  # fmt: skip
    """A new valuation of an item; the line's position after it. A shortfall publishes
    `CollateralShortfall` (risk's alert, through `flows.collateral`)."""
    row = get_collateral(session, collateral_id)
    line = loans.lock_line(session, row.line_id)
    if row.status != CollateralStatus.ACTIVE.value:
        raise _invalid("该押品已解除，不能重估。", "The collateral was released; no revaluation.")
    haircut = row.haircut_bp if haircut_bp is None else haircut_bp
    _check_valuation(valuation_fen, haircut, valued_date, business_date(clock))
    if valued_date < row.valued_date:
        raise _invalid("重估日期不能早于上次评估日期。",
                       "A revaluation cannot be dated before the last valuation.",
                       "valued_date")  # fmt: skip
    before = {"valuation_fen": row.valuation_fen, "haircut_bp": row.haircut_bp,
              "valued_date": row.valued_date.isoformat()}  # fmt: skip
    row.valuation_fen, row.haircut_bp, row.valued_date = valuation_fen, haircut, valued_date
    row.updated_at = clock.now()
    position = _record_valuation(session, clock, principal, row, line, note or "重估 revaluation")
    audit.record(session, "collateral.revalue", "collateral", row.id, before=before,
                 after={"valuation_fen": valuation_fen, "haircut_bp": haircut,
                        "valued_date": valued_date.isoformat(),
                        "shortfall_fen": position.shortfall_fen})  # fmt: skip
    _signal_shortfall(session, clock, line, position)
    return position


def _signal_shortfall(
    session: Session, clock: Clock, line: CreditLine, position: CoverCheck
) -> None:
    """A valuation that leaves the line short publishes `CollateralShortfall` (risk's alert)."""
    if not position.short:
        return
    events.publish(
        session,
        CollateralShortfall(
            enterprise_id=line.enterprise_id, line_id=line.id, line_reference=line.reference,
            exposure_fen=position.exposure_fen, cover_fen=position.cover_fen,
            required_fen=position.required_fen, shortfall_fen=position.shortfall_fen,
            max_ltv_bp=position.max_ltv_bp, day=business_date(clock), at=clock.now(),
        ),
    )  # fmt: skip


def release(
    session: Session, clock: Clock, principal: Principal | None, collateral_id: uuid.UUID
) -> Collateral:
    """Release an item (the lien lifted): it no longer counts as cover."""
    row = get_collateral(session, collateral_id)
    line = loans.lock_line(session, row.line_id)
    if row.status != CollateralStatus.ACTIVE.value:
        raise _invalid("该押品已解除。", "The collateral was already released.")
    product = product_security(session, line.product_code)
    if product is not None and product.secured:
        rest = line_cover_fen(session, line.id) - cover_fen(row.valuation_fen, row.haircut_bp)
        if not within_ltv(line_exposure_fen(session, line.id), rest, product.max_ltv_bp):
            raise _invalid("解除后押品不足以覆盖贷款余额，不能解除。",
                           "Without this item the loans would no longer be covered.")  # fmt: skip
    row.status, row.updated_at = CollateralStatus.RELEASED.value, clock.now()
    session.flush()
    audit.record(session, "collateral.release", "collateral", row.id,
                 after={"status": row.status})  # fmt: skip
    return row


def check_ltv(session: Session, line: CreditLine, amount_fen: int) -> None:
    """A secured product's drawdown: refused (`LoanToValueExceeded`) when the line's principal
    outstanding plus ``amount_fen`` would exceed the maximum LTV of the line's cover."""
    product = product_security(session, line.product_code)
    if product is None or not product.secured:
        return
    exposure = line_exposure_fen(session, line.id) + amount_fen
    cover = line_cover_fen(session, line.id)
    if not within_ltv(exposure, cover, product.max_ltv_bp):
        raise LoanToValueExceeded(
            field="amount_fen",
            exposure=format_fen(exposure),
            cover=format_fen(cover),
            max_ltv=percent_text(product.max_ltv_bp),
        )
