"""groups of members (member_groups, group_members), group-visible boards (board_groups), sign-in history
(member_sign_ins)

Revision ID: 0017_a5
Revises: 0016_settings
Create Date: 2026-12-04 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017_a5'
down_revision = '0017_a3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('name_key', sa.String(length=80), nullable=False),
        sa.Column('name_zh', sa.String(length=80), server_default='', nullable=False),
        sa.Column('description', sa.Text(), server_default='', nullable=False),
        sa.Column('show_badge', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_groups')),
        sa.UniqueConstraint('name_key', name=op.f('uq_member_groups_name_key')),
    )
    op.create_table(
        'group_members',
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['added_by_id'], ['members.id'], name=op.f('fk_group_members_added_by_id_members'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'],
                                name=op.f('fk_group_members_group_id_member_groups'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_group_members_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('group_id', 'member_id', name=op.f('pk_group_members')),
    )
    op.create_index('ix_group_members_member_id', 'group_members', ['member_id'], unique=False)
    op.create_table(
        'board_groups',
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_groups_board_id_boards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['group_id'], ['member_groups.id'],
                                name=op.f('fk_board_groups_group_id_member_groups'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('board_id', 'group_id', name=op.f('pk_board_groups')),
    )
    op.create_index('ix_board_groups_group_id', 'board_groups', ['group_id'], unique=False)
    op.create_table(
        'member_sign_ins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('user_agent', sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_sign_ins_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_sign_ins')),
    )
    op.create_index('ix_member_sign_ins_member_created', 'member_sign_ins', ['member_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_member_sign_ins_created_at'), 'member_sign_ins', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_member_sign_ins_created_at'), table_name='member_sign_ins')
    op.drop_index('ix_member_sign_ins_member_created', table_name='member_sign_ins')
    op.drop_table('member_sign_ins')
    op.drop_index('ix_board_groups_group_id', table_name='board_groups')
    op.drop_table('board_groups')
    op.drop_index('ix_group_members_member_id', table_name='group_members')
    op.drop_table('group_members')
    op.drop_table('member_groups')
