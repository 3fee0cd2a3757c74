"""search documents for SEARCH_BACKEND=postgres: one row per post (a tsvector with a GIN index on PostgreSQL,
plain text elsewhere, never read there) and the title words for spelling suggestions (pg_trgm when it can be
installed)

Revision ID: 0020_s1
Revises: 0020_c2
Create Date: 2026-12-05 00:10:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0020_s1'
down_revision = '0020_c2'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    op.create_table(
        'search_documents',
        sa.Column('post_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('created', sa.BigInteger(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('terms', postgresql.TSVECTOR() if postgres else sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_search_documents_post_id_posts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', name=op.f('pk_search_documents')),
    )
    op.create_index(op.f('ix_search_documents_thread_id'), 'search_documents', ['thread_id'], unique=False)
    # GIN on PostgreSQL (full-text search); elsewhere the table is never read
    op.create_index('ix_search_documents_terms', 'search_documents', ['terms'], unique=False,
                    postgresql_using='gin')
    op.create_table(
        'search_words',
        sa.Column('word', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('word', name=op.f('pk_search_words')),
    )
    if postgres:  # spelling suggestions rank by trigram similarity where the extension may be installed
        try:
            with _savepoint(bind):
                op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        except Exception:  # not allowed (no superuser, not shipped): suggestions fall back to edit distance
            pass


class _savepoint:
    """Try a statement without losing the migration's transaction when it fails."""

    def __init__(self, bind):
        self.bind = bind

    def __enter__(self):
        self.nested = self.bind.begin_nested()
        return self

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.nested.commit()
        else:
            self.nested.rollback()
        return False


def downgrade():
    op.drop_table('search_words')
    op.drop_index('ix_search_documents_terms', table_name='search_documents', postgresql_using='gin')
    op.drop_index(op.f('ix_search_documents_thread_id'), table_name='search_documents')
    op.drop_table('search_documents')
