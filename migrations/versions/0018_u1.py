"""uploads: members' pictures and files (uploads) and which posts use them (post_uploads)

Revision ID: 0018_u1
Revises: 0018_u3
Create Date: 2026-12-04 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018_u1'
down_revision = '0018_u3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'uploads',
        sa.Column('id', sa.String(length=48), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('bytes', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('thumb_id', sa.String(length=48), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_uploads_owner_id_members'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_uploads')),
        sa.UniqueConstraint('thumb_id', name=op.f('uq_uploads_thumb_id')),
    )
    op.create_index('ix_uploads_owner_created', 'uploads', ['owner_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_uploads_created_at'), 'uploads', ['created_at'], unique=False)
    op.create_table(
        'post_uploads',
        sa.Column('post_id', sa.Integer(), nullable=False),
        sa.Column('upload_id', sa.String(length=48), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_uploads_post_id_posts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['upload_id'], ['uploads.id'], name=op.f('fk_post_uploads_upload_id_uploads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', 'upload_id', name=op.f('pk_post_uploads')),
    )
    op.create_index(op.f('ix_post_uploads_upload_id'), 'post_uploads', ['upload_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_post_uploads_upload_id'), table_name='post_uploads')
    op.drop_table('post_uploads')
    op.drop_index(op.f('ix_uploads_created_at'), table_name='uploads')
    op.drop_index('ix_uploads_owner_created', table_name='uploads')
    op.drop_table('uploads')
