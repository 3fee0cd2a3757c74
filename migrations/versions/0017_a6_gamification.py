"""gamification: custom badges (rule, threshold), badges' Chinese name and description, enabling badges

Built-in badges keep their rows (created on first grant) and their grants; they get rule NULL and
enabled true, so nothing already granted changes.

Revision ID: 0017_a6
Revises: 0016_settings
Create Date: 2026-12-04 17:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017_a6'
down_revision = '0016_settings'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_zh', sa.String(length=255), server_default='', nullable=False))
        batch_op.add_column(sa.Column('rule', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('enabled', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_column('enabled')
        batch_op.drop_column('threshold')
        batch_op.drop_column('rule')
        batch_op.drop_column('description_zh')
        batch_op.drop_column('name_zh')
