"""bookmarks (threads and posts, with reminders) and reactions (one per member and post, counts per kind)

Revision ID: 0018_u5
Revises: 0018_u1
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_u5'
down_revision = '0018_u1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bookmarks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=True),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('target', sa.String(length=24), nullable=False),
        sa.Column('note', sa.String(length=255), nullable=False),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('(thread_id IS NULL) <> (post_id IS NULL)', name=op.f('ck_bookmarks_thread_or_post')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_bookmarks_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_bookmarks_post_id_posts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_bookmarks_thread_id_threads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bookmarks')),
        sa.UniqueConstraint('member_id', 'target', name=op.f('uq_bookmarks_member_id_target')),
    )
    with op.batch_alter_table('bookmarks', schema=None) as batch_op:
        batch_op.create_index('ix_bookmarks_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index('ix_bookmarks_remind_at', ['remind_at'], unique=False)

    op.create_table(
        'reaction_counts',
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reaction_counts_post_id_posts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', 'kind', name=op.f('pk_reaction_counts')),
    )
    op.create_table(
        'reactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reactions_member_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reactions_post_id_posts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reactions')),
        sa.UniqueConstraint('post_id', 'member_id', name=op.f('uq_reactions_post_id_member_id')),
    )
    with op.batch_alter_table('reactions', schema=None) as batch_op:
        batch_op.create_index('ix_reactions_member_id', ['member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reactions', schema=None) as batch_op:
        batch_op.drop_index('ix_reactions_member_id')
    op.drop_table('reactions')
    op.drop_table('reaction_counts')
    with op.batch_alter_table('bookmarks', schema=None) as batch_op:
        batch_op.drop_index('ix_bookmarks_remind_at')
        batch_op.drop_index('ix_bookmarks_member_created')
    op.drop_table('bookmarks')
