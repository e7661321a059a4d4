"""Loan products: the data that says how a line or loan behaves, and the default catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.lending.allocation import DEFAULT_ORDER
from puhui.lending.errors import ProductNotFound
from puhui.lending.interest import DayCountBasis
from puhui.lending.models import Product, ProductKind
from puhui.lending.overdue import DEFAULT_PENALTY_MARKUP_BP
from puhui.lending.rescheduling import PrepaymentOption
from puhui.lending.schedules import PeriodInterest, RepaymentMethod
from puhui.lending.schemas import ProductBounds

CEILING_FEN = 10_000_000 * 100
"""普惠 ceiling: 10 million CNY per borrower."""


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name_zh: str
    name_en: str
    kind: ProductKind
    repayment_methods: tuple[RepaymentMethod, ...]
    default_method: RepaymentMethod
    line_term_months: int
    min_term_months: int
    max_term_months: int
    min_rate_bp: int
    max_rate_bp: int
    min_amount_fen: int
    max_amount_fen: int
    max_limit_fen: int
    interest_mode: PeriodInterest
    day_count: DayCountBasis = DayCountBasis.ACT_360
    grace_days: int = 0
    penalty_markup_bp: int = DEFAULT_PENALTY_MARKUP_BP
    compound_interest: bool = True
    allocation_order: tuple[str, ...] = field(default=DEFAULT_ORDER)
    prepayment_allowed: bool = True
    prepayment_fee_bp: int = 0
    prepayment_option: PrepaymentOption = PrepaymentOption.KEEP_TERM
    renewal_allowed: bool = True
    max_deferral_months: int = 12


WEIYEDAI = "weiyedai"
JINGYINGDAI = "jingyingdai"
XIANXIHOUBEN = "xianxihouben"

DEFAULT_PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec(
        code=WEIYEDAI,
        name_zh="微业贷（随借随还）",
        name_en="Micro-business revolving line",
        kind=ProductKind.REVOLVING,
        repayment_methods=(
            RepaymentMethod.INTEREST_FIRST,
            RepaymentMethod.EQUAL_INSTALMENT,
            RepaymentMethod.EQUAL_PRINCIPAL,
            RepaymentMethod.BULLET,
        ),
        default_method=RepaymentMethod.INTEREST_FIRST,
        line_term_months=12,
        min_term_months=1,
        max_term_months=12,
        min_rate_bp=300,
        max_rate_bp=1800,
        min_amount_fen=1_000 * 100,
        max_amount_fen=3_000_000 * 100,
        max_limit_fen=3_000_000 * 100,
        interest_mode=PeriodInterest.ACTUAL_DAYS,  # daily interest on what is drawn
        grace_days=3,
    ),
    ProductSpec(
        code=JINGYINGDAI,
        name_zh="经营贷（分期还款）",
        name_en="Business instalment loan",
        kind=ProductKind.INSTALMENT,
        repayment_methods=(RepaymentMethod.EQUAL_INSTALMENT, RepaymentMethod.EQUAL_PRINCIPAL),
        default_method=RepaymentMethod.EQUAL_INSTALMENT,
        line_term_months=6,
        min_term_months=6,
        max_term_months=36,
        min_rate_bp=300,
        max_rate_bp=1500,
        min_amount_fen=10_000 * 100,
        max_amount_fen=CEILING_FEN,
        max_limit_fen=CEILING_FEN,
        interest_mode=PeriodInterest.MONTHLY_RATE,
    ),
    ProductSpec(
        code=XIANXIHOUBEN,
        name_zh="先息后本贷",
        name_en="Interest-first loan",
        kind=ProductKind.INSTALMENT,
        repayment_methods=(RepaymentMethod.INTEREST_FIRST, RepaymentMethod.BULLET),
        default_method=RepaymentMethod.INTEREST_FIRST,
        line_term_months=6,
        min_term_months=3,
        max_term_months=12,
        min_rate_bp=300,
        max_rate_bp=1500,
        min_amount_fen=10_000 * 100,
        max_amount_fen=5_000_000 * 100,
        max_limit_fen=5_000_000 * 100,
        interest_mode=PeriodInterest.MONTHLY_RATE,
    ),
)

DEFAULT_CODES = frozenset(spec.code for spec in DEFAULT_PRODUCTS)


def _row(spec: ProductSpec) -> dict[str, object]:
    return {
        "code": spec.code,
        "name_zh": spec.name_zh,
        "name_en": spec.name_en,
        "kind": spec.kind.value,
        "repayment_methods": [m.value for m in spec.repayment_methods],
        "default_method": spec.default_method.value,
        "line_term_months": spec.line_term_months,
        "min_term_months": spec.min_term_months,
        "max_term_months": spec.max_term_months,
        "min_rate_bp": spec.min_rate_bp,
        "max_rate_bp": spec.max_rate_bp,
        "min_amount_fen": spec.min_amount_fen,
        "max_amount_fen": spec.max_amount_fen,
        "max_limit_fen": spec.max_limit_fen,
        "day_count": spec.day_count.value,
        "interest_mode": spec.interest_mode.value,
        "grace_days": spec.grace_days,
        "penalty_markup_bp": spec.penalty_markup_bp,
        "compound_interest": spec.compound_interest,
        "allocation_order": list(spec.allocation_order),
        "prepayment_allowed": spec.prepayment_allowed,
        "prepayment_fee_bp": spec.prepayment_fee_bp,
        "prepayment_option": spec.prepayment_option.value,
        "renewal_allowed": spec.renewal_allowed,
        "max_deferral_months": spec.max_deferral_months,
    }


def create_product(session: Session, clock: Clock, spec: ProductSpec) -> Product:
    """Add a product (admin, tests). Its allocation order must name every standard bucket."""
    missing = set(DEFAULT_ORDER) - set(spec.allocation_order)
    if missing or len(set(spec.allocation_order)) != len(spec.allocation_order):
        raise ValueError(f"allocation order must list each bucket once; missing {missing}")
    product = Product(**_row(spec), is_active=True, created_at=clock.now())
    session.add(product)
    session.flush()
    audit.record(session, "product.create", "product", product.id, after=_row(spec))
    return product


def ensure_default_products(session: Session, clock: Clock) -> list[Product]:
    """Insert the default products that are missing (by code); existing rows are left alone."""
    existing = set(session.scalars(select(Product.code).where(Product.code.in_(DEFAULT_CODES))))
    for spec in DEFAULT_PRODUCTS:
        if spec.code not in existing:
            create_product(session, clock, spec)
    return list(session.scalars(select(Product).where(Product.code.in_(DEFAULT_CODES))))


@cache
def _product_statement() -> Select[Product]:
    return select(Product).where(Product.code == bindparam("code", type_=Product.code.type))


def get_product(session: Session, code: str) -> Product:
    product = session.scalar(_product_statement(), {"code": code})
    if product is None:
        raise ProductNotFound(field="product_code", product_code=code)
    return product


def get_product_or_default(session: Session, clock: Clock, code: str) -> Product:
    """The product; a default product missing from a fresh database is created first (one
    query when the product exists)."""
    try:
        return get_product(session, code)
    except ProductNotFound:
        if code not in DEFAULT_CODES:
            raise
    ensure_default_products(session, clock)
    return get_product(session, code)


def product_bounds(session: Session, clock: Clock, code: str) -> ProductBounds | None:
    """The bounds of product `code` (a default product is created on a fresh database), or
    None when there is no such product."""
    try:
        product = get_product_or_default(session, clock, code)
    except ProductNotFound:
        return None
    return ProductBounds(
        code=product.code,
        is_active=product.is_active,
        min_amount_fen=product.min_amount_fen,
        max_limit_fen=product.max_limit_fen,
        min_rate_bp=product.min_rate_bp,
        max_rate_bp=product.max_rate_bp,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        repayment_methods=tuple(product.repayment_methods),
    )


def list_products(session: Session) -> list[Product]:
    return list(session.scalars(select(Product).where(Product.is_active).order_by(Product.code)))


def allows(product: Product, method: RepaymentMethod) -> bool:
    return method.value in product.repayment_methods
