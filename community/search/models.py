"""The postgres backend's tables: one search document per post, and the title words for spelling.

Created on every database (migration 0020_s1) so the schema is one; only the postgres backend writes
them. On PostgreSQL `terms` is a tsvector with a GIN index; elsewhere it is plain text, never read.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
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
