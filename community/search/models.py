"""The postgres backend's tables: one search document per post, and the title words for spelling.

Created on every database (migration 0020_s1) so the schema is one; only the postgres backend writes
them. On PostgreSQL `terms` is a tsvector with a GIN index; elsewhere it is plain text, never read.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ..extensions import db


class SearchVector(TypeDecorator):
    """A tsvector on PostgreSQL, text elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


class SearchDocument(db.Model):
    """A post as search finds it: its words (title weighted A, body D) and its filters as lexemes of one
    tsvector (see backends/postgres.py), its date and score to sort by."""

    __tablename__ = "search_documents"
    __table_args__ = (Index("ix_search_documents_terms", "terms", postgresql_using="gin"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    thread_id: Mapped[int] = mapped_column(Integer, index=True)
    created: Mapped[int] = mapped_column(BigInteger)  # seconds since 1970 (documents.seconds)
    score: Mapped[int] = mapped_column(Integer, default=0)
    terms: Mapped[str] = mapped_column(SearchVector)


class SearchWord(db.Model):
    """A word seen in a title, as typed (lowercase, not stemmed): "did you mean" picks among them."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(64), primary_key=True)


class SearchCount(db.Model):
    """How many readable documents hold a word, per board (and the board's visibility and whether the posts
    are whispers), so that a one-word search counts its hits without visiting them (backends/postgres.py).

    Rows are deltas: PostgreSQL's triggers on `search_documents` (COUNTS_SQL) add one row per key a
    statement changed (+ documents that gained the word, - those that lost it), in the statement's own
    transaction, so the counts are always those of the documents a reader's snapshot sees; no row is ever
    updated (no lock taken by a writer). `compact` sums each changed key's rows into one (`compacted`).
    Documents that are gone (deleted, hidden, pending) are not counted: no reader finds them."""

    __tablename__ = "search_counts"
    __table_args__ = (Index("ix_search_counts_lexeme", "lexeme", "board_id"),
                      Index("ix_search_counts_fresh", "compacted", postgresql_where=text("NOT compacted")))

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lexeme: Mapped[str] = mapped_column(Text)
    board_id: Mapped[int] = mapped_column(Integer)
    visibility: Mapped[str] = mapped_column(String(16))  # the board's visibility as the document has it
    whisper: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)
    compacted: Mapped[bool] = mapped_column(Boolean, default=False)


# The counts' upkeep on PostgreSQL: a document's counted words are its lexemes without ':' (the filters all
# have one), keyed by its board_id:, facts:v_ and facts:whisper lexemes; a document with facts:gone counts
# nowhere. Statement-level triggers with transition tables: one INSERT of summed deltas per statement.
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


def _create_counting(target, connection, tables=(), **kw) -> None:
    """Create the counts' triggers once both tables are there (create_all on PostgreSQL; the migration does
    the same)."""
    names = {table.name for table in tables}
    if connection.dialect.name == "postgresql" and {"search_documents", "search_counts"} & names:
        for statement in COUNTS_SQL:
            connection.exec_driver_sql(statement)


event.listen(db.metadata, "after_create", _create_counting)
