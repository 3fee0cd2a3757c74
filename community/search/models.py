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


class SearchPair(db.Model):
    """A search document's every two words at adjacent positions, "first second" (backends/postgres.py
    `vectors`, migration 0023_ph): a phrase's GIN lookup here finds its few candidates instead of every
    document holding its words. A table of its own, written with its document in the same statement, so
    that `search_documents` keeps its width (every search sorted by date or votes visits its rows)."""

    __tablename__ = "search_pairs"
    __table_args__ = (Index("ix_search_pairs_pairs", "pairs", postgresql_using="gin"),)

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True,
                                         autoincrement=False)
    pairs: Mapped[str] = mapped_column(SearchVector)


class SearchWord(db.Model):
    """A word seen in a title, as typed (lowercase, not stemmed): "did you mean" picks among them."""

    __tablename__ = "search_words"

    word: Mapped[str] = mapped_column(String(64), primary_key=True)


GONE = "~gone"  # SearchCount.visibility of documents no reader finds


class SearchCount(db.Model):
    """How many readable documents hold a word, per board (and the board's visibility and whether the posts
    are whispers), so that a one-word search counts its hits without visiting them (backends/postgres.py).

    Rows are deltas: PostgreSQL's triggers on `search_documents` (COUNTS_SQL) add one row per key a
    statement changed (+ documents that gained the word, - those that lost it), in the statement's own
    transaction, so the counts are always those of the documents a reader's snapshot sees; no row is ever
    updated (no lock taken by a writer). `compact` sums each changed key's rows into one (`compacted`).
    Documents that are gone (deleted, hidden, pending) count under the visibility GONE ('~gone', never a
    board's): no reader's count sums them (no reader finds them), a word's document frequency (for the rank's
    idf, which counts every document) does."""

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
# under the visibility GONE only (no reader's count sums it; a word's document frequency does, since 0023_ph).
# Statement-level triggers with transition tables: one INSERT of summed deltas per statement, set-based
# (each document's lexemes unnested once; a function called per document cost five times as much).
# `r` is (side, post_id, terms): +1 for documents that came, -1 for documents that went.
_DELTAS = """l AS (SELECT r.side, r.post_id, w FROM r CROSS JOIN LATERAL unnest(tsvector_to_array(r.terms)) w),
  k AS (SELECT side, post_id, max(substr(w, 10)::integer) FILTER (WHERE starts_with(w, 'board_id:')) AS board_id,
          coalesce(max(substr(w, 9)) FILTER (WHERE starts_with(w, 'facts:v_')), '') AS visibility,
          bool_or(w = 'facts:whisper') AS whisper, bool_or(w = 'facts:gone') AS gone
        FROM l WHERE strpos(w, ':') > 0 GROUP BY side, post_id)
  INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted)
  SELECT l.w, k.board_id, CASE WHEN k.gone THEN '~gone' ELSE k.visibility END, k.whisper AND NOT k.gone,
         sum(l.side), {compacted}
  FROM l JOIN k USING (side, post_id)
  WHERE k.board_id IS NOT NULL AND strpos(l.w, ':') = 0
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


def _create_counting(target, connection, tables=(), **kw) -> None:
    """Create the counts' triggers once both tables are there (create_all on PostgreSQL; the migration does
    the same)."""
    names = {table.name for table in tables}
    if connection.dialect.name == "postgresql" and {"search_documents", "search_counts"} & names:
        for statement in COUNTS_SQL:
            connection.exec_driver_sql(statement)


event.listen(db.metadata, "after_create", _create_counting)
