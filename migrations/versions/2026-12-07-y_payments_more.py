"""payments, issue 16 leftovers: the limits the legal representative sets on an authorised
agent's payouts and the payouts agents initiated (the daily cap), who set "trusted payees only"
(the default for an older sole proprietor or large-type mode), the account receivables' payouts
go to.

Revision ID: y1d6b2c8e4a7
Revises: o20c5b7a9e13
Create Date: 2026-12-07 03:20:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

revision: str = "y1d6b2c8e4a7"
down_revision: str | Sequence[str] | None = "o20c5b7a9e13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payments_agent_limit",
        sa.Column("authorisation_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("per_payment_cap_fen", sa.BigInteger(), nullable=True),
        sa.Column("per_day_cap_fen", sa.BigInteger(), nullable=True),
        sa.Column("trusted_only", sa.Boolean(), nullable=False),
        sa.Column("updated_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["identity_agent_authorisation.id"],
            name=op.f("fk_payments_agent_limit_authorisation_id_identity_agent_authorisation"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_payments_agent_limit_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("authorisation_id", name=op.f("pk_payments_agent_limit")),
    )
    with op.batch_alter_table("payments_agent_limit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_agent_limit_enterprise_id"), ["enterprise_id"], unique=False
        )
    op.create_table(
        "payments_agent_payout",
        sa.Column("authorisation_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("payout_account_id", sa.Uuid(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "amount_fen > 0", name=op.f("ck_payments_agent_payout_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["identity_agent_authorisation.id"],
            name=op.f("fk_payments_agent_payout_authorisation_id_identity_agent_authorisation"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_payments_agent_payout_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_account_id"],
            ["payments_payout_account.id"],
            name=op.f("fk_payments_agent_payout_payout_account_id_payments_payout_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_agent_payout")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_payments_agent_payout_idempotency_key")
        ),
    )
    with op.batch_alter_table("payments_agent_payout", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payments_agent_payout_day", ["authorisation_id", "business_date"], unique=False
        )
    with op.batch_alter_table("payments_guardian", schema=None) as batch_op:
        batch_op.add_column(sa.Column("trusted_only_by", sa.String(length=16), nullable=True))
    with op.batch_alter_table("payments_payout_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "receives_receivables", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("payments_payout_account", schema=None) as batch_op:
        batch_op.drop_column("receives_receivables")
    with op.batch_alter_table("payments_guardian", schema=None) as batch_op:
        batch_op.drop_column("trusted_only_by")
    with op.batch_alter_table("payments_agent_payout", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_agent_payout_day")
    op.drop_table("payments_agent_payout")
    with op.batch_alter_table("payments_agent_limit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_agent_limit_enterprise_id"))
    op.drop_table("payments_agent_limit")
