"""members.timezone (the reader's time zone, an IANA name) and members.marked_read_at ("Mark all as read")

Revision ID: 0019_n2
Revises: 0018_u2
Create Date: 2026-12-04 21:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_n2'
down_revision = '0018_u2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('marked_read_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('marked_read_at')
        batch_op.drop_column('timezone')
