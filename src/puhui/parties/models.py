"""Enterprises, people and their relationships. Personal identifiers are encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from puhui.core.db import Base, IdMixin


class SizeClass(StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class RelationKind(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    SHAREHOLDER = "shareholder"
    ACTUAL_CONTROLLER = "actual_controller"
    GUARANTOR = "guarantor"
    UPSTREAM = "upstream"  # the related enterprise supplies this one
    DOWNSTREAM = "downstream"  # the related enterprise buys from this one


class Enterprise(IdMixin, Base):
    __tablename__ = "parties_enterprise"

    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    industry_section: Mapped[str] = mapped_column(String(1))
    region_code: Mapped[str] = mapped_column(String(6))
    region_name: Mapped[str] = mapped_column(String(100))
    registered_capital_fen: Mapped[int]
    established_date: Mapped[date]
    size_class: Mapped[str] = mapped_column(String(16))
    branch: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Person(IdMixin, Base):
    __tablename__ = "parties_person"

    name: Mapped[str] = mapped_column(String(100))
    resident_id_enc: Mapped[bytes] = mapped_column(
        LargeBinary, info={"cipher_field": "resident_id"}
    )
    resident_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    resident_id_masked: Mapped[str] = mapped_column(String(18))
    mobile_enc: Mapped[bytes] = mapped_column(LargeBinary, info={"cipher_field": "mobile"})
    mobile_hash: Mapped[str] = mapped_column(String(64), index=True)
    mobile_masked: Mapped[str] = mapped_column(String(11))
    created_at: Mapped[datetime]


class Relationship(IdMixin, Base):
    __tablename__ = "parties_relationship"
    __table_args__ = (
        CheckConstraint(
            "(person_id IS NULL) <> (related_enterprise_id IS NULL)", name="one_counterparty"
        ),
        CheckConstraint("share_bp IS NULL OR (share_bp > 0 AND share_bp <= 10000)", name="share"),
    )

    enterprise_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("parties_person.id"), index=True)
    related_enterprise_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("parties_enterprise.id"), index=True
    )
    share_bp: Mapped[int | None]
    created_at: Mapped[datetime]
