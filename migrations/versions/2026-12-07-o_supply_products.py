"""receivables (issue 20): orders, warehouse receipts, dealer programmes on the log — their
query table (the statements themselves are log entries like any other).

Revision ID: o20c5b7a9e13
Revises: p7c3a9e1d2f4
Create Date: 2026-12-07 03:30:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "o20c5b7a9e13"
down_revision: str | Sequence[str] | None = "p7c3a9e1d2f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "receivables_supply_item",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=False),
        sa.Column("counterparty", sa.String(length=64), nullable=True),
        sa.Column("parent", sa.String(length=80), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receivables_supply_item")),
    )
    table = "receivables_supply_item"
    op.create_index(f"ix_{table}_kind_party", table, ["kind", "party"])
    op.create_index(f"ix_{table}_kind_counterparty", table, ["kind", "counterparty"])
    op.create_index(f"ix_{table}_parent", table, ["parent"])


def downgrade() -> None:
    op.drop_table("receivables_supply_item")
