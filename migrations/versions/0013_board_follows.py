"""board follows: new threads of followed boards in the mail digest

Revision ID: 0013_board_follows
Revises: 0012_api
Create Date: 2026-11-23 14:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_board_follows'
down_revision = '0012_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_follows',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('board_id', 'member_id')
    )
    with op.batch_alter_table('board_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_follows_member_id'), ['member_id'], unique=False)


def downgrade():
    op.drop_table('board_follows')
