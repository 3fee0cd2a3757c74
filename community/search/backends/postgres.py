"""The postgres backend: search documents in the shared PostgreSQL database, full-text search with a GIN index.

One row per post in `search_documents` (models.py). Its `terms` tsvector is built in Python by the same
bilingual analyzer the Whoosh index uses (jieba segments Chinese, English words are stemmed, positions
count words), and written as a tsvector literal: the lexemes are the analyzer's as they are (what the
`simple` configuration would make of them, the analyzer having lowercased them already), so a query's
words (analyzed by the same analyzer in parse.py) meet the documents' exactly.
- title words carry weight A, body words weight D (a title word ranks higher, and `title:` / `body:`
  terms of the query tree are restricted to their weight); the body's positions follow the title's
  after a gap, so a phrase never spans the two;
- the filters are lexemes too, `field:value` (board_id:3, author:ann, tags:refund, facts:gone ...),
  weight C: a query and its filters and the reader's filter become one tsquery, one GIN index scan.
Dates (`created`, seconds) and `score` are columns, for date ranges and the newest/votes sorts.
A document's every two adjacent words are a tsvector of their own in `search_pairs` (written in the same
statement): a phrase takes its candidates from there (GIN) and rechecks them against `terms`.

Documents are written in the event's own transaction (community/search/__init__.py calls `changed` before
the commit): search is consistent at commit, on every process and host, with no writer thread and no
per-process state. Spelling suggestions come from the title words (`search_words`), ranked by pg_trgm's
similarity where the extension is installed (else by edit distance among words of about the same length).
"""
from __future__ import annotations

import hashlib
import logging
import math
import queue
import threading
import time

from sqlalchemy import text
from whoosh.query import And, AndMaybe, AndNot, Every, Not, NullQuery, Or, Phrase, Require, Term

from ...extensions import db
from ...forum.models import Post
from ..analysis import BilingualTokenizer, index_tokens, is_han
from ..documents import BATCH, all_posts, document, load_posts
from ..models import COUNTS_FILL_SQL, GONE
from ..readerfilter import reader_filter
from .base import Found
from .whoosh_columns import ColumnRange

log = logging.getLogger(__name__)

MAX_POSITION = 16383  # PostgreSQL's largest tsvector position (later ones count as this)
FILTER_FIELDS = ("board_id", "author", "tags", "facts", "thread_id", "post_id")
WEIGHTS = {"title": "A", "body": "D"}
TITLE_GAP = 4  # positions between the title's last word and the body's first

_TOKENIZER = BilingualTokenizer()
_TERMS, _NORM = "__terms__", "__norm__"  # placeholders in a rank expression (PostgresSearch._rank)


# ---- documents as tsvectors -------------------------------------------------------------------------

def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _positions(value: str, start: int, at_position: dict | None = None) -> tuple[dict, int]:
    """Return ({lexeme: [positions]}, the last position) of `value` analyzed as the index does; with
    `at_position`, also add each lexeme to the set of its (clamped) position there (for `_pairs`)."""
    found: dict = {}
    last = start
    for word, at in index_tokens(value):
        pos = min(start + at, MAX_POSITION)
        found.setdefault(word, []).append(pos)
        if at_position is not None:
            at_position.setdefault(pos, set()).add(word)
        if pos > last:
            last = pos
    return found, last


PAIR_BYTES = 1000  # a pair longer than this (in UTF-8) is stored as its md5 (a tsvector lexeme is < 2 kB)


def pair_lexeme(first: str, second: str) -> str:
    """The lexeme of two words at adjacent positions in `pairs` (a space between them: no word has one)."""
    pair = f"{first} {second}"
    if len(pair) > PAIR_BYTES // 4 and len(pair.encode()) > PAIR_BYTES:
        return hashlib.md5(pair.encode()).hexdigest()  # noqa: S324  (a key, not a secret; no space in it)
    return pair


def _pairs(at_position: dict) -> str:
    """The `pairs` tsvector literal: every (word, word) at positions p and p + 1 (title and body alike, the
    positions clamped as `terms` clamps them, not cut at 256 per word), so that every document a phrase
    finds in `terms` holds each of the phrase's adjacent pairs here (more documents may: they are rechecked)."""
    found = set()
    for pos, words in at_position.items():
        following = at_position.get(pos + 1)
        if following:
            found.update(pair_lexeme(a, b) for a in words for b in following)
    return " ".join(_quote(pair) for pair in found)


def vectors(doc: dict) -> tuple[str, str]:
    """Return the tsvector literals (terms, pairs) of a document (documents.document)."""
    parts = []
    title_end = 0
    at_position: dict = {}
    if doc.get("title"):
        words, title_end = _positions(doc["title"], 1, at_position)
        parts += [f"{_quote(w)}:{','.join(f'{p}A' for p in sorted(set(ps))[:256])}" for w, ps in words.items()]
    words, _end = _positions(doc.get("body") or "", title_end + TITLE_GAP, at_position)
    parts += [f"{_quote(w)}:{','.join(str(p) for p in sorted(set(ps))[:256])}" for w, ps in words.items()]
    filters = {f"board_id:{doc['board_id']}", f"thread_id:{doc['thread_id']}"}
    if doc.get("author"):
        filters.add(f"author:{doc['author']}")
    filters.update(f"tags:{tag.strip().lower()}" for tag in (doc.get("tags") or "").split(",") if tag.strip())
    filters.update(f"facts:{fact}" for fact in doc["facts"].split())
    parts += [f"{_quote(f)}:1C" for f in sorted(filters)]
    return " ".join(parts), _pairs(at_position)


def vector(doc: dict) -> str:
    """Return the tsvector literal of a document's `terms` (documents.document)."""
    return vectors(doc)[0]


def _title_words(title: str) -> set[str]:
    """The title's words as typed (lowercase, not stemmed), for spelling suggestions."""
    words = {token.text.lower() for token in _TOKENIZER(title or "")}
    return {word for word in words if 3 <= len(word) <= 64 and word.isalpha() and not is_han(word)}


# ---- the query tree as SQL ----------------------------------------------------------------------------

class _Unsupported(Exception):
    """A query node this backend cannot express: it finds nothing rather than something wrong."""


def _lexeme(fieldname: str, word: str) -> str:
    if fieldname in WEIGHTS:
        return f"{_quote(word)}:{WEIGHTS[fieldname]}"
    if fieldname in FILTER_FIELDS:
        return _quote(f"{fieldname}:{word}")
    raise _Unsupported(fieldname)


def _key(sub):
    """What a word or phrase asks regardless of its field: ("w",) for a word, ("p", words) for a phrase."""
    return (sub.text,) if type(sub) is Term else ("p", tuple(sub.words))


def _either_field(subqueries) -> str | None:
    """The tsquery of an OR whose words and phrases are each asked in the title or the body (what the parser
    makes of every word a reader types), with those pairs written without weights: a word lexeme only ever
    carries weight A (title) or D (body), and a phrase never spans the two (TITLE_GAP), so `'w'` finds
    exactly what `'w':A | 'w':D` finds. Without weights PostgreSQL's GIN index answers the query alone, with
    no heap row read to recheck a weight. None when no such pair is there (the caller writes the OR as it is)."""
    fields: dict = {}
    for sub in subqueries:
        if type(sub) in (Term, Phrase) and sub.fieldname in WEIGHTS and (type(sub) is Term or sub.words):
            fields.setdefault(_key(sub), set()).add(sub.fieldname)
    both = {key for key, names in fields.items() if names == set(WEIGHTS)}
    if not both:
        return None
    parts, done = [], set()
    for sub in subqueries:
        key = _key(sub) if type(sub) in (Term, Phrase) else None
        if key in both:
            if key not in done:
                done.add(key)
                words = [_quote(word) for word in (key[1] if len(key) == 2 else key)]
                parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
            continue
        part = tsquery(sub)
        if part is None:
            return None
        parts.append(part)
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"


def tsquery(query) -> str | None:
    """Return `query` as tsquery text, or None when a part of it is no tsquery (dates, everything)."""
    kind = type(query)
    if kind is Term:
        return _lexeme(query.fieldname, query.text)
    if kind is Phrase:
        words = [_lexeme(query.fieldname, word) for word in query.words]
        return "(" + " <-> ".join(words) + ")" if len(words) > 1 else (words[0] if words else None)
    if kind is Or:
        either = _either_field(query.subqueries)
        if either is not None:
            return either  # None: a part is no tsquery, or no word in both fields (written as it is below)
    if kind is Not:
        inner = tsquery(query.query)
        return None if inner is None else f"!({inner})"
    if kind in (And, Or):
        subs = [sub for sub in query.subqueries if not (kind is And and type(sub) is Every and sub.fieldname is None)]
        if not subs:
            return None
        parts = [tsquery(sub) for sub in subs]
        if any(part is None for part in parts):
            return None
        if kind is And and all(part.startswith("!") for part in parts):
            return None  # nothing but negations: not a tsquery a GIN index can start from
        return "(" + (" & " if kind is And else " | ").join(parts) + ")"
    if kind is AndNot:
        a, b = tsquery(query.a), tsquery(query.b)
        return None if a is None or b is None else f"({a} & !({b}))"
    if kind is Require:
        a, b = tsquery(query.a), tsquery(query.b)
        return None if a is None or b is None else f"({a} & {b})"
    if kind is AndMaybe:
        return tsquery(query.a)
    return None


class _Compiler:
    """Turn a query tree into a SQL condition over `d` (search_documents), with bound parameters."""

    def __init__(self):
        self.params: dict = {}

    def param(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def condition(self, query) -> str:
        found = tsquery(query)
        if found is not None:
            return f"d.terms @@ CAST({self.param(found)} AS tsquery)"
        kind = type(query)
        if kind is Every:
            return "TRUE"
        if query is NullQuery or kind is type(NullQuery):
            return "FALSE"
        if kind is ColumnRange:
            column = {"created": "d.created", "score": "d.score"}[query.fieldname]
            parts = []
            if query.start is not None:
                parts.append(f"{column} >= {self.param(int(query.start))}")
            if query.end is not None:
                parts.append(f"{column} < {self.param(int(query.end))}")
            return "(" + " AND ".join(parts) + ")" if parts else "TRUE"
        if kind is Not:
            return f"NOT ({self.condition(query.query)})"
        if kind in (And, Or):
            if not query.subqueries:
                return "TRUE" if kind is And else "FALSE"
            joiner = " AND " if kind is And else " OR "
            return "(" + joiner.join(self.condition(sub) for sub in query.subqueries) + ")"
        if kind is AndNot:
            return f"({self.condition(query.a)} AND NOT ({self.condition(query.b)}))"
        if kind is Require:
            return f"({self.condition(query.a)} AND {self.condition(query.b)})"
        if kind is AndMaybe:
            return self.condition(query.a)
        raise _Unsupported(type(query).__name__)


def _ranked_words(query, found: dict | None = None) -> dict:
    """Return {word: the weights it is asked in} of the positive words and phrases that rank."""
    found = {} if found is None else found
    kind = type(query)
    if kind is Term and query.fieldname in WEIGHTS:
        found.setdefault(query.text, set()).add(WEIGHTS[query.fieldname])
    elif kind is Phrase and query.fieldname in WEIGHTS:
        for word in query.words:
            found.setdefault(word, set()).add(WEIGHTS[query.fieldname])
    elif kind in (And, Or):
        for sub in query.subqueries:
            if type(sub) is not Not:
                _ranked_words(sub, found)
    elif kind in (AndMaybe, Require):
        _ranked_words(query.a, found)
        _ranked_words(query.b, found)
    elif kind is AndNot:
        _ranked_words(query.a, found)
    return found


def _ranking(query) -> str | None:
    """The tsquery of the words that rank (the positive words and phrases), or None."""
    kind = type(query)
    if kind in (Term, Phrase):
        return tsquery(query) if query.fieldname in WEIGHTS else None
    if kind in (And, Or):
        parts = [part for part in (_ranking(sub) for sub in query.subqueries if type(sub) is not Not) if part]
        return "(" + " | ".join(parts) + ")" if parts else None
    if kind in (AndNot, AndMaybe, Require):
        parts = [part for part in (_ranking(query.a), _ranking(query.b) if kind is not AndNot else None) if part]
        return "(" + " | ".join(parts) + ")" if parts else None
    return None


def _required_pairs(query) -> set:
    """The pair lexemes (`pairs`, see `vectors`) every document the query finds holds: each phrase's adjacent
    words, of the phrases the query requires (not those under a NOT or in only some branches of an OR)."""
    kind = type(query)
    if kind is Phrase and query.fieldname in WEIGHTS:
        return {pair_lexeme(a, b) for a, b in zip(query.words, query.words[1:], strict=False)}
    if kind is And:
        return set().union(*(_required_pairs(sub) for sub in query.subqueries))
    if kind is Require:
        return _required_pairs(query.a) | _required_pairs(query.b)
    if kind in (AndNot, AndMaybe):
        return _required_pairs(query.a)
    if kind is Or and query.subqueries:
        found = [_required_pairs(sub) for sub in query.subqueries]
        return set.intersection(*found)
    return set()


def _one_word(query) -> str | None:
    """The word of a query that is one word asked in the title or the body (what a reader typing one word,
    English or Chinese, gets from parse), else None."""
    if type(query) is not Or or len(query.subqueries) != 2:
        return None
    if any(type(sub) is not Term for sub in query.subqueries):
        return None
    fields = {sub.fieldname for sub in query.subqueries}
    texts = {sub.text for sub in query.subqueries}
    if fields != set(WEIGHTS) or len(texts) != 1:
        return None
    word = texts.pop()
    return word if word and ":" not in word else None


def _counted(compiler: _Compiler, query, reader) -> str | None:
    """How many documents a one-word query finds for a reader, as SQL over search_counts (models.SearchCount:
    per word, board, visibility and whisper, gone documents never counted), or None for any other query or a
    reader's filter made of anything but what it is made of today. The same figure as counting
    `'word' & !(reader's filter)` over search_documents: a document holds the word (a lexeme), is not gone,
    and neither its board, its visibility nor its being a whisper is one the filter subtracts."""
    word = _one_word(query)
    if word is None or reader is None or type(reader) is not Or:
        return None
    boards, visibilities, whispers, gone = [], [], True, False
    for part in reader.subqueries:
        if type(part) is not Term:
            return None
        if part.fieldname == "facts" and part.text == "gone":
            gone = True
        elif part.fieldname == "facts" and part.text == "whisper":
            whispers = False
        elif part.fieldname == "facts" and part.text.startswith("v_"):
            visibilities.append(part.text[2:])
        elif part.fieldname == "board_id" and part.text.isdigit():
            boards.append(int(part.text))
        else:
            return None
    if not gone:  # the counts never hold gone documents: only a filter subtracting them is answered here
        return None
    return (f"SELECT COALESCE(sum(s.n), 0) AS n FROM search_counts s WHERE s.lexeme = {compiler.param(word)} "
            f"AND s.visibility <> {compiler.param(GONE)} "
            f"AND s.board_id <> ALL(CAST({compiler.param(boards)} AS integer[])) "
            f"AND s.visibility <> ALL(CAST({compiler.param(visibilities)} AS text[]))"
            + ("" if whispers else " AND NOT s.whisper"))


_COMPACT = text(
    "WITH k AS (SELECT DISTINCT lexeme, board_id, visibility, whisper FROM search_counts WHERE NOT compacted), "
    "old AS (DELETE FROM search_counts c USING k WHERE c.lexeme = k.lexeme AND c.board_id = k.board_id "
    "AND c.visibility = k.visibility AND c.whisper = k.whisper "
    "RETURNING c.lexeme, c.board_id, c.visibility, c.whisper, c.n) "
    "INSERT INTO search_counts (lexeme, board_id, visibility, whisper, n, compacted) "
    "SELECT lexeme, board_id, visibility, whisper, sum(n), true FROM old GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0")


def compact_counts(connection=None) -> int:
    """Sum the delta rows of every count changed since the last time into one row each (in one transaction:
    a reader sees the rows before or after, the same sums). Concurrent writers only insert rows, so they
    never wait; two compactions at once each sum only the rows they deleted. Returns the rows written."""
    if connection is None:
        written = db.session.execute(_COMPACT).rowcount
        db.session.commit()
        return written
    written = connection.execute(_COMPACT).rowcount
    connection.commit()
    return written


def _pairs_condition(compiler: _Compiler, pairs: set) -> str:
    """The documents holding every one of `pairs`, found by search_pairs' GIN index (a table of its own: the
    pairs in search_documents' rows would widen every row that searches by date or votes visit)."""
    return (f"d.post_id IN (SELECT p.post_id FROM search_pairs p WHERE p.pairs @@ "
            f"CAST({compiler.param(' & '.join(_quote(pair) for pair in sorted(pairs)))} AS tsquery))")


def _matching(compiler: _Compiler, tsquery_sql: str, pairs: set) -> str:
    """`d.terms @@ tsquery_sql` as SQL; with a phrase's pairs, search_pairs' GIN index finds the candidates and
    each is checked against the whole tsquery (ts_match_vq is `@@` as a function: the planner takes no index
    for it, so it does not also intersect the phrase's words' long posting lists, every candidate of which
    PostgreSQL would recheck)."""
    if not pairs:
        return f"d.terms @@ {tsquery_sql}"
    return f"{_pairs_condition(compiler, pairs)} AND ts_match_vq(d.terms, {tsquery_sql})"


# ---- the backend ----------------------------------------------------------------------------------------

class PostgresSearch:
    """Search documents in PostgreSQL. Stateless: every process and host reads and writes the same rows."""

    name = "postgres"
    in_transaction = True  # changes are written in the event's own transaction (before its commit)

    def __init__(self):
        self._trigram: bool | None = None

    # searching
    def search(self, member, query, boards, limit: int, sort: str, count: bool = True) -> Found:
        """Return the top `limit` post ids `member` may find for `query`, and how many there are."""
        compiler = _Compiler()
        reader = reader_filter(member, boards)  # raises NothingReadable
        excluded = tsquery(reader)
        words = tsquery(query)
        pairs = _required_pairs(query)
        try:
            if words is not None:  # the query and the reader's filter in one tsquery: one index scan
                where = _matching(compiler, f"CAST({compiler.param(f'({words}) & !({excluded})')} AS tsquery)", pairs)
            else:
                where = (f"{compiler.condition(query)} AND NOT (d.terms @@ CAST({compiler.param(excluded)} "
                         f"AS tsquery))")
                if pairs:
                    where = f"{_pairs_condition(compiler, pairs)} AND {where}"
        except _Unsupported:
            return Found()
        rank = _ranking(query)
        if sort == "newest":
            key, order = "d.created", "h.k DESC, h.post_id DESC"  # the same second: the later post first
        elif sort == "votes":
            key, order = "d.score", "h.k DESC, h.post_id"
        elif rank is not None:
            template = self._rank(compiler, query, rank, terms=_TERMS, norm=_NORM)
            key, order = template.replace(_TERMS, "d.terms").replace(_NORM, "1"), "h.k DESC, h.post_id"
            if words is not None and count:
                found = self._top_openings(compiler, query, rank, template, words, excluded, limit, reader, pairs)
                if found is not None:
                    return found
        else:
            key, order = "0", "h.post_id"
        # The sort key is computed below the count (OFFSET 0 keeps it there): the count's window then holds
        # (id, key) pairs, not every hit's tsvector (which spilled to disk at 1 000 000 posts).
        total_sql = ", count(*) OVER () AS total" if count else ""
        rows = db.session.execute(text(
            f"SELECT h.post_id{total_sql} FROM (SELECT d.post_id, {key} AS k FROM search_documents d "
            f"WHERE {where} OFFSET 0) h ORDER BY {order} LIMIT :limit"),
            {**compiler.params, "limit": max(int(limit), 1)}).all()
        ids = [row[0] for row in rows][:limit]
        return Found(ids, rows[0][1] if rows and count else len(ids), False)

    FEW = 2_000  # hits ranked all at once; above this, the openings first

    def _top_openings(self, compiler: _Compiler, query, rank: str, template: str, words: str, excluded: str,
                      limit: int, reader=None, pairs: set = frozenset()) -> Found | None:
        """The top `limit` hits by relevance without ranking every hit, or None (then every hit is ranked).

        Only an opening post carries title words (weight A), and a title word outranks any number of body
        words (ts_rank: a title hit scores at least 1/1.64 before the length division, a body-only document
        at most 0.17). So the openings among the hits are ranked first, and the replies are provably below
        them when the last opening kept scores more than any reply could: `_reply_bound`, the same rank
        expression on a made-up reply holding every word 256 times (the most a position list keeps) in the
        shortest document there is. Otherwise, or with fewer openings than `limit`, None. Exact either way.
        With FEW hits or fewer, the same statement ranks every hit and answers (one statement, as before)."""
        every = compiler.param(f"({words}) & !({excluded})")
        openings = compiler.param(f"(({words}) & {_quote('facts:opening')}) & !({excluded})")
        bound = self._reply_bound(compiler, query, rank, template)
        key = template.replace(_TERMS, "d.terms").replace(_NORM, "1")
        counted = (_counted(compiler, query, reader) or "SELECT count(*) AS n FROM search_documents d WHERE "
                   + _matching(compiler, f"CAST({every} AS tsquery)", pairs))
        # One statement: the count (from search_counts for one word, else an index scan reading no tsvector),
        # then, by that count, either every hit ranked (few: the same as the plain statement) or the openings
        # only; and the replies' bound.
        rows = db.session.execute(text(
            f"WITH c AS MATERIALIZED ({counted}) "
            f"SELECT c.n, h.post_id, h.k, {bound} AS bound FROM c LEFT JOIN LATERAL ("
            f"SELECT d.post_id, {key} AS k FROM search_documents d "
            f"WHERE {_matching(compiler, f'CAST(CASE WHEN c.n <= :few THEN {every} ELSE {openings} END AS tsquery)', pairs)} "
            f"ORDER BY k DESC, d.post_id LIMIT :limit) h ON true"),
            {**compiler.params, "limit": max(int(limit), 1), "few": max(self.FEW, int(limit))}).all()
        total = int(rows[0][0]) if rows else 0
        hits = [row for row in rows if row[1] is not None]
        if total <= max(self.FEW, limit):
            return Found([row[1] for row in hits][:limit], total, False)
        if len(hits) < limit or hits[-1][2] is None or rows[0][3] is None:
            return None
        if float(hits[-1][2]) <= float(rows[0][3]) * 1.001 + 1e-9:
            return None
        return Found([row[1] for row in hits][:limit], total, False)

    @staticmethod
    def _reply_bound(compiler: _Compiler, query, rank: str, template: str) -> str:
        """The most a document without title words can score, as SQL (NULL when not bounded here): the rank
        expression (the same idf figures) with no length division, on a made-up body holding each ranked
        word at 256 positions (the most a position list keeps), divided by the length division of the
        shortest document (log2 of 7 + 1: one word, the board, the thread and four facts)."""
        words = _ranked_words(query)
        if not words or ("<->" in rank and len(words) < 2):  # ts_rank's phrase arithmetic: not bounded here
            return "NULL"
        body = " ".join(f"{_quote(word)}:{','.join(str(p) for p in range(1, 257))}" for word in sorted(words))
        made_up = f"CAST({compiler.param(body)} AS tsvector)"
        return "((" + template.replace(_TERMS, made_up).replace(_NORM, "0") + ") / 3.0)"

    @staticmethod
    def _rank(compiler: _Compiler, query, rank: str, terms: str = "d.terms", norm: int = 1) -> str:
        """The relevance of a document as SQL: ts_rank (title words weigh ten times body words, longer
        documents a little less), and with several words each word's rank times its rarity (BM25's idf),
        so that a rare word of the query counts for more than a common one, as with Whoosh.
        (`terms` and `norm` let `_reply_bound` evaluate the same expression on a made-up document.)"""
        weights = "'{0.17, 0, 0.4, 1.0}'"  # D (body), C (filters: never ranked), B, A (title): Whoosh's 1:6
        words = _ranked_words(query)
        if len(words) < 2 or len(words) > 24:
            return f"ts_rank({weights}, {terms}, CAST({compiler.param(rank)} AS tsquery), {norm})"
        total, found = _document_frequencies(sorted(words))
        parts = []
        for word in sorted(words):
            idf = math.log((total - found[word] + 0.5) / (found[word] + 0.5) + 1.0)
            lexeme = f"{_quote(word)}:{''.join(sorted(words[word]))}"
            parts.append(f"{idf:.6f} * ts_rank({weights}, {terms}, CAST({compiler.param(lexeme)} AS tsquery), {norm})")
        return "(" + " + ".join(parts) + ")"

    def spelling(self, word: str) -> str | None:
        """Return the closest title word within two edits of `word`, or None."""
        if self._trigram is None:
            self._trigram = bool(db.session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")))
        if self._trigram:
            candidates = db.session.scalars(text(
                "SELECT word FROM search_words WHERE similarity(word, :w) > 0.2 "
                "ORDER BY similarity(word, :w) DESC, word LIMIT 20"), {"w": word}).all()
        else:
            candidates = db.session.scalars(text(
                "SELECT word FROM search_words WHERE length(word) BETWEEN :low AND :high AND left(word, 1) = :first "
                "ORDER BY word LIMIT 5000"), {"low": len(word) - 2, "high": len(word) + 2, "first": word[:1]}).all()
        scored = sorted((_distance(word, c), c) for c in candidates if c != word)
        if word in candidates:
            return word
        return scored[0][1] if scored and scored[0][0] <= 2 else None

    # writing
    def changed(self, session, changed: dict) -> None:
        """Rewrite the documents of what a transaction changed, inside that transaction (before its commit)."""
        docs: dict = {}
        gone: set = set()
        threads = sorted(changed["threads"])
        for start in range(0, len(threads), BATCH):
            chunk = threads[start:start + BATCH]
            kept = set()
            for post in all_posts(session, Post.thread_id.in_(chunk)):
                docs[post.id] = document(post)
                kept.add(post.id)
            # a thread's posts may have left it (merge, split): those of its documents not kept go
            gone.update(session.scalars(text(
                "SELECT post_id FROM search_documents WHERE thread_id IN (SELECT unnest(CAST(:t AS integer[])))"),
                {"t": chunk}).all())
            gone -= kept
        openings = sorted(set(changed["openings"]) - set(threads))
        for start in range(0, len(openings), BATCH):
            for post in load_posts(session, Post.thread_id.in_(openings[start:start + BATCH]) & (Post.number == 1)):
                docs[post.id] = document(post)
        members = sorted(changed["members"])
        for start in range(0, len(members), BATCH):
            for post in all_posts(session, Post.author_id.in_(members[start:start + BATCH])):
                docs[post.id] = document(post)
        posts = sorted(set(changed["posts"]) - set(docs))
        for start in range(0, len(posts), BATCH):
            chunk = posts[start:start + BATCH]
            found = load_posts(session, Post.id.in_(chunk))
            for post in found:
                docs[post.id] = document(post)
            gone.update(set(chunk) - {post.id for post in found})
        gone -= set(docs)
        if gone:
            session.execute(_DELETE, {"ids": sorted(gone)})
        self._write(session, [docs[key] for key in sorted(docs)])

    @staticmethod
    def _rows(docs: list) -> tuple[list, list]:
        """The documents' rows (in post id order) and the title words they bring, as `_write` takes them."""
        rows = [{"post_id": int(doc["post_id"]), "thread_id": int(doc["thread_id"]), "created": doc["created"],
                 "score": doc["score"], "terms": terms, "pairs": pairs}
                for doc, (terms, pairs) in zip(docs, map(vectors, docs), strict=True)]
        words = sorted(set().union(*(_title_words(doc.get("title", "")) for doc in docs))) if docs else []
        return rows, [{"word": word} for word in words]

    @staticmethod
    def _write(session, docs: list) -> None:
        """Insert or replace documents (in post id order, so concurrent transactions lock rows alike)."""
        if docs:
            PostgresSearch._execute(session, *PostgresSearch._rows(docs))

    @staticmethod
    def _execute(connection, rows: list, words: list) -> None:
        """Write the rows in one statement (arrays unnested: one round trip, and search_counts' statement
        triggers run once per batch, not once per document as an executemany would make them)."""
        if rows:
            connection.execute(_UPSERT, {name: [row[name] for row in rows]
                                         for name in ("post_id", "thread_id", "created", "score", "terms", "pairs")})
        if words:
            connection.execute(_WORDS, {"words": [row["word"] for row in words]})

    def reindex(self, progress=None) -> int:
        """Rewrite every document from the database, a batch per transaction, then drop those of posts
        that are gone. Searches keep answering from the rows meanwhile (old or already new).

        Two threads overlap: this one reads a batch of posts and analyzes it (Python, jieba) while a
        writer thread on a connection of its own sends the previous batch and commits it (PostgreSQL's
        parsing of the tsvectors and the GIN updates happen in the server meanwhile, on another core)."""
        session = db.session
        bulk = _bulk_begin()
        try:
            count = self._reindex(session, progress)
        finally:
            if bulk:
                _bulk_end()
        compact_counts()
        return count

    def _reindex(self, session, progress) -> int:
        batches: queue.Queue = queue.Queue(maxsize=2)
        failed: list = []
        writer = threading.Thread(target=_write_batches, args=(db.engine, batches, failed, self._execute),
                                  name="search-reindex-writer", daemon=True)
        writer.start()
        after, count = 0, 0
        try:
            while not failed:
                posts = load_posts(session, Post.id > 0, limit=BATCH, after=after)
                if not posts:
                    break
                batches.put(self._rows([document(post) for post in posts]))
                after = posts[-1].id
                count += len(posts)
                session.rollback()  # read-only here: end the snapshot, keep no rows
                session.expunge_all()
                if progress:
                    progress(len(posts))
        finally:
            batches.put(None)
            writer.join()
        if failed:
            raise failed[0]
        session.execute(text("DELETE FROM search_documents d WHERE NOT EXISTS "
                             "(SELECT 1 FROM posts p WHERE p.id = d.post_id)"))
        session.execute(text("DELETE FROM search_pairs s WHERE NOT EXISTS "
                             "(SELECT 1 FROM search_documents d WHERE d.post_id = s.post_id)"))
        session.commit()
        return count

    def clear(self) -> None:
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM search_pairs"))
            connection.execute(text("DELETE FROM search_documents"))
            connection.execute(text("DELETE FROM search_counts"))  # no document left: every count is 0
            connection.execute(text("DELETE FROM search_words"))

    def wait(self, timeout: float = 30.0) -> bool:
        return True  # written at commit: nothing is ever waiting

    def health(self) -> dict:
        try:
            estimate = db.session.scalar(text(
                "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'search_documents'"))
            db.session.execute(text("SELECT 1 FROM search_documents LIMIT 1"))
            return {"ok": True, "backend": "postgres", "documents": int(estimate or 0)}
        except Exception as exc:  # any failure to read is "down" for /healthz
            db.session.rollback()
            return {"ok": False, "backend": "postgres", "error": type(exc).__name__}

    def document_count(self) -> int:
        return int(db.session.scalar(text("SELECT count(*) FROM search_documents")) or 0)


FREQUENCY_SECONDS = 300  # how long a word's document frequency (for idf) is reused
LARGE_TABLE = 50_000  # documents from which frequencies are reused, and read from search_counts
_frequencies: dict = {}  # word -> (documents holding it, monotonic time)
_frequencies_lock = threading.Lock()


def _document_frequencies(words: list) -> tuple[int, dict]:
    """Return (documents, {word: documents holding it}) for BM25's idf. Counting a common word's documents
    reads most of the table at 1 000 000 posts (as long as a search), and the figures move slowly, so on a
    large table (50 000 documents or more) each process reuses them for FREQUENCY_SECONDS: a rank may use
    counts up to that old. A smaller table is counted exactly every time."""
    total = int(db.session.scalar(text(
        "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'search_documents'")) or 0)
    now = time.monotonic()
    known: dict = {}
    if total >= LARGE_TABLE:
        with _frequencies_lock:
            known = {key: value[0] for key, value in _frequencies.items()
                     if key in words and now - value[1] < FREQUENCY_SECONDS}
    else:  # a small (or never analysed) table: count it exactly
        total = int(db.session.scalar(text("SELECT count(*) FROM search_documents")) or 0)
    missing = [word for word in words if word not in known]
    if missing and total >= LARGE_TABLE and _counts_ready():
        # search_counts holds every document's words (gone ones under GONE): a word's documents summed over
        # its rows, the figure the statement below counts by visiting them (a tenth of the table for a
        # common word), without the visit
        summed = dict(db.session.execute(text(
            "SELECT lexeme, sum(n) FROM search_counts WHERE lexeme = ANY(CAST(:words AS text[])) GROUP BY lexeme"),
            {"words": missing}).all())
        known.update({word: int(summed.get(word) or 0) for word in missing})
        with _frequencies_lock:
            if len(_frequencies) > 10_000:
                _frequencies.clear()
            _frequencies.update({word: (known[word], now) for word in missing})
        missing = []
    if missing:
        counts = db.session.execute(text(
            "SELECT count(*), " + ", ".join(f"count(*) FILTER (WHERE d.terms @@ CAST(:w{i} AS tsquery))"
                                             for i in range(len(missing)))
            + " FROM search_documents d WHERE d.terms @@ CAST(:anyword AS tsquery)"),
            {**{f"w{i}": _quote(w) for i, w in enumerate(missing)},
             "anyword": " | ".join(_quote(w) for w in missing)}).one()
        total = max(total, int(counts[0]))
        known.update({word: int(counts[i + 1]) for i, word in enumerate(missing)})
        if total >= LARGE_TABLE:
            with _frequencies_lock:
                if len(_frequencies) > 10_000:
                    _frequencies.clear()
                _frequencies.update({word: (known[word], now) for word in missing})
    return max([total, *known.values()]), known


def _counts_ready() -> bool:
    """Whether search_counts holds every document's words: its triggers are on (off only while a first fill
    runs: `_bulk_begin`)."""
    return bool(db.session.scalar(text(
        "SELECT bool_and(tgenabled <> 'D') FROM pg_trigger WHERE tgname = 'search_counts_insert'")))


# A document and its pairs in one statement (one round trip; both tables in step in its transaction).
_UPSERT = text(
    "WITH u AS (SELECT * FROM unnest(CAST(:post_id AS integer[]), CAST(:thread_id AS integer[]), "
    "CAST(:created AS bigint[]), CAST(:score AS integer[]), CAST(:terms AS text[]), CAST(:pairs AS text[])) "
    "AS u(post_id, thread_id, created, score, terms, pairs)), "
    "d AS (INSERT INTO search_documents (post_id, thread_id, created, score, terms) "
    "SELECT u.post_id, u.thread_id, u.created, u.score, CAST(u.terms AS tsvector) FROM u "
    "ON CONFLICT (post_id) DO UPDATE SET thread_id = excluded.thread_id, created = excluded.created, "
    "score = excluded.score, terms = excluded.terms) "
    "INSERT INTO search_pairs (post_id, pairs) SELECT u.post_id, CAST(u.pairs AS tsvector) FROM u "
    "ON CONFLICT (post_id) DO UPDATE SET pairs = excluded.pairs")
_DELETE = text("WITH p AS (DELETE FROM search_pairs WHERE post_id IN (SELECT unnest(CAST(:ids AS integer[])))) "
               "DELETE FROM search_documents WHERE post_id IN (SELECT unnest(CAST(:ids AS integer[])))")
_WORDS = text("INSERT INTO search_words (word) SELECT unnest(CAST(:words AS text[])) ON CONFLICT (word) DO NOTHING")


_INDEXES = {"ix_search_documents_terms": ("search_documents", "terms"), "ix_search_pairs_pairs": ("search_pairs", "pairs")}
_COUNTING = ("insert", "update", "delete")  # search_counts' triggers a first fill turns off (not truncate)
BULK_MEMORY = "256MB"  # maintenance_work_mem of the statements building the GIN indexes after a first fill


def _bulk_begin() -> bool:
    """Before a full reindex: when `search_documents` is empty (a first fill), or a first fill was cut short
    (an index missing), write without the GIN indexes and search_counts' triggers (`_bulk_end` builds both
    at once afterwards, far cheaper than per batch). Returns whether it did. Searches meanwhile read the
    documents without an index (slower, the same results); one-word counts wait for `_bulk_end`."""
    with db.engine.begin() as connection:
        missing = set(_INDEXES) - set(connection.scalars(text(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('search_documents', 'search_pairs')")).all())
        empty = not connection.scalar(text("SELECT EXISTS (SELECT 1 FROM search_documents)"))
        if not missing and not empty:
            return False
        if empty:  # pairs left without their documents (a TRUNCATE of search_documents): none is read
            connection.exec_driver_sql("TRUNCATE search_pairs")
        for kind in _COUNTING:
            connection.exec_driver_sql(f"ALTER TABLE search_documents DISABLE TRIGGER search_counts_{kind}")
        for name in _INDEXES:
            connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    return True


def _bulk_end() -> None:
    """After a first fill: build the GIN indexes, turn the counts' triggers back on and count every document
    into search_counts, in one transaction that keeps writers out meanwhile (so no document is counted twice
    or never)."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("LOCK TABLE search_documents, search_pairs IN SHARE ROW EXCLUSIVE MODE")
        connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{BULK_MEMORY}'")
        for name, (table, column) in _INDEXES.items():
            connection.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column})")
        for kind in _COUNTING:
            connection.exec_driver_sql(f"ALTER TABLE search_documents ENABLE TRIGGER search_counts_{kind}")
        connection.exec_driver_sql("DELETE FROM search_counts")
        connection.exec_driver_sql(COUNTS_FILL_SQL)


COMPACT_BATCHES = 100  # batches a reindex writes between two compactions of the counts


def _write_batches(engine, batches: queue.Queue, failed: list, execute) -> None:
    """The reindex's writer thread: write and commit each batch of rows until None; keep an error for the
    reader thread (which stops reading) and drain the queue so it never blocks."""
    try:
        with engine.connect() as connection:
            written = 0
            while (batch := batches.get()) is not None:
                if failed:
                    continue
                execute(connection, *batch)
                connection.commit()
                written += 1
                if written % COMPACT_BATCHES == 0:  # keep the counts' delta rows few while a reindex runs
                    compact_counts(connection)
    except Exception as exc:  # handed to the reindex's thread, which raises it
        failed.append(exc)
        while batches.get() is not None:
            pass


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (words are short)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


_backend = PostgresSearch()


def backend(app=None) -> PostgresSearch:
    """Return the postgres backend (one per process; it keeps no state of its own)."""
    if app is not None and not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("postgresql"):
        raise RuntimeError("SEARCH_BACKEND=postgres needs a PostgreSQL DATABASE_URL.")
    return _backend

