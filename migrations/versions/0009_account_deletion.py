"""members.deleted_at (accounts their owners deleted), members.email_verified_at; crm_contacts

Revision ID: 0009_account_deletion
Revises: 0008_rewards_limit
Create Date: 2026-11-23 13:10:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0009_account_deletion'
down_revision = '0008_rewards_limit'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('crm_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('match_key', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('company', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('unlinked', 'linked', 'ambiguous', name='contactstatus', native_enum=False, length=16), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['members.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id')
    )
    with op.batch_alter_table('crm_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_contacts_match_key'), ['match_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_contacts_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_crm_contacts_status'), ['status'], unique=False)


def downgrade():
    op.drop_table('crm_contacts')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
        batch_op.drop_column('deleted_at')
