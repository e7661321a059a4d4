"""interviews: video interviews (视频面谈), their status history and each party's recording
consent; decisioning: the evidence of a review (append-only).

Revision ID: e5a1c7d90b31
Revises: 9a6f3c1d2e47
Create Date: 2026-12-06 21:00:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db
from puhui.core.migration_helpers import drop_append_only, make_append_only

# revision identifiers, used by Alembic.
revision: str = "e5a1c7d90b31"
down_revision: str | Sequence[str] | None = "9a6f3c1d2e47"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = puhui.core.db.UTCDateTime(timezone=True)


def _interview() -> None:
    op.create_table(
        "interviews_interview",
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("subject_reference", sa.String(length=40), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("officer_user_id", sa.Uuid(), nullable=False),
        sa.Column("officer_name", sa.String(length=100), nullable=False),
        sa.Column("applicant_user_id", sa.Uuid(), nullable=True),
        sa.Column("checklist_version", sa.String(length=32), nullable=False),
        sa.Column("checklist_answers", sa.JSON(), nullable=False),
        sa.Column("checklist_answered_at", UTC, nullable=True),
        sa.Column("recording_file", sa.String(length=80), nullable=True),
        sa.Column("recording_sha256", sa.String(length=64), nullable=True),
        sa.Column("recording_bytes", sa.BigInteger(), nullable=True),
        sa.Column("recording_mime", sa.String(length=60), nullable=True),
        sa.Column("recording_key_id", sa.String(length=16), nullable=True),
        sa.Column("recorded_at", UTC, nullable=True),
        sa.Column("recording_purge_after", UTC, nullable=True),
        sa.Column("recording_purged_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("connected_at", UTC, nullable=True),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_interviews_interview_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_user_id"],
            ["core_user.id"],
            name=op.f("fk_interviews_interview_officer_user_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["applicant_user_id"],
            ["core_user.id"],
            name=op.f("fk_interviews_interview_applicant_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews_interview")),
    )
    op.create_index(
        "ix_interviews_interview_subject", "interviews_interview", ["subject_kind", "subject_id"]
    )
    op.create_index(
        "ix_interviews_interview_enterprise_status",
        "interviews_interview",
        ["enterprise_id", "status"],
    )
    op.create_index(
        "ix_interviews_interview_purge", "interviews_interview", ["recording_purge_after"]
    )


def _history_and_consent() -> None:
    op.create_table(
        "interviews_interview_event",
        sa.Column("interview_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews_interview.id"],
            name=op.f("fk_interviews_interview_event_interview_id_interviews_interview"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews_interview_event")),
    )
    op.create_index(
        op.f("ix_interviews_interview_event_interview_id"),
        "interviews_interview_event",
        ["interview_id"],
    )
    op.create_table(
        "interviews_consent",
        sa.Column("interview_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("text_version", sa.String(length=48), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consented_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interview_id"],
            ["interviews_interview.id"],
            name=op.f("fk_interviews_consent_interview_id_interviews_interview"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_interviews_consent_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interviews_consent")),
        sa.UniqueConstraint(
            "interview_id", "party", name=op.f("uq_interviews_consent_interview_id_party")
        ),
    )


def _review_evidence() -> None:
    op.create_table(
        "decisioning_review_evidence",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_name", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["decisioning_review.id"],
            name=op.f("fk_decisioning_review_evidence_review_id_decisioning_review"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["core_user.id"],
            name=op.f("fk_decisioning_review_evidence_recorded_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisioning_review_evidence")),
        sa.UniqueConstraint(
            "review_id",
            "kind",
            "ref_id",
            name=op.f("uq_decisioning_review_evidence_review_id_kind_ref_id"),
        ),
    )
    op.create_index(
        op.f("ix_decisioning_review_evidence_review_id"),
        "decisioning_review_evidence",
        ["review_id"],
    )
    make_append_only("decisioning_review_evidence")


def upgrade() -> None:
    _interview()
    _history_and_consent()
    _review_evidence()


def downgrade() -> None:
    drop_append_only("decisioning_review_evidence")
    op.drop_index(
        op.f("ix_decisioning_review_evidence_review_id"), table_name="decisioning_review_evidence"
    )
    op.drop_table("decisioning_review_evidence")
    op.drop_table("interviews_consent")
    op.drop_index(
        op.f("ix_interviews_interview_event_interview_id"), table_name="interviews_interview_event"
    )
    op.drop_table("interviews_interview_event")
    op.drop_index("ix_interviews_interview_purge", table_name="interviews_interview")
    op.drop_index("ix_interviews_interview_enterprise_status", table_name="interviews_interview")
    op.drop_index("ix_interviews_interview_subject", table_name="interviews_interview")
    op.drop_table("interviews_interview")
