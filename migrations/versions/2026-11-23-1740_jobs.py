"""jobs: batch job runs (one per job and business date) and their steps with checkpoints.

Revision ID: 5e0d1c2b7a90
Revises: 10ea14381c5d
Create Date: 2026-11-23 17:40:00.000000+00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "5e0d1c2b7a90"
down_revision: Union[str, Sequence[str], None] = "10ea14381c5d"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "jobs_run",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("started_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_run")),
        sa.UniqueConstraint("job", "business_date", name=op.f("uq_jobs_run_job_business_date")),
    )
    op.create_table(
        "jobs_run_step",
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.String(length=64), nullable=True),
        sa.Column("batches", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("started_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["jobs_run.id"], name=op.f("fk_jobs_run_step_run_id_jobs_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs_run_step")),
        sa.UniqueConstraint("run_id", "step", name=op.f("uq_jobs_run_step_run_id_step")),
    )


def downgrade() -> None:
    op.drop_table("jobs_run_step")
    op.drop_table("jobs_run")
