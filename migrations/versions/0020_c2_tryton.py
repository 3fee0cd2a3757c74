"""CRM sync with an external CRM (Tryton): the connector's cursor and pause, its queue of outbox events, the links
between records here and there (with both sides as of the last sync, for conflicts), the members' orders, and
the name the brand knows a member by on the CRM profile

Revision ID: 0020_c2
Revises: 0020_c1
Create Date: 2026-12-05 00:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_c2'
down_revision = '0020_c1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'crm_sync_state',
        sa.Column('connector', sa.String(length=32), nullable=False),
        sa.Column('outbox_cursor', sa.Integer(), nullable=False),
        sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('pause_reason', sa.String(length=300), nullable=False),
        sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('connector', name=op.f('pk_crm_sync_state')))
    op.create_table(
        'crm_sync_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=32), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('local_id', sa.Integer(), nullable=True),
        sa.Column('remote_id', sa.Integer(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_sync_items')),
        sa.UniqueConstraint('connector', 'event_id', name=op.f('uq_crm_sync_items_connector_event_id')))
    op.create_index('ix_crm_sync_items_due', 'crm_sync_items', ['connector', 'status', 'next_attempt_at'])
    op.create_table(
        'crm_sync_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('local_id', sa.Integer(), nullable=False),
        sa.Column('remote_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('conflict', sa.JSON(), nullable=False),
        sa.Column('resolution', sa.String(length=8), nullable=True),
        sa.Column('candidates', sa.JSON(), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_sync_links')),
        sa.UniqueConstraint('connector', 'kind', 'local_id', name=op.f('uq_crm_sync_links_connector_kind_local_id')))
    op.create_index('ix_crm_sync_links_remote', 'crm_sync_links', ['connector', 'kind', 'remote_id'])
    op.create_table(
        'crm_orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connector', sa.String(length=32), nullable=False),
        sa.Column('remote_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('ordered_on', sa.Date(), nullable=True),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('products', sa.JSON(), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_crm_orders_member_id_members'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_crm_orders')),
        sa.UniqueConstraint('connector', 'remote_id', name=op.f('uq_crm_orders_connector_remote_id')))
    op.create_index(op.f('ix_crm_orders_member_id'), 'crm_orders', ['member_id'])
    with op.batch_alter_table('crm_profiles') as batch:
        batch.add_column(sa.Column('full_name', sa.String(length=120), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('crm_profiles') as batch:
        batch.drop_column('full_name')
    op.drop_index(op.f('ix_crm_orders_member_id'), table_name='crm_orders')
    op.drop_table('crm_orders')
    op.drop_index('ix_crm_sync_links_remote', table_name='crm_sync_links')
    op.drop_table('crm_sync_links')
    op.drop_index('ix_crm_sync_items_due', table_name='crm_sync_items')
    op.drop_table('crm_sync_items')
    op.drop_table('crm_sync_state')
