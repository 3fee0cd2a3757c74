"""sentiment that explains itself and takes corrections: the words that pushed each post's score, the model
version that scored it (rescore is resumable), the model's own reading beside a staff correction

Revision ID: 0020_x1
Revises: 0019_n4
Create Date: 2026-12-05 00:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_x1'
down_revision = '0019_n4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('crm_post_sentiments') as batch:
        batch.add_column(sa.Column('reasons', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('model_version', sa.String(length=40), nullable=False, server_default=''))
        batch.add_column(sa.Column('model_score', sa.Float(), nullable=True))
        batch.add_column(sa.Column('model_label', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('corrected_label', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('corrected_by_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(op.f('fk_crm_post_sentiments_corrected_by_id_members'), 'members',
                                 ['corrected_by_id'], ['id'], ondelete='SET NULL')
        batch.create_index('ix_crm_post_sentiments_corrected_at', ['corrected_at'])


def downgrade():
    with op.batch_alter_table('crm_post_sentiments') as batch:
        batch.drop_index('ix_crm_post_sentiments_corrected_at')
        batch.drop_constraint(op.f('fk_crm_post_sentiments_corrected_by_id_members'), type_='foreignkey')
        for name in ('corrected_at', 'corrected_by_id', 'corrected_label', 'model_label', 'model_score',
                     'model_version', 'reasons'):
            batch.drop_column(name)
