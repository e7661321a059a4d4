"""engagement: pre-screening runs and their indicative offers (预授信), daily segment runs and
segment membership history.

Revision ID: 7e1a9c3f5b20
Revises: 5a17c0de5e01
Create Date: 2026-12-07 00:33:16.437857+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db


# revision identifiers, used by Alembic.
revision: str = "7e1a9c3f5b20"
down_revision: str | Sequence[str] | None = "5a17c0de5e01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "engagement_segment_run",
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("definition_version", sa.String(length=32), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_segment_run")),
        sa.UniqueConstraint("business_date", name=op.f("uq_engagement_segment_run_business_date")),
    )
    op.create_table(
        "engagement_prescreen_run",
        sa.Column("list_kind", sa.String(length=24), nullable=False),
        sa.Column("list_name", sa.String(length=200), nullable=False),
        sa.Column("core_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("agreement_ref", sa.String(length=100), nullable=True),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("policy_name", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.BigInteger(), nullable=False),
        sa.Column("policy_sha256", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("product_code", sa.String(length=32), nullable=False),
        sa.Column("green_spread_bp", sa.BigInteger(), nullable=False),
        sa.Column("rows_total", sa.BigInteger(), nullable=False),
        sa.Column("offers_count", sa.BigInteger(), nullable=False),
        sa.Column("green_count", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["core_enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_prescreen_run_core_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["core_user.id"],
            name=op.f("fk_engagement_prescreen_run_created_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_prescreen_run")),
    )
    op.create_table(
        "engagement_segment_membership",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("segment", sa.String(length=24), nullable=False),
        sa.Column("definition_version", sa.String(length=32), nullable=False),
        sa.Column("entered_date", sa.Date(), nullable=False),
        sa.Column("left_date", sa.Date(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_segment_membership_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_segment_membership")),
    )
    with op.batch_alter_table("engagement_segment_membership", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_segment_membership_enterprise", ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_segment_membership_segment_left", ["segment", "left_date"], unique=False
        )

    op.create_table(
        "engagement_offer",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_key", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("knockouts", sa.String(length=500), nullable=True),
        sa.Column("green", sa.Boolean(), nullable=False),
        sa.Column("green_category", sa.String(length=4), nullable=True),
        sa.Column("indicative_limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("rate_bp", sa.BigInteger(), nullable=True),
        sa.Column("product_code", sa.String(length=32), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_offer_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["engagement_prescreen_run.id"],
            name=op.f("fk_engagement_offer_run_id_engagement_prescreen_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_offer")),
    )
    with op.batch_alter_table("engagement_offer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_offer_enterprise_state", ["enterprise_id", "state"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_offer_run_outcome", ["run_id", "outcome"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_engagement_offer_contact_mobile_hash"),
            ["contact_mobile_hash"],
            unique=False,
        )

    op.create_table(
        "engagement_marketing_opt_out",
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("opted_out_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_marketing_opt_out_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_marketing_opt_out")),
    )
    with op.batch_alter_table("engagement_marketing_opt_out", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_marketing_opt_out_enterprise", ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_marketing_opt_out_mobile", ["mobile_hash"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("engagement_marketing_opt_out", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_marketing_opt_out_mobile")
        batch_op.drop_index("ix_engagement_marketing_opt_out_enterprise")

    op.drop_table("engagement_marketing_opt_out")
    with op.batch_alter_table("engagement_offer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_offer_contact_mobile_hash"))
        batch_op.drop_index("ix_engagement_offer_run_outcome")
        batch_op.drop_index("ix_engagement_offer_enterprise_state")

    op.drop_table("engagement_offer")
    with op.batch_alter_table("engagement_segment_membership", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_segment_membership_segment_left")
        batch_op.drop_index("ix_engagement_segment_membership_enterprise")

    op.drop_table("engagement_segment_membership")
    op.drop_table("engagement_prescreen_run")
    op.drop_table("engagement_segment_run")
