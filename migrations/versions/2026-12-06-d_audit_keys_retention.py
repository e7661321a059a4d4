"""core: the keyed audit chain (each row's chain algorithm; rows before it stay plain SHA-256
and keep verifying) and its signed checkpoints; the wrapped data keys of envelope encryption; the sealed (PAdES) contract.

Revision ID: d7a1c0e5b9f2
Revises: e5a1c7d90b31
Create Date: 2026-12-06 21:00:00.000000+00:00

"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import puhui.core.db
from puhui.core.migration_helpers import drop_append_only, make_append_only

# revision identifiers, used by Alembic.
revision: str = "d7a1c0e5b9f2"
down_revision: Union[str, Sequence[str], None] = "e5a1c7d90b31"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # a plain ADD COLUMN (not batch mode: on SQLite that would rebuild the table and drop its
    # append-only triggers); existing rows are the plain SHA-256 chain
    op.add_column(
        "core_audit_event",
        sa.Column("chain_alg", sa.String(length=16), nullable=False, server_default="sha256"),
    )
    op.create_table(
        "core_audit_checkpoint",
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("legacy_rows", sa.BigInteger(), nullable=False),
        sa.Column("signed_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_audit_checkpoint")),
        sa.UniqueConstraint("size", name=op.f("uq_core_audit_checkpoint_size")),
    )
    make_append_only("core_audit_checkpoint")
    op.create_table(
        "core_data_key",
        sa.Column("kid", sa.String(length=16), nullable=False),
        sa.Column("suite", sa.String(length=8), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", puhui.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", puhui.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_data_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_core_data_key_kid")),
    )


    # the signed contract, sealed by the bank (PAdES with an RFC 3161 timestamp)
    op.add_column("lending_contract", sa.Column("signed_document", sa.LargeBinary(), nullable=True))
    op.add_column(
        "lending_contract",
        sa.Column("signed_document_sha256", sa.String(length=64), nullable=True),
    )
    op.create_index(
        op.f("ix_lending_contract_signed_document_sha256"),
        "lending_contract",
        ["signed_document_sha256"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_lending_contract_signed_document_sha256"), table_name="lending_contract"
    )
    op.drop_column("lending_contract", "signed_document_sha256")
    op.drop_column("lending_contract", "signed_document")
    op.drop_table("core_data_key")
    drop_append_only("core_audit_checkpoint")
    op.drop_table("core_audit_checkpoint")
    op.drop_column("core_audit_event", "chain_alg")
