"""core: staff authentication — server-side sessions, the TOTP second factor (secret encrypted,
recovery codes hashed), WebAuthn credentials, the directory subject of single sign-on, an index
for the per-address login throttle, and applicants' usernames as keyed hashes of their mobile
(the number itself only encrypted).

Revision ID: c3a1f0e5d7b2
Revises: d7a1c0e5b9f2
Create Date: 2026-12-06 21:00:00.000000+00:00

"""

import re
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "c3a1f0e5d7b2"
down_revision: Union[str, Sequence[str], None] = "d7a1c0e5b9f2"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_MOBILE_USERNAME = re.compile(r"^m(1\d{10})$")


def _cipher():  # type: ignore[no-untyped-def]
    from puhui.core.config import get_settings
    from puhui.core.crypto import FieldCipher, load_master_key

    return FieldCipher.from_master(load_master_key(get_settings()))


def _hash_mobile_usernames() -> None:
    """`m13912345678` → `m-<keyed hash>`, the number encrypted (needs the data key)."""
    from puhui.core.auth import mobile_username

    bind = op.get_bind()
    users = sa.table(
        "core_user", sa.column("id", sa.Uuid()), sa.column("username", sa.String()),
        sa.column("mobile_enc", sa.LargeBinary()),
    )
    rows = [
        (row.id, m.group(1))
        for row in bind.execute(sa.select(users.c.id, users.c.username))
        if (m := _MOBILE_USERNAME.match(row.username))
    ]
    if not rows:
        return
    cipher = _cipher()
    for user_id, mobile in rows:
        bind.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(
                username=mobile_username(cipher, mobile),
                mobile_enc=cipher.encrypt(mobile, "core_user.mobile"),
            )
        )


def upgrade() -> None:
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mobile_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_secret_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("totp_pending_enc", sa.LargeBinary(), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enrolled_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("external_subject", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_core_user_external_subject"), ["external_subject"]
        )
    with op.batch_alter_table("core_login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_core_login_attempt_ip_at", ["ip", "attempted_at"], unique=False)
    op.create_table(
        "core_session",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("mfa_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_core_session_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_session")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_core_session_secret_hash")),
    )
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_session_user_id"), ["user_id"], unique=False)
    op.create_table(
        "core_recovery_code",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["core_user.id"], name=op.f("fk_core_recovery_code_user_id_core_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_recovery_code")),
    )
    with op.batch_alter_table("core_recovery_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_recovery_code_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "core_webauthn_credential",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("credential_id", sa.String(length=400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["core_user.id"],
            name=op.f("fk_core_webauthn_credential_user_id_core_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_webauthn_credential")),
        sa.UniqueConstraint(
            "credential_id", name=op.f("uq_core_webauthn_credential_credential_id")
        ),
    )
    with op.batch_alter_table("core_webauthn_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_core_webauthn_credential_user_id"), ["user_id"], unique=False
        )
    _hash_mobile_usernames()


def _restore_mobile_usernames() -> None:
    bind = op.get_bind()
    users = sa.table(
        "core_user", sa.column("id", sa.Uuid()), sa.column("username", sa.String()),
        sa.column("mobile_enc", sa.LargeBinary()),
    )
    rows = list(
        bind.execute(sa.select(users.c.id, users.c.mobile_enc).where(users.c.mobile_enc.isnot(None)))
    )
    if not rows:
        return
    cipher = _cipher()
    for row in rows:
        mobile = cipher.decrypt(row.mobile_enc, "core_user.mobile")
        bind.execute(users.update().where(users.c.id == row.id).values(username=f"m{mobile}"))


def downgrade() -> None:
    _restore_mobile_usernames()
    with op.batch_alter_table("core_webauthn_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_webauthn_credential_user_id"))
    op.drop_table("core_webauthn_credential")
    with op.batch_alter_table("core_recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_recovery_code_user_id"))
    op.drop_table("core_recovery_code")
    with op.batch_alter_table("core_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_session_user_id"))
    op.drop_table("core_session")
    with op.batch_alter_table("core_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_core_login_attempt_ip_at")
    with op.batch_alter_table("core_user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_core_user_external_subject"), type_="unique")
        batch_op.drop_column("external_subject")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enrolled_at")
        batch_op.drop_column("totp_pending_enc")
        batch_op.drop_column("totp_secret_enc")
        batch_op.drop_column("mobile_enc")
