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
_DELTAS = """l AS (SELECT r.side, r.post_id, w FROM r CROSS JOIN LATERAL unnest(tsvector_to_array(r.terms)) w),
  k AS (SELECT side, post_id, max(substr(w, 10)::integer) FILTER (WHERE starts_with(w, 'board_id:')) AS board_id,
          coalesce(max(substr(w, 9)) FILTER (WHERE starts_with(w, 'facts:v_')), '') AS visibility,
          bool_or(w = 'facts:whisper') AS whisper, bool_or(w = 'facts:gone') AS gone
        FROM l WHERE strpos(w, ':') > 0 GROUP BY side, post_id)
  INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted)
  SELECT l.w, k.board_id, k.visibility, k.whisper, sum(l.side), {compacted}
  FROM l JOIN k USING (side, post_id)
  WHERE NOT k.gone AND k.board_id IS NOT NULL AND strpos(l.w, ':') = 0
  GROUP BY 1, 2, 3, 4 HAVING sum(l.side) <> 0"""

COUNTS_SQL = [
    f"""CREATE OR REPLACE FUNCTION search_counts_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    WITH r AS (SELECT 1 AS side, post_id, terms FROM new_rows),
    {_DELTAS.format(compacted="false")};
  ELSIF TG_OP = 'DELETE' THEN
    WITH r AS (SELECT -1 AS side, post_id, terms FROM old_rows),
    {_DELTAS.format(compacted="false")};
  ELSE  -- UPDATE: the new documents' words in, the old ones' out (a row rewritten as it was: neither)
    WITH r AS (
      SELECT 1 AS side, n.post_id, n.terms FROM new_rows n
      WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.post_id = n.post_id AND o.terms = n.terms)
      UNION ALL
      SELECT -1, o.post_id, o.terms FROM old_rows o
      WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.post_id = o.post_id AND n.terms = o.terms)),
    {_DELTAS.format(compacted="false")};
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
COUNTS_FILL_SQL = ("WITH r AS (SELECT 1 AS side, post_id, terms FROM search_documents), "
                   + _DELTAS.format(compacted="true"))


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
    op.drop_index('ix_search_counts_fresh', table_name='search_counts')
    op.drop_index('ix_search_counts_lexeme', table_name='search_counts')
    op.drop_table('search_counts')
