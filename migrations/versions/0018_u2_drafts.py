"""drafts: a member's unsent text per place (community/composer)

Revision ID: 0018_u2
Revises: 0018_u4
Create Date: 2026-12-04 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_u2'
down_revision = '0018_u4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_drafts_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
        sa.UniqueConstraint('member_id', 'key', name=op.f('uq_drafts_member_id_key')),
    )


def downgrade():
    op.drop_table('drafts')
