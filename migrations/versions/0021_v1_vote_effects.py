"""vote_effects: the durable marker of votes whose lagging effects (reputation, points, badges, trust likes)
are applied after commit (community/votes/effects.py)

Revision ID: 0021_v1
Revises: 0021_e1
Create Date: 2026-12-05 03:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_v1'
down_revision = '0021_e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'vote_effects',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('voter_id', sa.Integer(), nullable=False),
        sa.Column('value', sa.SmallInteger(), nullable=False),
        sa.Column('previous', sa.SmallInteger(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_effects')),
    )


def downgrade():
    op.drop_table('vote_effects')
