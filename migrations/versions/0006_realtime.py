"""live notification preferences

Revision ID: 0006_realtime
Revises: 0006_crm
Create Date: 2026-11-23 11:08:26.068529

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_realtime'
down_revision = '0006_crm'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_preferences',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('muted_kinds', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_live_preferences_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_live_preferences'))
    )


def downgrade():
    op.drop_table('live_preferences')
