"""lending: a credit line's reference is made from its id (`CL-20261123-XXXXXXXXXXX`, 23
characters) instead of a per-year counter, so its column is widened to 24 like an application's.

SQLite does not enforce VARCHAR lengths: only PostgreSQL's column changes.

Revision ID: 7c41d2e9a3b8
Revises: 5e0d1c2b7a90
Create Date: 2026-11-24 00:10:00.000000+00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7c41d2e9a3b8"
down_revision: Union[str, Sequence[str], None] = "5e0d1c2b7a90"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "lending_credit_line",
            "reference",
            type_=sa.String(length=24),
            existing_type=sa.String(length=20),
            existing_nullable=False,
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(
            "lending_credit_line",
            "reference",
            type_=sa.String(length=20),
            existing_type=sa.String(length=24),
            existing_nullable=False,
        )
