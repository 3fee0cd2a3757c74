"""site_settings_generation: one row whose random token every save of the site settings replaces, so that a process
keeps the settings it read while the token it reads with each signed-in member stays the same (community/settings.py)

Revision ID: 0024_fx5
Revises: 0023_ph
Create Date: 2026-12-05 17:00:00

"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0024_fx5'
down_revision = '0023_ph'
branch_labels = None
depends_on = None


def upgrade():
    generation = op.create_table(
        'site_settings_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings_generation')),
    )
    op.bulk_insert(generation, [{'id': 1, 'token': secrets.token_hex(16)}])


def downgrade():
    op.drop_table('site_settings_generation')
