"""site settings: one row per declared setting an admin changed (community/settings.py)

Revision ID: 0016_settings
Revises: 0015_a2
Create Date: 2026-12-04 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016_settings'
down_revision = '0015_a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['members.id'], name=op.f('fk_site_settings_updated_by_id_members'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_site_settings')),
    )


def downgrade():
    op.drop_table('site_settings')
