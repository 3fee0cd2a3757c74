"""reputation ledger, badges, reward points, rewards and redemptions

Revision ID: 0003_reputation
Revises: 0002_polls
Create Date: 2026-11-23 09:22:37.039306

Tables of community.reputation (ledger, badges, grants) and community.rewards (points ledger,
rewards, coupon codes, redemptions).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_reputation'
down_revision = '0002_polls'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('badges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('icon', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Enum('bronze', 'silver', 'gold', name='badgelevel', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
    sa.UniqueConstraint('slug', name=op.f('uq_badges_slug'))
    )

    op.create_table('rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('coupon', 'gift', name='rewardkind', native_enum=False, length=16), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.Column('redeemed_count', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('uses_codes', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('cost > 0', name=op.f('ck_rewards_cost_positive')),
    sa.CheckConstraint('stock >= 0', name=op.f('ck_rewards_stock_not_negative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_rewards_created_by_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rewards'))
    )

    op.create_table('redemptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=128), nullable=True),
    sa.Column('status', sa.Enum('pending', 'fulfilled', 'cancelled', name='redemptionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['handled_by_id'], ['members.id'], name=op.f('fk_redemptions_handled_by_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_redemptions_member_id_members')),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_redemptions_reward_id_rewards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemptions'))
    )
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.create_index('ix_redemptions_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemptions_reward_id'), ['reward_id'], unique=False)

    op.create_table('reputation_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('upvote_received', 'downvote_received', 'vote_retracted', 'answer_accepted', 'answer_unaccepted', 'badge', 'staff_adjustment', name='reputationreason', native_enum=False, length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('badge_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_reputation_entries_actor_id_members')),
    sa.ForeignKeyConstraint(['badge_id'], ['badges.id'], name=op.f('fk_reputation_entries_badge_id_badges')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_reputation_entries_member_id_members')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_reputation_entries_post_id_posts')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_reputation_entries_thread_id_threads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reputation_entries'))
    )
    with op.batch_alter_table('reputation_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reputation_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_reputation_entries_member_created', ['member_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reputation_entries_post_id'), ['post_id'], unique=False)

    op.create_table('badge_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('badge_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['badge_id'], ['badges.id'], name=op.f('fk_badge_grants_badge_id_badges')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_badge_grants_member_id_members')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_badge_grants_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badge_grants')),
    sa.UniqueConstraint('member_id', 'badge_id', name=op.f('uq_badge_grants_member_id_badge_id'))
    )
    with op.batch_alter_table('badge_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badge_grants_badge_id'), ['badge_id'], unique=False)

    op.create_table('reward_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reward_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=128), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_reward_codes_redemption_id_redemptions')),
    sa.ForeignKeyConstraint(['reward_id'], ['rewards.id'], name=op.f('fk_reward_codes_reward_id_rewards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reward_codes')),
    sa.UniqueConstraint('redemption_id', name=op.f('uq_reward_codes_redemption_id')),
    sa.UniqueConstraint('reward_id', 'code', name=op.f('uq_reward_codes_reward_id_code'))
    )
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.create_index('ix_reward_codes_reward_claimed', ['reward_id', 'claimed_at'], unique=False)

    op.create_table('points_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('earned', 'redeemed', 'refund', 'staff_grant', name='pointsreason', native_enum=False, length=16), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('redemption_id', sa.Integer(), nullable=True),
    sa.Column('reputation_entry_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['members.id'], name=op.f('fk_points_entries_actor_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_entries_member_id_members')),
    sa.ForeignKeyConstraint(['redemption_id'], ['redemptions.id'], name=op.f('fk_points_entries_redemption_id_redemptions')),
    sa.ForeignKeyConstraint(['reputation_entry_id'], ['reputation_entries.id'], name=op.f('fk_points_entries_reputation_entry_id_reputation_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entries')),
    sa.UniqueConstraint('member_id', 'source', name=op.f('uq_points_entries_member_id_source'))
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index('ix_points_entries_member_created', ['member_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_points_entries_member_created')
    op.drop_table('points_entries')
    with op.batch_alter_table('reward_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_reward_codes_reward_claimed')
    op.drop_table('reward_codes')
    with op.batch_alter_table('badge_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badge_grants_badge_id'))
    op.drop_table('badge_grants')
    with op.batch_alter_table('reputation_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reputation_entries_post_id'))
        batch_op.drop_index('ix_reputation_entries_member_created')
        batch_op.drop_index(batch_op.f('ix_reputation_entries_created_at'))
    op.drop_table('reputation_entries')
    with op.batch_alter_table('redemptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemptions_reward_id'))
        batch_op.drop_index('ix_redemptions_member_created')
    op.drop_table('redemptions')
    op.drop_table('rewards')
    op.drop_table('badges')
