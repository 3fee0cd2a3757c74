"""single sign-on: providers an admin configured and the identities members linked (community/sso)

Revision ID: 0020_i1
Revises: 0019_n4
Create Date: 2026-12-05 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_i1'
down_revision = '0019_n4'
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


def downgrade():
    op.drop_index(op.f('ix_sso_identities_member_id'), table_name='sso_identities')
    op.drop_table('sso_identities')
    op.drop_table('sso_providers')
