"""lending: non-accrual date on the loan, write-offs and their recoveries, the month-end class
snapshot; risk: collection cases, contacts, promises to pay, reminders (issue 14, items 4-5).

Revision ID: 4c0a9e2f7b15
Revises: 7e1a9c3f5b20
Create Date: 2026-12-07 00:30:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

revision: str = "4c0a9e2f7b15"
down_revision: str | Sequence[str] | None = "7e1a9c3f5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def _lending() -> None:
    with op.batch_alter_table("lending_loan") as batch:
        batch.add_column(sa.Column("non_accrual_since", sa.Date(), nullable=True))
    op.create_table(
        "lending_write_off",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("interest_fen", sa.BigInteger(), nullable=False),
        sa.Column("penalty_fen", sa.BigInteger(), nullable=False),
        sa.Column("reserve_used_fen", sa.BigInteger(), nullable=False),
        sa.Column("expense_fen", sa.BigInteger(), nullable=False),
        sa.Column("recovered_fen", sa.BigInteger(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("proposed_at", UTC, nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "principal_fen >= 0 AND interest_fen >= 0 AND penalty_fen >= 0"
            " AND recovered_fen >= 0",
            name=op.f("ck_lending_write_off_nonneg"),
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["lending_loan.id"], name=op.f("fk_lending_write_off_loan_id_lending_loan")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_lending_write_off_entry_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_write_off")),
        sa.UniqueConstraint("reference", name=op.f("uq_lending_write_off_reference")),
    )
    op.create_index("ix_lending_write_off_loan", "lending_write_off", ["loan_id", "status"])
    op.create_table(
        "lending_write_off_recovery",
        sa.Column("write_off_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("entry_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_lending_write_off_recovery_positive")),
        sa.ForeignKeyConstraint(
            ["write_off_id"],
            ["lending_write_off.id"],
            name=op.f("fk_lending_write_off_recovery_write_off_id_lending_write_off"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["ledger_entry.id"],
            name=op.f("fk_lending_write_off_recovery_entry_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lending_write_off_recovery")),
        sa.UniqueConstraint(
            "write_off_id",
            "idempotency_key",
            name=op.f("uq_lending_write_off_recovery_write_off_id"),
        ),
    )
    op.create_table(
        "lending_class_snapshot",
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("classification", sa.String(length=16), nullable=False),
        sa.Column("dpd", sa.BigInteger(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("as_of_date", "loan_id", name=op.f("pk_lending_class_snapshot")),
    )


def _risk() -> None:
    op.create_table(
        "risk_collection_case",
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("loan_reference", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.String(length=8), nullable=False),
        sa.Column("dpd", sa.BigInteger(), nullable=False),
        sa.Column("overdue_fen", sa.BigInteger(), nullable=False),
        sa.Column("assignee_role", sa.String(length=32), nullable=False),
        sa.Column("assignee_user_id", sa.Uuid(), nullable=True),
        sa.Column("opened_date", sa.Date(), nullable=False),
        sa.Column("escalated_date", sa.Date(), nullable=True),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.Column("close_reason", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_collection_case")),
    )
    op.create_index(
        "ix_risk_collection_case_status_bucket", "risk_collection_case", ["status", "bucket"]
    )
    op.create_index("ix_risk_collection_case_loan", "risk_collection_case", ["loan_id", "status"])
    op.create_table(
        "risk_collection_contact",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_collection_contact")),
    )
    op.create_index(
        op.f("ix_risk_collection_contact_case_id"), "risk_collection_contact", ["case_id"]
    )
    op.create_table(
        "risk_promise_to_pay",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("promised_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("repaid_before_fen", sa.BigInteger(), nullable=False),
        sa.Column("repaid_fen", sa.BigInteger(), nullable=False),
        sa.Column("resolved_date", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_risk_promise_to_pay_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_promise_to_pay")),
    )
    op.create_index(op.f("ix_risk_promise_to_pay_case_id"), "risk_promise_to_pay", ["case_id"])
    op.create_table(
        "risk_collection_reminder",
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("instalment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_collection_reminder")),
        sa.UniqueConstraint(
            "instalment_id", "kind", name=op.f("uq_risk_collection_reminder_instalment_id")
        ),
    )


def upgrade() -> None:
    _lending()
    _risk()


def downgrade() -> None:
    for table in (
        "risk_collection_reminder",
        "risk_promise_to_pay",
        "risk_collection_contact",
        "risk_collection_case",
        "lending_class_snapshot",
        "lending_write_off_recovery",
    ):
        op.drop_table(table)
    op.drop_index("ix_lending_write_off_loan", table_name="lending_write_off")
    op.drop_table("lending_write_off")
    with op.batch_alter_table("lending_loan") as batch:
        batch.drop_column("non_accrual_since")
