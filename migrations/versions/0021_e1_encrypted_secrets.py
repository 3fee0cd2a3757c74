"""secrets encrypted at rest (community/crypto.py): members' TOTP secrets, SSO providers' client secrets and
webhook signing secrets; their columns become TEXT to hold the ciphertext. Rows written before stay readable
as they are until `flask crm rotate-key --no-new-key` encrypts them (docs/crm.md, "Encryption at rest").

Revision ID: 0021_e1
Revises: 0020_s1
Create Date: 2026-12-05 03:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_e1'
down_revision = '0020_s1'
branch_labels = None
depends_on = None

# (table, column, type before)
ENCRYPTED = (('member_second_factors', 'secret', sa.String(length=64)),
             ('sso_providers', 'client_secret', sa.String(length=500)),
             ('crm_webhook_endpoints', 'secret', sa.String(length=100)))


def upgrade():
    for table, column, before in ENCRYPTED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=before, type_=sa.Text(), existing_nullable=False)


def downgrade():
    for table, column, before in ENCRYPTED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.Text(), type_=before, existing_nullable=False)
