"""avatars (members.avatar_upload_id, avatar_color) and member follows (community/avatars, community/follows)

Revision ID: 0018_u3
Revises: 0017_a4
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_u3'
down_revision = '0017_a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('avatar_upload_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('avatar_color', sa.Integer(), nullable=True))
    op.create_table(
        'member_follows',
        sa.Column('follower_id', sa.Integer(), nullable=False),
        sa.Column('followed_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('follower_id <> followed_id', name=op.f('ck_member_follows_not_self')),
        sa.ForeignKeyConstraint(['followed_id'], ['members.id'], name=op.f('fk_member_follows_followed_id_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['follower_id'], ['members.id'], name=op.f('fk_member_follows_follower_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('follower_id', 'followed_id', name=op.f('pk_member_follows')),
    )
    with op.batch_alter_table('member_follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_follows_followed_id'), ['followed_id'], unique=False)


def downgrade():
    with op.batch_alter_table('member_follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_follows_followed_id'))
    op.drop_table('member_follows')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_column('avatar_color')
        batch_op.drop_column('avatar_upload_id')
