"""engagement: campaigns (audience × channel × schedule, maker-checker), their touches,
in-app messages, call tasks (workbench and remote queue), conversions and servicing notices.

Revision ID: 2e14f1eff0c9
Revises: t1a0c7e3b9d2
Create Date: 2026-12-07 03:22:02.841569+00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import puhui.core.db


# revision identifiers, used by Alembic.
revision: str = "2e14f1eff0c9"
down_revision: Union[str, Sequence[str], None] = "t1a0c7e3b9d2"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "engagement_campaign",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("audience_kind", sa.String(length=16), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("template", sa.String(length=500), nullable=False),
        sa.Column("call_script", sa.String(length=2000), nullable=True),
        sa.Column("call_team", sa.String(length=16), nullable=True),
        sa.Column("scheduled_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.Column("approved_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["core_user.id"],
            name=op.f("fk_engagement_campaign_approved_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["core_user.id"],
            name=op.f("fk_engagement_campaign_created_by_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_campaign")),
    )
    with op.batch_alter_table("engagement_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagement_campaign_status"), ["status"], unique=False)

    op.create_table(
        "engagement_in_app_message",
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_in_app_message_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_in_app_message")),
    )
    with op.batch_alter_table("engagement_in_app_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_in_app_message_enterprise", ["enterprise_id"], unique=False
        )
        batch_op.create_index("ix_engagement_in_app_message_mobile", ["mobile_hash"], unique=False)

    op.create_table(
        "engagement_notice",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.Column("in_app_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_notice_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_notice")),
        sa.UniqueConstraint("key", name=op.f("uq_engagement_notice_key")),
    )
    op.create_table(
        "engagement_call_task",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("team", sa.String(length=16), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=True),
        sa.Column("value_fen", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("script", sa.String(length=2000), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("outcome_note", sa.String(length=500), nullable=True),
        sa.Column("done_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["engagement_campaign.id"],
            name=op.f("fk_engagement_call_task_campaign_id_engagement_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"],
            ["core_user.id"],
            name=op.f("fk_engagement_call_task_done_by_id_core_user"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_call_task_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_call_task")),
    )
    with op.batch_alter_table("engagement_call_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_call_task_enterprise_source", ["enterprise_id", "source"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_call_task_team_open", ["team", "done_at"], unique=False
        )

    op.create_table(
        "engagement_campaign_touch",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("mobile_hash", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("due_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outbox_message_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["engagement_campaign.id"],
            name=op.f("fk_engagement_campaign_touch_campaign_id_engagement_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_campaign_touch_enterprise_id_parties_enterprise"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_campaign_touch")),
        sa.UniqueConstraint(
            "campaign_id",
            "recipient",
            name=op.f("uq_engagement_campaign_touch_campaign_id_recipient"),
        ),
        sa.UniqueConstraint("token", name=op.f("uq_engagement_campaign_touch_token")),
    )
    with op.batch_alter_table("engagement_campaign_touch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_engagement_campaign_touch_enterprise_sent",
            ["enterprise_id", "sent_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_engagement_campaign_touch_mobile_sent", ["mobile_hash", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_campaign_touch_status_due", ["status", "due_at"], unique=False
        )

    op.create_table(
        "engagement_conversion",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("touch_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Uuid(), nullable=True),
        sa.Column("reached_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["engagement_campaign.id"],
            name=op.f("fk_engagement_conversion_campaign_id_engagement_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["parties_enterprise.id"],
            name=op.f("fk_engagement_conversion_enterprise_id_parties_enterprise"),
        ),
        sa.ForeignKeyConstraint(
            ["touch_id"],
            ["engagement_campaign_touch.id"],
            name=op.f("fk_engagement_conversion_touch_id_engagement_campaign_touch"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_conversion")),
        sa.UniqueConstraint(
            "campaign_id",
            "touch_id",
            "stage",
            name=op.f("uq_engagement_conversion_campaign_id_touch_id_stage"),
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("engagement_conversion")
    with op.batch_alter_table("engagement_campaign_touch", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_campaign_touch_status_due")
        batch_op.drop_index("ix_engagement_campaign_touch_mobile_sent")
        batch_op.drop_index("ix_engagement_campaign_touch_enterprise_sent")

    op.drop_table("engagement_campaign_touch")
    with op.batch_alter_table("engagement_call_task", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_call_task_team_open")
        batch_op.drop_index("ix_engagement_call_task_enterprise_source")

    op.drop_table("engagement_call_task")
    op.drop_table("engagement_notice")
    with op.batch_alter_table("engagement_in_app_message", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_in_app_message_mobile")
        batch_op.drop_index("ix_engagement_in_app_message_enterprise")

    op.drop_table("engagement_in_app_message")
    with op.batch_alter_table("engagement_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_campaign_status"))

    op.drop_table("engagement_campaign")
