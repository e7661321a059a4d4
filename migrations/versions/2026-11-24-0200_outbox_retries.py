"""core: outbox retries — attempts, the time of the next attempt, the message's expiry, and an
index for the dispatcher's query (pending messages, oldest first).

Revision ID: 9a6f3c1d2e47
Revises: 7c41d2e9a3b8
Create Date: 2026-11-24 02:00:00.000000+00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "9a6f3c1d2e47"
down_revision: Union[str, Sequence[str], None] = "7c41d2e9a3b8"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("core_outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempts", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("next_attempt_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("expires_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_core_outbox_status_created", ["status", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("core_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_core_outbox_status_created")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
