"""a write-off's claim includes the charges still owed (lending_write_off.fee_fen)

Revision ID: f8e1d2c3b4a5
Revises: c4a7e2b19d30
Create Date: 2026-12-07 07:00:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f8e1d2c3b4a5"
down_revision: str | Sequence[str] | None = "c4a7e2b19d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "lending_write_off",
        sa.Column("fee_fen", sa.BigInteger(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("lending_write_off") as batch:
        batch.drop_column("fee_fen")
