"""per-member limit of rewards

Revision ID: 0008_rewards_limit
Revises: 0007_moderation
Create Date: 2026-11-23 11:42:42.262858

rewards.per_member_limit: how many times one member may redeem a reward (NULL: no limit).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_rewards_limit'
down_revision = '0007_moderation'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('per_member_limit', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('rewards', schema=None) as batch_op:
        batch_op.drop_column('per_member_limit')

