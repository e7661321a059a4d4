"""guarantees and collateral (issue 17 items 3, 4): guarantees on credit lines with their
history, signature, the policy's requirement and the calls on them; collateral with its
valuations; each product's security terms (secured, maximum loan-to-value).

Revision ID: g4a7c0e1b2d3
Revises: 2e14f1eff0c9
Create Date: 2026-12-07 03:20:50.235710+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import puhui.core.db

# revision identifiers, used by Alembic.
revision: str = "g4a7c0e1b2d3"
down_revision: str | Sequence[str] | None = "2e14f1eff0c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lending_product_security',
    sa.Column('product_code', sa.String(length=32), nullable=False),
    sa.Column('secured', sa.Boolean(), nullable=False),
    sa.Column('max_ltv_bp', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('max_ltv_bp > 0 AND max_ltv_bp <= 10000', name=op.f('ck_lending_product_security_ltv_range')),
    sa.ForeignKeyConstraint(['product_code'], ['lending_product.code'], name=op.f('fk_lending_product_security_product_code_lending_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_product_security')),
    sa.UniqueConstraint('product_code', name=op.f('uq_lending_product_security_product_code'))
    )
    op.create_table('lending_collateral',
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('asset_reference', sa.String(length=100), nullable=False),
    sa.Column('lien_reference', sa.String(length=100), nullable=False),
    sa.Column('valuation_fen', sa.BigInteger(), nullable=False),
    sa.Column('haircut_bp', sa.BigInteger(), nullable=False),
    sa.Column('valued_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('updated_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('haircut_bp >= 0 AND haircut_bp <= 10000', name=op.f('ck_lending_collateral_haircut_range')),
    sa.CheckConstraint('valuation_fen >= 0', name=op.f('ck_lending_collateral_valuation_nonneg')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['parties_enterprise.id'], name=op.f('fk_lending_collateral_enterprise_id_parties_enterprise')),
    sa.ForeignKeyConstraint(['line_id'], ['lending_credit_line.id'], name=op.f('fk_lending_collateral_line_id_lending_credit_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_collateral')),
    sa.UniqueConstraint('reference', name=op.f('uq_lending_collateral_reference'))
    )
    with op.batch_alter_table('lending_collateral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_collateral_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lending_collateral_status'), ['status'], unique=False)

    op.create_table('lending_guarantee',
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('guarantor_kind', sa.String(length=16), nullable=False),
    sa.Column('guarantor_person_id', sa.Uuid(), nullable=True),
    sa.Column('guarantor_enterprise_id', sa.Uuid(), nullable=True),
    sa.Column('exposure_enterprise_id', sa.Uuid(), nullable=False),
    sa.Column('signer_person_id', sa.Uuid(), nullable=False),
    sa.Column('guarantor_name', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('consent_ids', sa.JSON(), nullable=False),
    sa.Column('snapshot_ids', sa.JSON(), nullable=False),
    sa.Column('check_summary', sa.JSON(), nullable=False),
    sa.Column('checked_at', puhui.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('document_text', sa.Text(), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('sent_at', puhui.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signed_at', puhui.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("(guarantor_kind = 'person' AND guarantor_person_id IS NOT NULL) OR (guarantor_kind = 'enterprise' AND guarantor_enterprise_id IS NOT NULL)", name=op.f('ck_lending_guarantee_guarantor_given')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_lending_guarantee_amount_positive')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['parties_enterprise.id'], name=op.f('fk_lending_guarantee_enterprise_id_parties_enterprise')),
    sa.ForeignKeyConstraint(['exposure_enterprise_id'], ['parties_enterprise.id'], name=op.f('fk_lending_guarantee_exposure_enterprise_id_parties_enterprise')),
    sa.ForeignKeyConstraint(['guarantor_enterprise_id'], ['parties_enterprise.id'], name=op.f('fk_lending_guarantee_guarantor_enterprise_id_parties_enterprise')),
    sa.ForeignKeyConstraint(['guarantor_person_id'], ['parties_person.id'], name=op.f('fk_lending_guarantee_guarantor_person_id_parties_person')),
    sa.ForeignKeyConstraint(['line_id'], ['lending_credit_line.id'], name=op.f('fk_lending_guarantee_line_id_lending_credit_line')),
    sa.ForeignKeyConstraint(['signer_person_id'], ['parties_person.id'], name=op.f('fk_lending_guarantee_signer_person_id_parties_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_guarantee')),
    sa.UniqueConstraint('reference', name=op.f('uq_lending_guarantee_reference'))
    )
    with op.batch_alter_table('lending_guarantee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_guarantee_exposure_enterprise_id'), ['exposure_enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lending_guarantee_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lending_guarantee_status'), ['status'], unique=False)

    op.create_table('lending_guarantee_requirement',
    sa.Column('line_id', sa.Uuid(), nullable=False),
    sa.Column('required_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['lending_credit_line.id'], name=op.f('fk_lending_guarantee_requirement_line_id_lending_credit_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_guarantee_requirement')),
    sa.UniqueConstraint('line_id', name=op.f('uq_lending_guarantee_requirement_line_id'))
    )
    op.create_table('lending_collateral_valuation',
    sa.Column('collateral_id', sa.Uuid(), nullable=False),
    sa.Column('valuation_fen', sa.BigInteger(), nullable=False),
    sa.Column('haircut_bp', sa.BigInteger(), nullable=False),
    sa.Column('valued_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('line_exposure_fen', sa.BigInteger(), nullable=False),
    sa.Column('line_cover_fen', sa.BigInteger(), nullable=False),
    sa.Column('shortfall_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['collateral_id'], ['lending_collateral.id'], name=op.f('fk_lending_collateral_valuation_collateral_id_lending_collateral')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_collateral_valuation'))
    )
    with op.batch_alter_table('lending_collateral_valuation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_collateral_valuation_collateral_id'), ['collateral_id'], unique=False)

    op.create_table('lending_guarantee_event',
    sa.Column('guarantee_id', sa.Uuid(), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['guarantee_id'], ['lending_guarantee.id'], name=op.f('fk_lending_guarantee_event_guarantee_id_lending_guarantee')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_guarantee_event'))
    )
    with op.batch_alter_table('lending_guarantee_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_guarantee_event_guarantee_id'), ['guarantee_id'], unique=False)

    op.create_table('lending_guarantee_signature',
    sa.Column('guarantee_id', sa.Uuid(), nullable=False),
    sa.Column('signer_user_id', sa.Uuid(), nullable=False),
    sa.Column('signer_person_id', sa.Uuid(), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('signed_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('otp_id', sa.Uuid(), nullable=False),
    sa.Column('otp_message_id', sa.Uuid(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['guarantee_id'], ['lending_guarantee.id'], name=op.f('fk_lending_guarantee_signature_guarantee_id_lending_guarantee')),
    sa.ForeignKeyConstraint(['otp_id'], ['core_otp.id'], name=op.f('fk_lending_guarantee_signature_otp_id_core_otp')),
    sa.ForeignKeyConstraint(['otp_message_id'], ['core_outbox.id'], name=op.f('fk_lending_guarantee_signature_otp_message_id_core_outbox')),
    sa.ForeignKeyConstraint(['signer_person_id'], ['parties_person.id'], name=op.f('fk_lending_guarantee_signature_signer_person_id_parties_person')),
    sa.ForeignKeyConstraint(['signer_user_id'], ['core_user.id'], name=op.f('fk_lending_guarantee_signature_signer_user_id_core_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_guarantee_signature')),
    sa.UniqueConstraint('guarantee_id', name=op.f('uq_lending_guarantee_signature_guarantee_id'))
    )
    op.create_table('lending_guarantee_call',
    sa.Column('reference', sa.String(length=24), nullable=False),
    sa.Column('guarantee_id', sa.Uuid(), nullable=False),
    sa.Column('loan_id', sa.Uuid(), nullable=False),
    sa.Column('trigger', sa.String(length=24), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claim_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('dpd', sa.BigInteger(), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('created_at', puhui.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_lending_guarantee_call_amount_nonneg')),
    sa.ForeignKeyConstraint(['guarantee_id'], ['lending_guarantee.id'], name=op.f('fk_lending_guarantee_call_guarantee_id_lending_guarantee')),
    sa.ForeignKeyConstraint(['loan_id'], ['lending_loan.id'], name=op.f('fk_lending_guarantee_call_loan_id_lending_loan')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_guarantee_call')),
    sa.UniqueConstraint('guarantee_id', 'loan_id', name=op.f('uq_lending_guarantee_call_guarantee_id_loan_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_lending_guarantee_call_reference'))
    )
    with op.batch_alter_table('lending_guarantee_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_guarantee_call_guarantee_id'), ['guarantee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lending_guarantee_call_loan_id'), ['loan_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lending_guarantee_call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_call_loan_id'))
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_call_guarantee_id'))

    op.drop_table('lending_guarantee_call')
    op.drop_table('lending_guarantee_signature')
    with op.batch_alter_table('lending_guarantee_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_event_guarantee_id'))

    op.drop_table('lending_guarantee_event')
    with op.batch_alter_table('lending_collateral_valuation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_collateral_valuation_collateral_id'))

    op.drop_table('lending_collateral_valuation')
    op.drop_table('lending_guarantee_requirement')
    with op.batch_alter_table('lending_guarantee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_status'))
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_line_id'))
        batch_op.drop_index(batch_op.f('ix_lending_guarantee_exposure_enterprise_id'))

    op.drop_table('lending_guarantee')
    with op.batch_alter_table('lending_collateral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_collateral_status'))
        batch_op.drop_index(batch_op.f('ix_lending_collateral_line_id'))

    op.drop_table('lending_collateral')
    op.drop_table('lending_product_security')
