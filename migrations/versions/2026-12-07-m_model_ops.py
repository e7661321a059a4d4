"""decisioning: model monitoring runs and alerts, retrained model candidates (issue 22).

Revision ID: 7e3a0d5c2b81
Revises: a9c4e1f7b2d6
Create Date: 2026-12-07 00:50:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "7e3a0d5c2b81"
down_revision: str | Sequence[str] | None = "a9c4e1f7b2d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decisioning_model_monitoring",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("score_psi", sa.Float(), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisioning_model_monitoring")),
        sa.UniqueConstraint(
            "model_id", "model_version", "month",
            name=op.f("uq_decisioning_model_monitoring_model_id_model_version_month"),
        ),
    )  # fmt: skip
    op.create_table(
        "decisioning_model_alert",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["decisioning_model_monitoring.id"],
            name=op.f("fk_decisioning_model_alert_run_id_decisioning_model_monitoring"),
        ),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"], ["core_user.id"],
            name=op.f("fk_decisioning_model_alert_acknowledged_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisioning_model_alert")),
    )  # fmt: skip
    op.create_index(
        "ix_decisioning_model_alert_status", "decisioning_model_alert", ["status", "created_at"]
    )
    op.create_index(
        op.f("ix_decisioning_model_alert_run_id"), "decisioning_model_alert", ["run_id"]
    )
    op.create_table(
        "decisioning_model_candidate",
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("training", sa.JSON(), nullable=False),
        sa.Column("maker_id", sa.Uuid(), nullable=True),
        sa.Column("maker_name", sa.String(length=100), nullable=False),
        sa.Column("checker_id", sa.Uuid(), nullable=True),
        sa.Column("checker_name", sa.String(length=100), nullable=True),
        sa.Column("checker_note", sa.Text(), nullable=True),
        sa.Column("shadow_until", sa.Date(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("promoted_at", UTC, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maker_id"], ["core_user.id"],
            name=op.f("fk_decisioning_model_candidate_maker_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["checker_id"], ["core_user.id"],
            name=op.f("fk_decisioning_model_candidate_checker_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisioning_model_candidate")),
        sa.UniqueConstraint(
            "model_id", "version", name=op.f("uq_decisioning_model_candidate_model_id_version")
        ),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("decisioning_model_candidate")
    op.drop_index(op.f("ix_decisioning_model_alert_run_id"), table_name="decisioning_model_alert")
    op.drop_index("ix_decisioning_model_alert_status", table_name="decisioning_model_alert")
    op.drop_table("decisioning_model_alert")
    op.drop_table("decisioning_model_monitoring")
