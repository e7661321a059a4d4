"""Collateral tables: items on a line, their valuations, and each product's security terms
(see `lending.collateral_rules`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class Collateral(IdMixin, Base):
    """One collateral item pledged or mortgaged for a credit line, at its latest valuation."""

    __tablename__ = "lending_collateral"
    __table_args__ = (
        CheckConstraint("valuation_fen >= 0", "valuation_nonneg"),
        CheckConstraint("haircut_bp >= 0 AND haircut_bp <= 10000", "haircut_range"),
    )

    reference: Mapped[str] = mapped_column(String(24), unique=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lending_credit_line.id"), index=True)
    enterprise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("parties_enterprise.id"))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(String(200))
    # a receivables certificate's or warehouse receipt's reference, a property certificate no.
    asset_reference: Mapped[str] = mapped_column(String(100), default="")
    lien_reference: Mapped[str] = mapped_column(String(100), default="")  # 抵押/质押登记证明
    valuation_fen: Mapped[int]
    haircut_bp: Mapped[int]
    valued_date: Mapped[date]  # the latest (re)valuation
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime]


class CollateralValuation(IdMixin, Base):
    """Every valuation of an item (the first one and each revaluation), with the line's
    position it left: exposure, cover, the shortfall (0 when within the maximum LTV)."""

    __tablename__ = "lending_collateral_valuation"

    collateral_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lending_collateral.id"), index=True
    )
    valuation_fen: Mapped[int]
    haircut_bp: Mapped[int]
    valued_date: Mapped[date]
    note: Mapped[str] = mapped_column(String(300), default="")
    line_exposure_fen: Mapped[int]
    line_cover_fen: Mapped[int]
    shortfall_fen: Mapped[int]
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None]


class ProductSecurity(IdMixin, Base):
    """A product's security terms: secured (drawdowns checked against the collateral's cover)
    and the maximum loan-to-value."""

    __tablename__ = "lending_product_security"
    __table_args__ = (CheckConstraint("max_ltv_bp > 0 AND max_ltv_bp <= 10000", "ltv_range"),)

    product_code: Mapped[str] = mapped_column(ForeignKey("lending_product.code"), unique=True)
    secured: Mapped[bool]
    max_ltv_bp: Mapped[int]
    updated_at: Mapped[datetime]
