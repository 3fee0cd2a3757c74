"""two-factor authentication (member_second_factors: TOTP apps and WebAuthn passkeys, member_recovery_codes) and the address of each
sign-in session (member_sessions.address, shown in the member's list of sessions)

Revision ID: 0020_i2
Revises: 0020_i1
Create Date: 2026-12-05 00:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_i2'
down_revision = '0020_i1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_second_factors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=64), nullable=False, server_default=''),
    sa.Column('credential_id', sa.String(length=255), nullable=True),
    sa.Column('public_key', sa.Text(), nullable=True),
    sa.Column('sign_count', sa.Integer(), nullable=False, server_default='0'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_second_factors_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_second_factors')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_member_second_factors_credential_id')))
    with op.batch_alter_table('member_second_factors') as batch:
        batch.create_index(batch.f('ix_member_second_factors_member_id'), ['member_id'], unique=False)
    op.create_table('member_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_recovery_codes_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_recovery_codes')))
    with op.batch_alter_table('member_recovery_codes') as batch:
        batch.create_index(batch.f('ix_member_recovery_codes_member_id'), ['member_id'], unique=False)
    with op.batch_alter_table('member_sessions') as batch:
        batch.add_column(sa.Column('address', sa.String(length=64), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('member_sessions') as batch:
        batch.drop_column('address')
    with op.batch_alter_table('member_recovery_codes') as batch:
        batch.drop_index(batch.f('ix_member_recovery_codes_member_id'))
    op.drop_table('member_recovery_codes')
    with op.batch_alter_table('member_second_factors') as batch:
        batch.drop_index(batch.f('ix_member_second_factors_member_id'))
    op.drop_table('member_second_factors')
