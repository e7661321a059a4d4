"""identity: real-name verifications, encrypted face captures with their purge time, agents'
authorisations; core_otp.subject rewritten (the clear mobiles of old codes erased: the subject
is a keyed hash from now on, and every old code has expired long ago).

Revision ID: b1d3e7f2a9c4
Revises: c3a1f0e5d7b2
Create Date: 2026-12-06 21:00:00.000000+00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import puhui.core.db

revision: str = "b1d3e7f2a9c4"
down_revision: Union[str, Sequence[str], None] = "c3a1f0e5d7b2"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TS = puhui.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_verification",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("resident_id_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("mobile_enc", sa.LargeBinary(), nullable=True),
        sa.Column("mobile_masked", sa.String(length=11), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("score_bp", sa.BigInteger(), nullable=True),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("provider_ref", sa.String(length=64), nullable=False),
        sa.Column("is_sandbox", sa.Boolean(), nullable=False),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("requested_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["core_user.id"],
            name=op.f("fk_identity_verification_requested_by_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_verification")),
    )
    op.create_index(
        "ix_identity_verification_subject",
        "identity_verification",
        ["resident_id_hash", "kind"],
    )
    op.create_index(
        op.f("ix_identity_verification_mobile_hash"), "identity_verification", ["mobile_hash"]
    )
    op.create_table(
        "identity_capture",
        sa.Column("verification_id", sa.Uuid(), nullable=False),
        sa.Column("content_enc", sa.LargeBinary(), nullable=True),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("purge_after", TS, nullable=False),
        sa.Column("purged_at", TS, nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["verification_id"],
            ["identity_verification.id"],
            name=op.f("fk_identity_capture_verification_id_identity_verification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_capture")),
    )
    op.create_index(
        op.f("ix_identity_capture_verification_id"), "identity_capture", ["verification_id"]
    )
    op.create_index(op.f("ix_identity_capture_purge_after"), "identity_capture", ["purge_after"])
    op.create_table(
        "identity_agent_authorisation",
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("grantor_person_id", sa.Uuid(), nullable=False),
        sa.Column("grantor_verification_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("agent_name", sa.String(length=100), nullable=False),
        sa.Column("agent_mobile_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_mobile_masked", sa.String(length=11), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_identity_agent_authorisation_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["grantor_person_id"],
            ["parties_person.id"],
            name=op.f("fk_identity_agent_authorisation_grantor_person_id_parties_person"),
        ),
        sa.ForeignKeyConstraint(
            ["grantor_verification_id"],
            ["identity_verification.id"],
            name=op.f(
                "fk_identity_agent_authorisation_grantor_verification_id_identity_verification"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_user_id"],
            ["core_user.id"],
            name=op.f("fk_identity_agent_authorisation_granted_by_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_agent_authorisation")),
        sa.UniqueConstraint("reference", name=op.f("uq_identity_agent_authorisation_reference")),
    )
    op.create_index(
        "ix_identity_agent_lookup",
        "identity_agent_authorisation",
        ["enterprise_id", "agent_mobile_hash"],
    )
    # Old codes' subjects held clear mobiles; they expired minutes after issue: erase them.
    op.execute("UPDATE core_otp SET subject = 'erased'")


def downgrade() -> None:
    op.drop_index("ix_identity_agent_lookup", table_name="identity_agent_authorisation")
    op.drop_table("identity_agent_authorisation")
    op.drop_index(op.f("ix_identity_capture_purge_after"), table_name="identity_capture")
    op.drop_index(op.f("ix_identity_capture_verification_id"), table_name="identity_capture")
    op.drop_table("identity_capture")
    op.drop_index(op.f("ix_identity_verification_mobile_hash"), table_name="identity_verification")
    op.drop_index("ix_identity_verification_subject", table_name="identity_verification")
    op.drop_table("identity_verification")
