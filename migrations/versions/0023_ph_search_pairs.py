"""search_documents.pairs: every two words at adjacent positions of a document, with a GIN index, so that a
phrase finds its few candidates by its pairs instead of rechecking every document holding its words
(community/search/backends/postgres.py, `vectors` and `_matching`)

Revision ID: 0023_ph
Revises: 0022_sr
Create Date: 2026-12-05 10:00:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0023_ph'
down_revision = '0022_sr'
branch_labels = None
depends_on = None

# The documents already written get their pairs from their terms' positions (what PostgreSQL's `<->` reads:
# exactly the pairs a phrase can match there; the words only, not the `field:value` filters). A pair longer
# than 1000 bytes is its md5, as postgres.pair_lexeme writes it.
PAIRS_FILL_SQL = """UPDATE search_documents d SET pairs = coalesce((
  SELECT array_to_tsvector(array_agg(DISTINCT CASE WHEN octet_length(a.lexeme || ' ' || b.lexeme) > 1000
                                                  THEN md5(a.lexeme || ' ' || b.lexeme)
                                                  ELSE a.lexeme || ' ' || b.lexeme END))
  FROM (SELECT t.lexeme, p FROM unnest(d.terms) t, unnest(t.positions) p WHERE strpos(t.lexeme, ':') = 0) a
  JOIN (SELECT t.lexeme, p FROM unnest(d.terms) t, unnest(t.positions) p WHERE strpos(t.lexeme, ':') = 0) b
    ON b.p = a.p + 1), ''::tsvector)"""


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    op.add_column('search_documents',
                  sa.Column('pairs', postgresql.TSVECTOR() if postgres else sa.Text(), nullable=True))
    if postgres:  # terms do not change: search_counts' update trigger would find nothing to count
        bind.exec_driver_sql('ALTER TABLE search_documents DISABLE TRIGGER search_counts_update')
        bind.exec_driver_sql(PAIRS_FILL_SQL)
        bind.exec_driver_sql('ALTER TABLE search_documents ENABLE TRIGGER search_counts_update')
    op.create_index('ix_search_documents_pairs', 'search_documents', ['pairs'], unique=False,
                    postgresql_using='gin')


def downgrade():
    op.drop_index('ix_search_documents_pairs', table_name='search_documents', postgresql_using='gin')
    with op.batch_alter_table('search_documents') as batch_op:
        batch_op.drop_column('pairs')
