"""charges and manager reassignment (issue 17, slice C): the products' charges catalogue, the
charges assessed on loans and their waivers, the repayment's charges bucket, and the record of
customer-manager reassignments.

Revision ID: c4a7e2b19d30
Revises: g4a7c0e1b2d3
Create Date: 2026-12-07 03:20:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "c4a7e2b19d30"
down_revision: str | Sequence[str] | None = "g4a7c0e1b2d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def _product_charge() -> None:
    op.create_table(
        "lending_product_charge",
        sa.Column("product_code", sa.String(length=32), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("rate_bp", sa.BigInteger(), nullable=False),
        sa.Column("min_fen", sa.BigInteger(), nullable=True),
        sa.Column("max_fen", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "amount_fen >= 0 AND rate_bp >= 0", name=op.f("ck_lending_product_charge_amounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_product_charge")),
        sa.UniqueConstraint(
            "product_code", "code", name=op.f("uq_lending_product_charge_product_code_code")
        ),
    )
    op.create_index(
        op.f("ix_lending_product_charge_product_code"), "lending_product_charge", ["product_code"]
    )


def _loan_charge() -> None:
    op.create_table(
        "lending_loan_charge",
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("product_charge_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("occurrence", sa.String(length=40), nullable=False),
        sa.Column("base_fen", sa.BigInteger(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("waived_fen", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "amount_fen > 0 AND paid_fen >= 0 AND waived_fen >= 0 "
            "AND paid_fen + waived_fen <= amount_fen",
            name=op.f("ck_lending_loan_charge_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"],
            name=op.f("fk_lending_loan_charge_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["lending_loan.id"],
            name=op.f("fk_lending_loan_charge_loan_id_lending_loan"),
        ),
        sa.ForeignKeyConstraint(
            ["product_charge_id"], ["lending_product_charge.id"],
            name=op.f("fk_lending_loan_charge_product_charge_id_lending_product_charge"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_loan_charge")),
        sa.UniqueConstraint(
            "loan_id", "code", "occurrence",
            name=op.f("uq_lending_loan_charge_loan_id_code_occurrence"),
        ),
    )  # fmt: skip
    op.create_index(op.f("ix_lending_loan_charge_loan_id"), "lending_loan_charge", ["loan_id"])
    op.create_index(op.f("ix_lending_loan_charge_status"), "lending_loan_charge", ["status"])


def _charge_waiver() -> None:
    op.create_table(
        "lending_charge_waiver",
        sa.Column("loan_charge_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("maker_id", sa.Uuid(), nullable=True),
        sa.Column("maker_name", sa.String(length=100), nullable=False),
        sa.Column("checker_id", sa.Uuid(), nullable=True),
        sa.Column("checker_name", sa.String(length=100), nullable=True),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_lending_charge_waiver_amount_positive")),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["core_user.id"],
            name=op.f("fk_lending_charge_waiver_checker_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["ledger_entry.id"],
            name=op.f("fk_lending_charge_waiver_entry_id_ledger_entry"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_charge_id"], ["lending_loan_charge.id"],
            name=op.f("fk_lending_charge_waiver_loan_charge_id_lending_loan_charge"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["lending_loan.id"],
            name=op.f("fk_lending_charge_waiver_loan_id_lending_loan"),
        ),
        sa.ForeignKeyConstraint(
            ["maker_id"], ["core_user.id"],
            name=op.f("fk_lending_charge_waiver_maker_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_charge_waiver")),
    )  # fmt: skip
    for col in ("loan_charge_id", "loan_id", "status"):
        op.create_index(
            op.f(f"ix_lending_charge_waiver_{col}"), "lending_charge_waiver", [col]
        )


def _manager_reassignment() -> None:
    table = "decisioning_manager_reassignment"
    op.create_table(
        table,
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("from_user_id", sa.Uuid(), nullable=True),
        sa.Column("to_user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("applications_moved", sa.BigInteger(), nullable=False),
        sa.Column("alerts_moved", sa.BigInteger(), nullable=False),
        sa.Column("made_by_id", sa.Uuid(), nullable=True),
        sa.Column("made_by_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["parties_enterprise.id"],
            name=op.f(f"fk_{table}_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["from_user_id"], ["core_user.id"], name=op.f(f"fk_{table}_from_user_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"], ["core_user.id"], name=op.f(f"fk_{table}_made_by_id_core_user")
        ),
        sa.ForeignKeyConstraint(
            ["to_user_id"], ["core_user.id"], name=op.f(f"fk_{table}_to_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    )  # fmt: skip
    for col in ("batch_id", "enterprise_id", "to_user_id"):
        op.create_index(op.f(f"ix_{table}_{col}"), table, [col])


def upgrade() -> None:
    _product_charge()
    _loan_charge()
    _charge_waiver()
    _manager_reassignment()
    with op.batch_alter_table("lending_repayment") as batch_op:
        batch_op.add_column(
            sa.Column("charges_fen", sa.BigInteger(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("lending_repayment") as batch_op:
        batch_op.drop_column("charges_fen")
    for table in (
        "decisioning_manager_reassignment",
        "lending_charge_waiver",
        "lending_loan_charge",
        "lending_product_charge",
    ):
        op.drop_table(table)
