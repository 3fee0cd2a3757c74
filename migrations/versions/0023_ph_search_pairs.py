"""search_pairs: every two words at adjacent positions of a search document (a table of its own, one row per
document, with a GIN index), so that a phrase finds its few candidates by its pairs instead of rechecking every
document holding its words (community/search/backends/postgres.py, `vectors` and `_matching`); search_counts also counts the documents
that are gone, under the visibility '~gone' (no reader's count sums it), so that a word's document frequency
(the rank's idf) is read from it instead of visiting a tenth of the table (`_document_frequencies`)

Revision ID: 0023_ph
Revises: 0022_sr
Create Date: 2026-12-05 10:00:00

"""
import importlib.util
from pathlib import Path

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
PAIRS_SQL = """coalesce((
  SELECT array_to_tsvector(array_agg(DISTINCT CASE WHEN octet_length(a.lexeme || ' ' || b.lexeme) > 1000
                                                  THEN md5(a.lexeme || ' ' || b.lexeme)
                                                  ELSE a.lexeme || ' ' || b.lexeme END))
  FROM (SELECT t.lexeme, p FROM unnest(d.terms) t, unnest(t.positions) p WHERE strpos(t.lexeme, ':') = 0) a
  JOIN (SELECT t.lexeme, p FROM unnest(d.terms) t, unnest(t.positions) p WHERE strpos(t.lexeme, ':') = 0) b
    ON b.p = a.p + 1), ''::tsvector)"""
PAIRS_FILL_SQL = f"INSERT INTO search_pairs (post_id, pairs) SELECT d.post_id, {PAIRS_SQL} FROM search_documents d"


def _previous():
    """Migration 0022_sr's module (its trigger function and fill statement, as of that revision)."""
    spec = importlib.util.spec_from_file_location('m0022_sr', Path(__file__).with_name('0022_sr_search_counts.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_OLD_SELECT = """  SELECT l.w, k.board_id, k.visibility, k.whisper, sum(l.side), {compacted}
  FROM l JOIN k USING (side, post_id)
  WHERE NOT k.gone AND k.board_id IS NOT NULL AND strpos(l.w, ':') = 0"""
# A copy of community/search/models.py's _DELTAS as of this revision: gone documents count under '~gone'.
_NEW_SELECT = """  SELECT l.w, k.board_id, CASE WHEN k.gone THEN '~gone' ELSE k.visibility END, k.whisper AND NOT k.gone,
         sum(l.side), {compacted}
  FROM l JOIN k USING (side, post_id)
  WHERE k.board_id IS NOT NULL AND strpos(l.w, ':') = 0"""


def _counting(old, select):
    """(the trigger function, the fill statement) of 0022_sr with its SELECT of deltas replaced."""
    function, fill = old.COUNTS_SQL[0], old.COUNTS_FILL_SQL
    for compacted in ('false', 'true'):
        before, after = _OLD_SELECT.format(compacted=compacted), select.format(compacted=compacted)
        function, fill = function.replace(before, after), fill.replace(before, after)
    assert select == _OLD_SELECT or (_OLD_SELECT.format(compacted='false') not in function
                                     and _OLD_SELECT.format(compacted='true') not in fill)
    return function, fill


def _recount(bind, select):
    function, fill = _counting(_previous(), select)
    bind.exec_driver_sql(function)
    bind.exec_driver_sql('DELETE FROM search_counts')
    bind.exec_driver_sql(fill)


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == 'postgresql'
    op.create_table(
        'search_pairs',
        sa.Column('post_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('pairs', postgresql.TSVECTOR() if postgres else sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_search_pairs_post_id_posts'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('post_id', name=op.f('pk_search_pairs')),
    )
    if postgres:  # elsewhere the search tables are never read
        bind.exec_driver_sql(PAIRS_FILL_SQL)
    # the index after the rows: built once, not updated per row
    op.create_index('ix_search_pairs_pairs', 'search_pairs', ['pairs'], unique=False, postgresql_using='gin')
    if postgres:
        _recount(bind, _NEW_SELECT)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        _recount(op.get_bind(), _OLD_SELECT)
    op.drop_index('ix_search_pairs_pairs', table_name='search_pairs', postgresql_using='gin')
    op.drop_table('search_pairs')
