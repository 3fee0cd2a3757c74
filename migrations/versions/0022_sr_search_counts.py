"""search_counts: per word, board, visibility and whisper, how many search documents hold the word, kept by
PostgreSQL triggers on search_documents, so that a one-word search counts its hits without visiting them
(community/search/models.py, SearchCount)

Revision ID: 0022_sr
Revises: 0021_v1
Create Date: 2026-12-05 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022_sr'
down_revision = '0021_v1'
branch_labels = None
depends_on = None

# A copy of community/search/models.py's statements as of this revision.
COUNTS_SQL = [
    r"""CREATE OR REPLACE FUNCTION search_document_words(terms tsvector)
RETURNS TABLE (lexeme text, board_id integer, visibility text, whisper boolean)
LANGUAGE sql IMMUTABLE AS $$
  SELECT w, k.board_id, k.visibility, k.whisper
  FROM (SELECT tsvector_to_array(terms) AS l) a
  CROSS JOIN LATERAL (SELECT
      (SELECT substr(x, 10)::integer FROM unnest(a.l) x WHERE starts_with(x, 'board_id:') LIMIT 1) AS board_id,
      COALESCE((SELECT substr(x, 9) FROM unnest(a.l) x WHERE starts_with(x, 'facts:v_') LIMIT 1), '') AS visibility,
      'facts:whisper' = ANY(a.l) AS whisper) k
  CROSS JOIN LATERAL unnest(a.l) w
  WHERE NOT ('facts:gone' = ANY(a.l)) AND k.board_id IS NOT NULL AND strpos(w, ':') = 0
$$""",
    r"""CREATE OR REPLACE FUNCTION search_counts_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted)
    SELECT w.lexeme, w.board_id, w.visibility, w.whisper, count(*), false
    FROM new_rows r CROSS JOIN LATERAL search_document_words(r.terms) w GROUP BY 1, 2, 3, 4;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted)
    SELECT w.lexeme, w.board_id, w.visibility, w.whisper, -count(*), false
    FROM old_rows r CROSS JOIN LATERAL search_document_words(r.terms) w GROUP BY 1, 2, 3, 4;
  ELSE  -- UPDATE: the new documents' words in, the old ones' out (a row rewritten as it was: neither)
    INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted)
    SELECT d.lexeme, d.board_id, d.visibility, d.whisper, sum(d.n), false FROM (
      SELECT w.*, 1 AS n FROM new_rows r CROSS JOIN LATERAL search_document_words(r.terms) w
      WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.post_id = r.post_id AND o.terms = r.terms)
      UNION ALL
      SELECT w.*, -1 FROM old_rows r CROSS JOIN LATERAL search_document_words(r.terms) w
      WHERE NOT EXISTS (SELECT 1 FROM new_rows o WHERE o.post_id = r.post_id AND o.terms = r.terms)) d
    GROUP BY 1, 2, 3, 4 HAVING sum(d.n) <> 0;
  END IF;
  RETURN NULL;
END $$""",
    r"""CREATE OR REPLACE FUNCTION search_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE search_counts;
  RETURN NULL;
END $$""",
    *(f"DROP TRIGGER IF EXISTS search_counts_{kind} ON search_documents"
      for kind in ("insert", "update", "delete", "truncate")),
    "CREATE TRIGGER search_counts_insert AFTER INSERT ON search_documents REFERENCING NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_counts_delta()",
    "CREATE TRIGGER search_counts_update AFTER UPDATE ON search_documents REFERENCING OLD TABLE AS old_rows "
    "NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_counts_delta()",
    "CREATE TRIGGER search_counts_delete AFTER DELETE ON search_documents REFERENCING OLD TABLE AS old_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_counts_delta()",
    "CREATE TRIGGER search_counts_truncate AFTER TRUNCATE ON search_documents "
    "FOR EACH STATEMENT EXECUTE FUNCTION search_counts_truncate()",
]

# Every document's counted words, summed: what the triggers would have written had they always been there.
COUNTS_FILL_SQL = (
    "INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted) "
    "SELECT w.lexeme, w.board_id, w.visibility, w.whisper, count(*), true "
    "FROM search_documents r CROSS JOIN LATERAL search_document_words(r.terms) w GROUP BY 1, 2, 3, 4")


def upgrade():
    bind = op.get_bind()
    op.create_table(
        'search_counts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('lexeme', sa.Text(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('visibility', sa.String(length=16), nullable=False),
        sa.Column('whisper', sa.Boolean(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('compacted', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_counts')),
    )
    op.create_index('ix_search_counts_lexeme', 'search_counts', ['lexeme', 'board_id'], unique=False)
    op.create_index('ix_search_counts_fresh', 'search_counts', ['compacted'], unique=False,
                    postgresql_where=sa.text('NOT compacted'))
    if bind.dialect.name == 'postgresql':
        for statement in COUNTS_SQL:  # not op.execute: its text() would read ':gone' as a parameter
            bind.exec_driver_sql(statement)
        bind.exec_driver_sql(COUNTS_FILL_SQL)  # the documents already written


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for kind in ('insert', 'update', 'delete', 'truncate'):
            op.get_bind().exec_driver_sql(f'DROP TRIGGER IF EXISTS search_counts_{kind} ON search_documents')
        op.execute('DROP FUNCTION IF EXISTS search_counts_delta()')
        op.execute('DROP FUNCTION IF EXISTS search_counts_truncate()')
        op.execute('DROP FUNCTION IF EXISTS search_document_words(tsvector)')
    op.drop_index('ix_search_counts_fresh', table_name='search_counts')
    op.drop_index('ix_search_counts_lexeme', table_name='search_counts')
    op.drop_table('search_counts')
