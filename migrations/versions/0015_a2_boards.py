"""boards administration: Chinese name and description, default sort, who may start threads, archiving

Revision ID: 0015_a2
Revises: 0015_a1
Create Date: 2026-12-04 15:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015_a2'
down_revision = '0015_a1'  # chained after 0015_s2 and 0015_a1 (already on main): one head
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_zh', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('description_zh', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('default_sort', sa.String(length=16), server_default='latest', nullable=False))
        batch_op.add_column(sa.Column('start_policy', sa.Enum('members', 'trust', 'staff', name='startpolicy',
                                                              native_enum=False, length=16),
                                      server_default='members', nullable=False))
        batch_op.add_column(sa.Column('start_min_trust', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_column('archived_at')
        batch_op.drop_column('start_min_trust')
        batch_op.drop_column('start_policy')
        batch_op.drop_column('default_sort')
        batch_op.drop_column('description_zh')
        batch_op.drop_column('name_zh')
