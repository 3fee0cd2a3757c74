"""polls: one poll per thread, its options, one ballot per member and the votes on it

Revision ID: 0002_polls
Revises: 0001
Create Date: 2026-11-23 09:20:26.066689

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_polls'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('question', sa.String(length=255), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('max_choices', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('results_hidden_until_close', sa.Boolean(), nullable=False),
    sa.Column('voter_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('max_choices >= 1', name=op.f('ck_polls_max_choices_positive')),
    sa.CheckConstraint('multiple OR max_choices = 1', name=op.f('ck_polls_single_means_one_choice')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_polls_created_by_id_members')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_polls_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls')),
    sa.UniqueConstraint('id', 'multiple', name=op.f('uq_polls_id_multiple')),
    sa.UniqueConstraint('thread_id', name=op.f('uq_polls_thread_id'))
    )
    op.create_table('poll_ballots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_poll_ballots_member_id_members')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ballots_poll_id_polls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_ballots')),
    sa.UniqueConstraint('poll_id', 'member_id', name=op.f('uq_poll_ballots_poll_id_member_id'))
    )
    with op.batch_alter_table('poll_ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_ballots_member_id'), ['member_id'], unique=False)

    op.create_table('poll_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('vote_count >= 0', name=op.f('ck_poll_options_vote_count_not_negative')),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_options_poll_id_polls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_options')),
    sa.UniqueConstraint('id', 'poll_id', name=op.f('uq_poll_options_id_poll_id')),
    sa.UniqueConstraint('poll_id', 'position', name=op.f('uq_poll_options_poll_id_position'))
    )
    op.create_table('poll_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['option_id', 'poll_id'], ['poll_options.id', 'poll_options.poll_id'], name=op.f('fk_poll_votes_option_id_poll_options')),
    sa.ForeignKeyConstraint(['poll_id', 'member_id'], ['poll_ballots.poll_id', 'poll_ballots.member_id'], name=op.f('fk_poll_votes_poll_id_poll_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id', 'multiple'], ['polls.id', 'polls.multiple'], name=op.f('fk_poll_votes_poll_id_polls')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_votes')),
    sa.UniqueConstraint('poll_id', 'member_id', 'option_id', name=op.f('uq_poll_votes_poll_id_member_id_option_id'))
    )
    with op.batch_alter_table('poll_votes', schema=None) as batch_op:
        # A single-choice ballot holds one vote: the database refuses a second one by itself.
        batch_op.create_index('ix_poll_votes_one_single_choice', ['poll_id', 'member_id'], unique=True, sqlite_where=sa.text('NOT multiple'), postgresql_where=sa.text('NOT multiple'))



def downgrade():
    with op.batch_alter_table('poll_votes', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_votes_one_single_choice', sqlite_where=sa.text('NOT multiple'), postgresql_where=sa.text('NOT multiple'))

    op.drop_table('poll_votes')
    op.drop_table('poll_options')
    with op.batch_alter_table('poll_ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_ballots_member_id'))

    op.drop_table('poll_ballots')
    op.drop_table('polls')
