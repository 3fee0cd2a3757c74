"""trust levels: member activity counters, daily visits, reading progress

Revision ID: 0004_trust
Revises: 0003_reputation
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_trust'
down_revision = '0003_reputation'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('member_stats',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('days_visited', sa.Integer(), nullable=False),
    sa.Column('topics_entered', sa.Integer(), nullable=False),
    sa.Column('posts_read', sa.Integer(), nullable=False),
    sa.Column('likes_given', sa.Integer(), nullable=False),
    sa.Column('likes_received', sa.Integer(), nullable=False),
    sa.Column('flags_against', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_stats_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_member_stats'))
    )
    op.create_table('member_visits',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_visits_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'day', name=op.f('pk_member_visits'))
    )
    op.create_table('thread_reads',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('last_read_number', sa.Integer(), nullable=False),
    sa.Column('previous_read_number', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_thread_reads_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_thread_reads_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'thread_id', name=op.f('pk_thread_reads'))
    )
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_thread_reads_thread_id'), ['thread_id'], unique=False)


def downgrade():
    with op.batch_alter_table('thread_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_reads_thread_id'))

    op.drop_table('thread_reads')
    op.drop_table('member_visits')
    op.drop_table('member_stats')
