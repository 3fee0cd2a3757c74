"""moderation: flags, review queue, log; hidden/whisper/pending posts; member restrictions

Revision ID: 0007_moderation
Revises: 0006_realtime
Create Date: 2026-11-23 11:11:52.690468

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_moderation'
down_revision = '0006_realtime'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get empty reasons and false flags (server defaults); the models give the same to new rows.
    op.create_table('moderation_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_moderation_actions_actor_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_moderation_actions_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_moderation_actions_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_moderation_actions_thread_id_threads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_actions'))
    )
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.create_index('ix_moderation_actions_action_created', ['action', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_moderation_actions_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_actions_member_id'), ['member_id'], unique=False)

    op.create_table('review_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('flagged_post', 'pending_post', 'reported_member', name='reviewkind', native_enum=False, length=24), nullable=False),
    sa.Column('status', sa.Enum('pending', 'agreed', 'disagreed', 'ignored', 'approved', 'rejected', name='reviewstatus', native_enum=False, length=24), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_review_items_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_review_items_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['members.id'], name=op.f('fk_review_items_resolved_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items'))
    )
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_items_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_items_post_id'), ['post_id'], unique=False)
        batch_op.create_index('ix_review_items_status_created', ['status', 'created_at'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('flagger_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('spam', 'abusive', 'off_topic', 'needs_staff', 'other', name='flagreason', native_enum=False, length=24), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flagger_id'], ['members.id'], name=op.f('fk_flags_flagger_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['review_items.id'], name=op.f('fk_flags_item_id_review_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_flags_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_flags_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('member_id', 'flagger_id', name=op.f('uq_flags_member_id_flagger_id')),
    sa.UniqueConstraint('post_id', 'flagger_id', name=op.f('uq_flags_post_id_flagger_id'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_flagger_id'), ['flagger_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flags_item_id'), ['item_id'], unique=False)

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('silenced_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('silenced_reason', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspended_reason', sa.String(length=255), nullable=False, server_default=''))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('is_whisper', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(batch_op.f('fk_posts_hidden_by_id_members'), 'members', ['hidden_by_id'], ['id'])

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pending', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_threads_merged_into_id_threads', 'threads', ['merged_into_id'], ['id'])

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_constraint('fk_threads_merged_into_id_threads', type_='foreignkey')
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('pending')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_hidden_by_id_members'), type_='foreignkey')
        batch_op.drop_column('pending')
        batch_op.drop_column('is_whisper')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_at')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('suspended_reason')
        batch_op.drop_column('suspended_until')
        batch_op.drop_column('silenced_reason')
        batch_op.drop_column('silenced_until')

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_item_id'))
        batch_op.drop_index(batch_op.f('ix_flags_flagger_id'))

    op.drop_table('flags')
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_status_created')
        batch_op.drop_index(batch_op.f('ix_review_items_post_id'))
        batch_op.drop_index(batch_op.f('ix_review_items_member_id'))

    op.drop_table('review_items')
    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_actions_member_id'))
        batch_op.drop_index('ix_moderation_actions_created')
        batch_op.drop_index(batch_op.f('ix_moderation_actions_actor_id'))
        batch_op.drop_index('ix_moderation_actions_action_created')

    op.drop_table('moderation_actions')
    # ### end Alembic commands ###
