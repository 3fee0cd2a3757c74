"""conversations: private messages, participants, member blocks; flags on private messages

Revision ID: 0018_u4
Revises: 0018_u5
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_u4'
down_revision = '0018_u5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('is_staff', sa.Boolean(), nullable=False),
        sa.Column('awaiting_staff', sa.Boolean(), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_message_id', sa.Integer(), nullable=False),
        sa.Column('message_count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['started_by_id'], ['members.id'],
                                name=op.f('fk_conversations_started_by_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    )
    op.create_index('ix_conversations_staff_last', 'conversations', ['is_staff', 'last_message_at'])
    op.create_table(
        'conversation_participants',
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('last_read_id', sa.Integer(), nullable=False),
        sa.Column('mailed_id', sa.Integer(), nullable=False),
        sa.Column('muted', sa.Boolean(), nullable=False),
        sa.Column('staff_side', sa.Boolean(), nullable=False),
        sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_conversation_participants_conversation_id_conversations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'],
                                name=op.f('fk_conversation_participants_member_id_members'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('conversation_id', 'member_id', name=op.f('pk_conversation_participants')),
    )
    op.create_index(op.f('ix_conversation_participants_member_id'), 'conversation_participants', ['member_id'])
    op.create_table(
        'conversation_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('from_staff', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_conversation_messages_conversation_id_conversations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_id'], ['members.id'],
                                name=op.f('fk_conversation_messages_author_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_messages')),
    )
    op.create_index('ix_conversation_messages_conversation_id_id', 'conversation_messages', ['conversation_id', 'id'])
    op.create_index(op.f('ix_conversation_messages_author_id'), 'conversation_messages', ['author_id'])
    op.create_table(
        'member_blocks',
        sa.Column('blocker_id', sa.Integer(), nullable=False),
        sa.Column('blocked_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['blocker_id'], ['members.id'], name=op.f('fk_member_blocks_blocker_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['blocked_id'], ['members.id'], name=op.f('fk_member_blocks_blocked_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_member_blocks')),
    )
    op.create_index(op.f('ix_member_blocks_blocked_id'), 'member_blocks', ['blocked_id'])
    with op.batch_alter_table('review_items') as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_review_items_message_id_conversation_messages'),
                                    'conversation_messages', ['message_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_review_items_message_id'), ['message_id'], unique=False)
    with op.batch_alter_table('flags') as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_flags_message_id_conversation_messages'),
                                    'conversation_messages', ['message_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('uq_flags_message_id_flagger_id', ['message_id', 'flagger_id'], unique=True)


def downgrade():
    with op.batch_alter_table('flags') as batch_op:
        batch_op.drop_index('uq_flags_message_id_flagger_id')
        batch_op.drop_constraint(batch_op.f('fk_flags_message_id_conversation_messages'), type_='foreignkey')
        batch_op.drop_column('message_id')
    with op.batch_alter_table('review_items') as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_items_message_id'))
        batch_op.drop_constraint(batch_op.f('fk_review_items_message_id_conversation_messages'), type_='foreignkey')
        batch_op.drop_column('message_id')
    op.drop_index(op.f('ix_member_blocks_blocked_id'), table_name='member_blocks')
    op.drop_table('member_blocks')
    op.drop_index(op.f('ix_conversation_messages_author_id'), table_name='conversation_messages')
    op.drop_index('ix_conversation_messages_conversation_id_id', table_name='conversation_messages')
    op.drop_table('conversation_messages')
    op.drop_index(op.f('ix_conversation_participants_member_id'), table_name='conversation_participants')
    op.drop_table('conversation_participants')
    op.drop_index('ix_conversations_staff_last', table_name='conversations')
    op.drop_table('conversations')
