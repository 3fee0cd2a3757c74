"""Signal subscribers and readers for post sentiment (the scoring itself is in sentiment.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from community import dbbatch, signals
from community.aftercommit import at_commit
from community.dbtypes import utcnow
from community.errors import ServiceError
from community.extensions import db
from community.forum.models import Board, Post
from community.permissions import can_view_post

from . import rollups
from .models import DailyMood, PostSentiment
from .sentiment import NEUTRAL, Reading, model_dir, post_text, read_html
from .sentiment import model as sentiment_model


def _score(post, new: bool = False) -> None:
    """Score `post` into its sentiment row. `new`: the post was created in this transaction, so it has no
    row yet unless this transaction scored it already (no query asks): the row and its day's mood are
    written at once, one insert and one rollup statement (that one at commit)."""
    reading = read_html(post.body_html)
    scored = db.session.info.setdefault(_SCORED, set())
    if new and post.id not in scored:
        row = None
    else:
        row = db.session.get(PostSentiment, post.id) if post.id is not None else None
    if row is None:
        created = post.created_at or utcnow()
        row = PostSentiment(post_id=post.id, board_id=post.thread.board_id, thread_id=post.thread_id,
                            member_id=None if getattr(post.author, "deleted_at", None) else post.author_id,
                            created_at=created, score=0.0, label=NEUTRAL, language=reading.language)
        _apply(row, reading, rollup=False)  # a new row: its effective score goes into the day's row below
        dbbatch.add(row)  # a reply's subscribers: one statement with the other rows nothing reads back
        # the (day, board) row is one every post of the board that day shares: written as the transaction's
        # last statement, its lock is held for the commit, not through the rest of the post's subscribers
        at_commit(rollups.add_mood, rollups.day_of(created), post.thread.board_id, 1,
                  1 if row.label == "negative" else 0, row.score)
        scored.add(post.id)
        return
    _apply(row, reading)


_SCORED = "crm_sentiment_scored_posts"  # session.info: posts whose row this transaction added


def _effective(row: PostSentiment) -> tuple[float, str]:
    if row.corrected_label:
        return float(CORRECTED_SCORE[row.corrected_label]), row.corrected_label
    return row.model_score, row.model_label


def _set_effective(row: PostSentiment, rollup: bool = True) -> None:
    """Make score/label what the figures should use, keeping the daily rollup in step (unless `rollup` is
    False: the caller adds the row's effective figures itself)."""
    score, label = _effective(row)
    was_negative = 1 if row.label == "negative" else 0
    negative = 1 if label == "negative" else 0
    if rollup and (negative != was_negative or score != row.score):
        rollups.add_mood(rollups.day_of(row.created_at), row.board_id, 0, negative - was_negative,
                         score - (row.score or 0.0))
    row.score, row.label = score, label


def _apply(row: PostSentiment, reading: Reading, rollup: bool = True) -> None:
    row.model_score, row.model_label, row.language = reading.score, reading.label, reading.language
    row.reasons = [[phrase, push] for phrase, push in reading.reasons]
    row.model_version = reading.version
    _set_effective(row, rollup)


CORRECTED_SCORE = {"positive": 1, "negative": -1, "neutral": 0}


def correct(row: PostSentiment, label: str | None, by) -> None:
    """Record a staff correction of a post's sentiment (None takes it back); the scores use it at once."""
    if label is not None and label not in CORRECTED_SCORE:
        raise ServiceError(_("Choose positive, neutral or negative."))
    if row.model_label is None:  # scored before the model's own reading was kept
        row.model_score, row.model_label = row.score, row.label
    row.corrected_label = label
    row.corrected_by_id = by.id if label else None
    row.corrected_at = utcnow() if label else None
    _set_effective(row)


def why(row: PostSentiment) -> str:
    """The words that pushed a post's score, for a tooltip: 'great (+0.41), not working (-0.37)'."""
    if not row.reasons:
        return _("No words here carry an opinion.")
    return _("Pushed by: %(words)s", words=", ".join(f"{phrase} ({push:+.2f})" for phrase, push in row.reasons))


def label_names() -> dict:
    return {"positive": _("positive"), "negative": _("negative"), "neutral": _("neutral")}


def corrections_of(member_id: int, limit: int = 20) -> list[PostSentiment]:
    """The staff corrections of a member's posts, newest first."""
    return list(db.session.scalars(select(PostSentiment).options(selectinload(PostSentiment.corrected_by)).where(
        PostSentiment.member_id == member_id, PostSentiment.corrected_label.is_not(None))
        .order_by(PostSentiment.corrected_at.desc()).limit(limit)))


def rescore(progress=None, batch: int = 500) -> int:
    """Score again every post whose row a different model version scored, committing each batch.

    Resumable: a row carries the version that scored it, so a run stopped half-way goes on where it
    stopped. Until its turn comes a row keeps its old score, so the figures never have a hole.
    """
    version = {language: sentiment_model(language, model_dir()).version for language in ("en", "zh")}
    done, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(PostSentiment, Post.body_html).join(Post, Post.id == PostSentiment.post_id)
            .where(PostSentiment.post_id > last_id,
                   PostSentiment.model_version.not_in(list(version.values())))
            .order_by(PostSentiment.post_id).limit(batch)).all()
        if not rows:
            return done
        for row, body_html in rows:
            _apply(row, read_html(body_html))
            last_id = row.post_id
        db.session.commit()
        done += len(rows)
        if progress is not None:
            progress(len(rows))


def pending_rescore() -> int:
    version = [sentiment_model(language, model_dir()).version for language in ("en", "zh")]
    return db.session.scalar(select(func.count()).select_from(PostSentiment)
                             .where(PostSentiment.model_version.not_in(version))) or 0


def labelled_examples(reader=None):
    """(language, label, text) of every corrected post `reader` may see (all of them for the CLI, reader None):
    the next training run's extra data."""
    rows = db.session.execute(select(PostSentiment.language, PostSentiment.corrected_label, Post)
                              .join(Post, Post.id == PostSentiment.post_id)
                              .where(PostSentiment.corrected_label.is_not(None))
                              .order_by(PostSentiment.post_id))
    for language, label, post in rows:
        if reader is None or can_view_post(reader, post):  # asked at read time, as every channel does
            yield language, label, " ".join(post_text(post.body_html).split())


def on_thread_created(thread, post=None, **_kw):
    if post is not None:
        _score(post, new=True)


def on_post_created(post, **_kw):
    _score(post, new=True)


def on_post_edited(post, **_kw):
    _score(post)


def connect() -> None:
    for signal, receiver in ((signals.thread_created, on_thread_created), (signals.post_created, on_post_created),
                             (signals.post_edited, on_post_edited)):
        def run(sender, _receiver=receiver, **kwargs):
            if has_app_context():
                db.session.flush()  # the post's id, for the row's key
                _receiver(sender, **kwargs)
        signal.connect(run, weak=False)


def for_post(post) -> PostSentiment | None:
    """The sentiment of `post`, loading its whole thread's once per request (one query per page)."""
    cache = g.__dict__.setdefault("_crm_sentiments", {})
    if post.thread_id not in cache:
        cache[post.thread_id] = {row.post_id: row for row in db.session.scalars(
            select(PostSentiment).where(PostSentiment.thread_id == post.thread_id))}
    return cache[post.thread_id].get(post.id)


def weekly_trend(member_id: int, weeks: int = 12) -> list[tuple[int, float | None, int]]:
    """Average score per week for a member, oldest first: (weeks ago, average or None, posts)."""
    now = utcnow()
    rows = db.session.execute(select(PostSentiment.created_at, PostSentiment.score).where(
        PostSentiment.member_id == member_id, PostSentiment.created_at >= now - timedelta(weeks=weeks))).all()
    buckets: dict[int, list[float]] = {}
    for created, score in rows:
        buckets.setdefault(min(weeks - 1, (now - created).days // 7), []).append(score)
    return [(ago, round(sum(v) / len(v), 2) if (v := buckets.get(ago)) else None, len(buckets.get(ago, [])))
            for ago in range(weeks - 1, -1, -1)]


def member_summary(member_id: int, days: int = 90) -> dict:
    since = utcnow() - timedelta(days=days)
    rows = dict(db.session.execute(select(PostSentiment.label, func.count()).where(
        PostSentiment.member_id == member_id, PostSentiment.created_at >= since).group_by(PostSentiment.label)).all())
    average = db.session.scalar(select(func.avg(PostSentiment.score)).where(
        PostSentiment.member_id == member_id, PostSentiment.created_at >= since))
    return {"positive": rows.get("positive", 0), "negative": rows.get("negative", 0),
            "neutral": rows.get("neutral", 0), "average": round(average, 2) if average is not None else None}


def by_board(days: int = 30) -> list[tuple[Board, float, int, int]]:
    """Per board: average score, posts, negative posts, over `days`, most negative first."""
    since = utcnow() - timedelta(days=days)
    negative = func.sum(case((PostSentiment.label == "negative", 1), else_=0))
    rows = db.session.execute(select(Board, func.avg(PostSentiment.score), func.count(), negative)
                              .join(Board, Board.id == PostSentiment.board_id)
                              .where(PostSentiment.created_at >= since).group_by(Board.id)
                              .order_by(func.avg(PostSentiment.score))).all()
    return [(board, round(avg or 0, 2), count, int(neg or 0)) for board, avg, count, neg in rows]


def negative_share_per_day(days: int = 30) -> list:
    """Per day, the percentage of posts that read negative (a whole number, for the dashboard chart)."""
    since = utcnow() - timedelta(days=days)
    day = rollups.day_bucket(PostSentiment.created_at)
    rows = db.session.execute(select(day, func.count(), func.sum(case((PostSentiment.label == "negative", 1), else_=0)))
                              .where(PostSentiment.created_at >= since).group_by(day)).all()
    return rollups.daily_series([(d, round(100 * (neg or 0) / total) if total else 0) for d, total, neg in rows], days)


def posts_mood_and_boards(days: int = 30):
    """Posts per day, negative share per day, and per board (average, posts, negative), most negative
    board first: read from the daily rollup (days x boards rows), not from every post."""
    since = rollups.day_of(utcnow() - timedelta(days=days - 1))
    rows = db.session.execute(select(DailyMood.day, DailyMood.board_id, DailyMood.posts, DailyMood.negative,
                                     DailyMood.score_sum).where(DailyMood.day >= since)).all()
    per_day: dict = {}
    per_board: dict[int, list] = {}
    for d, board_id, count, neg, total in rows:
        entry = per_day.setdefault(d, [0, 0])
        entry[0] += count
        entry[1] += neg or 0
        acc = per_board.setdefault(board_id, [0, 0, 0.0])
        acc[0] += count
        acc[1] += neg or 0
        acc[2] += total or 0.0
    posts = rollups.daily_series([(d, v[0]) for d, v in per_day.items()], days)
    share = rollups.daily_series([(d, round(100 * v[1] / v[0]) if v[0] else 0) for d, v in per_day.items()], days)
    boards = {b.id: b for b in db.session.scalars(select(Board).where(Board.id.in_(per_board)))}
    by_board_rows = sorted(((boards[b], round(v[2] / v[0], 2), v[0], v[1]) for b, v in per_board.items()
                            if b in boards and v[0]), key=lambda row: row[1])
    return posts, share, by_board_rows
