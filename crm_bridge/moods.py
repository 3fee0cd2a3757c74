"""Signal subscribers and readers for post sentiment (the scoring itself is in sentiment.py)."""
from __future__ import annotations

from datetime import timedelta

from flask import g, has_app_context
from sqlalchemy import case, func, select

from community import signals
from community.dbtypes import utcnow
from community.extensions import db
from community.forum.models import Board

from . import rollups
from .models import DailyMood, PostSentiment
from .sentiment import analyse_html


def _score(post) -> None:
    score, label, language = analyse_html(post.body_html)
    row = db.session.get(PostSentiment, post.id) if post.id is not None else None
    negative = 1 if label == "negative" else 0
    if row is None:
        created = post.created_at or utcnow()
        db.session.add(PostSentiment(post_id=post.id, member_id=None if getattr(post.author, 'deleted_at', None) else post.author_id, board_id=post.thread.board_id,
                                     thread_id=post.thread_id, score=score, label=label, language=language,
                                     created_at=created))
        rollups.add_mood(rollups.day_of(created), post.thread.board_id, 1, negative, score)
    else:
        was_negative = 1 if row.label == "negative" else 0
        if negative != was_negative or score != row.score:
            rollups.add_mood(rollups.day_of(row.created_at), row.board_id, 0, negative - was_negative,
                             score - row.score)
        row.score, row.label, row.language = score, label, language


def on_thread_created(thread, post=None, **_kw):
    if post is not None:
        _score(post)


def on_post_created(post, **_kw):
    _score(post)


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
