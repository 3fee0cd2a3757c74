"""registration: invitation links and the approval queue (community/members/registration.py)

Revision ID: 0017_a4
Revises: 0016_settings
Create Date: 2026-12-04 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017_a4'
down_revision = '0017_a5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'registration_invites',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_key', sa.String(length=254), nullable=False),
        sa.Column('max_uses', sa.Integer(), nullable=False),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['members.id'],
                                name=op.f('fk_registration_invites_created_by_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_invites')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_registration_invites_token_hash')),
    )
    op.create_table(
        'member_approvals',
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('pending', 'approved', 'rejected', name='approvalstatus', native_enum=False,
                                    length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_approvals_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['members.id'],
                                name=op.f('fk_member_approvals_decided_by_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_approvals')),
    )
    with op.batch_alter_table('member_approvals') as batch_op:
        batch_op.create_index(batch_op.f('ix_member_approvals_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('member_approvals') as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_approvals_status'))
    op.drop_table('member_approvals')
    op.drop_table('registration_invites')
