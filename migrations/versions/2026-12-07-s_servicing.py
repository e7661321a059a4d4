"""servicing (issue 17): relief requests with their history, servicing notices (maturity, limit increase).

Revision ID: 5a17c0de5e01
Revises: 7e3a0d5c2b81
Create Date: 2026-12-07 00:30:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db
from puhui.core.migration_helpers import drop_append_only, make_append_only

# revision identifiers, used by Alembic.
revision: str = "5a17c0de5e01"
down_revision: str | Sequence[str] | None = "7e3a0d5c2b81"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def _relief_request() -> None:
    op.create_table(
        "lending_relief_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("green_channel", sa.Boolean(), nullable=False),
        sa.Column("needs_check", sa.Boolean(), nullable=False),
        sa.Column("principal_fen", sa.BigInteger(), nullable=False),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("decision_outcome", sa.String(length=16), nullable=True),
        sa.Column("maker_id", sa.Uuid(), nullable=True),
        sa.Column("maker_name", sa.String(length=100), nullable=True),
        sa.Column("checker_id", sa.Uuid(), nullable=True),
        sa.Column("checker_name", sa.String(length=100), nullable=True),
        sa.Column("officer_note", sa.Text(), nullable=True),
        sa.Column("relief_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["loan_id"], ["lending_loan.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["parties_enterprise.id"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["maker_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["checker_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["relief_id"], ["lending_relief.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    for col in ("loan_id", "enterprise_id", "status"):
        op.create_index(f"ix_lending_relief_request_{col}", "lending_relief_request", [col])
    op.create_table(
        "lending_relief_request_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["lending_relief_request.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_lending_relief_request_event_request_id",
        "lending_relief_request_event",
        ["request_id"],
    )
    make_append_only("lending_relief_request_event")


def _servicing_notice() -> None:
    op.create_table(
        "lending_servicing_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("body", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("task_done_at", UTC, nullable=True),
        sa.Column("task_done_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["enterprise_id"], ["parties_enterprise.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "subject_id", "business_date"),
    )
    for col in ("subject_id", "business_date"):
        op.create_index(f"ix_lending_servicing_notice_{col}", "lending_servicing_notice", [col])


def _limit_rules() -> None:
    op.create_table(
        "lending_limit_increase_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_by_id", sa.Uuid(), nullable=True),
        sa.Column("submitted_by_name", sa.String(length=100), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["submitted_by_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["core_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version"),
    )
    op.create_index(
        "ix_lending_limit_increase_rules_status", "lending_limit_increase_rules", ["status"]
    )


def _calendar() -> None:
    op.create_table(
        "lending_calendar_override",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    with op.batch_alter_table("lending_product") as batch:
        batch.add_column(
            sa.Column("holiday_rule", sa.String(length=24), nullable=False, server_default="none")
        )


def _pricing() -> None:
    op.create_table(
        "lending_lpr_publication",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("published_date", sa.Date(), nullable=False),
        sa.Column("tenor", sa.String(length=4), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entered_by_id", sa.Uuid(), nullable=True),
        sa.Column("entered_by_name", sa.String(length=100), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["entered_by_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["core_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_lending_lpr_publication_published_date", "lending_lpr_publication", ["published_date"]
    )
    op.create_table(
        "lending_loan_pricing",
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("tenor", sa.String(length=4), nullable=False),
        sa.Column("spread_bp", sa.Integer(), nullable=False),
        sa.Column("frequency_months", sa.Integer(), nullable=False),
        sa.Column("next_repricing_date", sa.Date(), nullable=False),
        sa.Column("last_lpr_bp", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["loan_id"], ["lending_loan.id"]),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    op.create_index(
        "ix_lending_loan_pricing_next_repricing_date",
        "lending_loan_pricing",
        ["next_repricing_date"],
    )


def _restructuring() -> None:
    op.create_table(
        "lending_restructuring",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("loan_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("new_rate_bp", sa.Integer(), nullable=False),
        sa.Column("new_term_months", sa.Integer(), nullable=False),
        sa.Column("new_method", sa.String(length=32), nullable=False),
        sa.Column("capitalise_interest", sa.Boolean(), nullable=False),
        sa.Column("capitalised_fen", sa.BigInteger(), nullable=False),
        sa.Column("observation_months", sa.Integer(), nullable=False),
        sa.Column("observation_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("proposed_by_id", sa.Uuid(), nullable=True),
        sa.Column("proposed_by_name", sa.String(length=100), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_by_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["loan_id"], ["lending_loan.id"]),
        sa.ForeignKeyConstraint(["proposed_by_id"], ["core_user.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["core_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lending_restructuring_loan_id", "lending_restructuring", ["loan_id"])
    op.create_index(
        "ix_lending_restructuring_observation_until",
        "lending_restructuring",
        ["observation_until"],
    )


def upgrade() -> None:
    _relief_request()
    _servicing_notice()
    _limit_rules()
    _calendar()
    _pricing()
    _restructuring()


def downgrade() -> None:
    op.drop_table("lending_restructuring")
    op.drop_table("lending_loan_pricing")
    op.drop_table("lending_lpr_publication")
    with op.batch_alter_table("lending_product") as batch:
        batch.drop_column("holiday_rule")
    op.drop_table("lending_calendar_override")
    op.drop_table("lending_limit_increase_rules")
    op.drop_table("lending_servicing_notice")
    drop_append_only("lending_relief_request_event")
    op.drop_table("lending_relief_request_event")
    op.drop_table("lending_relief_request")
