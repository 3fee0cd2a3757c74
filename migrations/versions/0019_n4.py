"""appeals (review_items.action_id, statement), threads under review (flags hid the opening post alone), consent and reward shipping: members' marketing/research consent with its time (mirrored on the CRM
profile), rewards that need a shipping address, the address on redemptions and the CRM profile

Revision ID: 0019_n4
Revises: 0019_n2
Create Date: 2026-12-04 21:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_n4'
down_revision = '0019_n2'
branch_labels = None
depends_on = None

SHIPPING = (('shipping_name', sa.String(length=120)), ('shipping_address', sa.Text()),
            ('shipping_phone', sa.String(length=40)))


def upgrade():
    with op.batch_alter_table('review_items') as batch:
        batch.add_column(sa.Column('action_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('statement', sa.Text(), nullable=False, server_default=''))
        batch.create_foreign_key(op.f('fk_review_items_action_id_moderation_actions'), 'moderation_actions',
                                 ['action_id'], ['id'], ondelete='CASCADE')
        batch.create_unique_constraint(op.f('uq_review_items_action_id'), ['action_id'])
    with op.batch_alter_table('threads') as batch:
        batch.add_column(sa.Column('under_review_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('members') as batch:
        batch.add_column(sa.Column('consent_marketing', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('consent_marketing_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('consent_research', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('consent_research_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('rewards') as batch:
        batch.add_column(sa.Column('needs_shipping', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('redemptions') as batch:
        for name, type_ in SHIPPING:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))
    with op.batch_alter_table('crm_profiles') as batch:
        batch.add_column(sa.Column('consent_marketing_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('consent_research_at', sa.DateTime(timezone=True), nullable=True))
        for name, type_ in SHIPPING:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('crm_profiles') as batch:
        for name, _type in SHIPPING:
            batch.drop_column(name)
        batch.drop_column('consent_research_at')
        batch.drop_column('consent_marketing_at')
    with op.batch_alter_table('redemptions') as batch:
        for name, _type in SHIPPING:
            batch.drop_column(name)
    with op.batch_alter_table('rewards') as batch:
        batch.drop_column('needs_shipping')
    with op.batch_alter_table('members') as batch:
        for name in ('consent_research_at', 'consent_research', 'consent_marketing_at', 'consent_marketing'):
            batch.drop_column(name)
    with op.batch_alter_table('threads') as batch:
        batch.drop_column('under_review_at')
    with op.batch_alter_table('review_items') as batch:
        batch.drop_constraint(op.f('uq_review_items_action_id'), type_='unique')
        batch.drop_constraint(op.f('fk_review_items_action_id_moderation_actions'), type_='foreignkey')
        batch.drop_column('statement')
        batch.drop_column('action_id')
