"""members.deleted_at: accounts their owners deleted

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


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
