"""crm daily rollups for the dashboard: mood per day and board, active members per day

Revision ID: 0010_crm_rollups
Revises: 0009_account_deletion
Create Date: 2026-11-23 13:45:00

Filled from the detail rows here; kept with each event afterwards (crm_bridge/rollups.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_crm_rollups'
down_revision = '0009_account_deletion'
branch_labels = None
depends_on = None

ACTIVE_KINDS = ("thread_started", "replied", "vote_given", "poll_ballot", "flag_raised", "reward_redeemed")


def upgrade():
    op.create_table('crm_daily_mood',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('posts', sa.Integer(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.Column('score_sum', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'board_id')
    )
    op.create_table('crm_daily_active',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', 'member_id')
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    sentiment_day = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if postgres else "substr(created_at, 1, 10)"
    event_day = "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')" if postgres else "substr(occurred_at, 1, 10)"
    kinds = ", ".join(f"'{kind}'" for kind in ACTIVE_KINDS)
    op.execute(f"INSERT INTO crm_daily_mood (day, board_id, posts, negative, score_sum) "
               f"SELECT {sentiment_day}, board_id, count(*), sum(CASE WHEN label = 'negative' THEN 1 ELSE 0 END), "
               f"sum(score) FROM crm_post_sentiments GROUP BY {sentiment_day}, board_id")
    op.execute(f"INSERT INTO crm_daily_active (day, member_id) SELECT DISTINCT {event_day}, member_id "
               f"FROM crm_timeline_events WHERE kind IN ({kinds})")


def downgrade():
    op.drop_table('crm_daily_active')
    op.drop_table('crm_daily_mood')
