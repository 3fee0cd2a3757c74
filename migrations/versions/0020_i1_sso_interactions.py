"""single sign-on: providers an admin configured and the identities members linked (community/sso); social
interactions in the CRM and the handles staff set on profiles (crm_bridge/interactions.py)

Revision ID: 0020_i1
Revises: 0020_x1
Create Date: 2026-12-05 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_i1'
down_revision = '0020_x1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_providers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('issuer', sa.String(length=300), nullable=False),
        sa.Column('client_id', sa.String(length=300), nullable=False),
        sa.Column('client_secret', sa.String(length=500), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_providers')),
        sa.UniqueConstraint('slug', name=op.f('uq_sso_providers_slug')),
    )
    op.create_table(
        'sso_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=32), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('email_verified', sa.Boolean(), nullable=False),
        sa.Column('username', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sso_identities_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
        sa.UniqueConstraint('provider', 'subject', name=op.f('uq_sso_identities_provider_subject')),
    )
    op.create_index(op.f('ix_sso_identities_member_id'), 'sso_identities', ['member_id'], unique=False)
    op.create_table(
        'crm_interactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('external_id', sa.String(length=200), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('direction', sa.String(length=8), nullable=False),
        sa.Column('handle', sa.String(length=200), nullable=False),
        sa.Column('handle_key', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('sentiment_score', sa.Float(), nullable=True),
        sa.Column('sentiment_label', sa.String(length=8), nullable=False),
        sa.Column('feedback_kind', sa.String(length=16), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_crm_interactions_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['members.id'],
                                name=op.f('fk_crm_interactions_recorded_by_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_interactions')),
        sa.UniqueConstraint('external_id', name=op.f('uq_crm_interactions_external_id')),
    )
    op.create_index('ix_crm_interactions_status_occurred', 'crm_interactions', ['status', 'occurred_at'])
    op.create_index('ix_crm_interactions_member_occurred', 'crm_interactions', ['member_id', 'occurred_at'])
    op.create_index('ix_crm_interactions_channel_handle', 'crm_interactions', ['channel', 'handle_key'])
    op.create_table(
        'crm_social_handles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('handle', sa.String(length=200), nullable=False),
        sa.Column('handle_key', sa.String(length=200), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_crm_social_handles_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['members.id'],
                                name=op.f('fk_crm_social_handles_created_by_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_social_handles')),
        sa.UniqueConstraint('channel', 'handle_key', name=op.f('uq_crm_social_handles_channel_handle_key')),
    )
    op.create_index(op.f('ix_crm_social_handles_member_id'), 'crm_social_handles', ['member_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_crm_social_handles_member_id'), table_name='crm_social_handles')
    op.drop_table('crm_social_handles')
    for name in ('ix_crm_interactions_channel_handle', 'ix_crm_interactions_member_occurred',
                 'ix_crm_interactions_status_occurred'):
        op.drop_index(name, table_name='crm_interactions')
    op.drop_table('crm_interactions')
    op.drop_index(op.f('ix_sso_identities_member_id'), table_name='sso_identities')
    op.drop_table('sso_identities')
    op.drop_table('sso_providers')
