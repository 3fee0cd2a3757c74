"""email: outbox, mail preferences and settings, notifications waiting for mail; verified addresses

members.email_verified_at (added by 0009_account_deletion): when the member proved the address.

Revision ID: 0011_email
Revises: 0010_crm_rollups
Create Date: 2026-11-23 13:07:03.923647

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_email'
down_revision = '0010_crm_rollups'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_name', sa.String(length=100), nullable=False),
    sa.Column('base_url', sa.String(length=255), nullable=False),
    sa.Column('mail_from', sa.String(length=254), nullable=False),
    sa.Column('disabled', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_settings'))
    )
    op.create_table('mail_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('to_address', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=False),
    sa.Column('headers', sa.JSON(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_messages_member_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_mail_messages_message_id'))
    )
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.create_index('ix_mail_messages_due', ['sent_at', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_messages_member_id'), ['member_id'], unique=False)

    op.create_table('mail_preferences',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=8), nullable=False),
    sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_preferences_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_mail_preferences'))
    )
    op.create_table('mail_pending_notifications',
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_pending_notifications_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_mail_pending_notifications_notification_id_notifications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notification_id', name=op.f('pk_mail_pending_notifications'))
    )
    with op.batch_alter_table('mail_pending_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_pending_notifications_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_pending_notifications_member_id'), ['member_id'], unique=False)

    # members.email_verified_at comes with 0009_account_deletion (the CRM contacts needed it first)



def downgrade():
    with op.batch_alter_table('mail_pending_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_pending_notifications_member_id'))
        batch_op.drop_index(batch_op.f('ix_mail_pending_notifications_due_at'))

    op.drop_table('mail_pending_notifications')
    op.drop_table('mail_preferences')
    with op.batch_alter_table('mail_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_messages_member_id'))
        batch_op.drop_index('ix_mail_messages_due')

    op.drop_table('mail_messages')
    op.drop_table('mail_settings')
