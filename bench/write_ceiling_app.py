"""The write ceiling of votes.py: a plain Flask + SQLAlchemy app doing what a vote must do at the least.

    gunicorn --chdir bench write_ceiling_app:app      (DATABASE_URL: the same PostgreSQL database as the app's)

Per vote request: Flask's signed session cookie names the member (403 without it), one upsert of the
member's vote row (INSERT ... ON CONFLICT DO UPDATE ... RETURNING the previous value through a CTE) and
one counter update (`score = score + delta` RETURNING score), one commit; the answer is the app's JSON,
{"score", "my_vote"}. No CSRF, translations, permissions, signals or templates: the least a vote that
keeps exact counts can cost through this stack on this database.

Tables `ceiling_posts` and `ceiling_votes` are created (and emptied) by `reset(url, posts)`, which
votes.py calls before serving it; they live beside the app's tables and touch none of them.
"""
from __future__ import annotations

import os

from flask import Flask, abort, jsonify, request, session
from sqlalchemy import create_engine, text

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "bench-ceiling-secret")
engine = create_engine(os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_votes"),
                       pool_size=5, pool_pre_ping=False)

UPSERT = text("""
WITH old AS (SELECT value FROM ceiling_votes WHERE post_id = :post AND member_id = :member FOR UPDATE),
     new AS (INSERT INTO ceiling_votes (post_id, member_id, value) VALUES (:post, :member, :value)
             ON CONFLICT (post_id, member_id) DO UPDATE SET value = EXCLUDED.value RETURNING value)
SELECT coalesce((SELECT value FROM old), 0)
""")
BUMP = text("UPDATE ceiling_posts SET score = score + :delta WHERE id = :post RETURNING score")


def reset(url: str, posts: list[int]) -> None:
    """Create (or empty) the ceiling's tables with one row per post id, score 0."""
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS ceiling_posts (id integer PRIMARY KEY, score integer NOT NULL)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS ceiling_votes (post_id integer NOT NULL, member_id integer "
                          "NOT NULL, value integer NOT NULL, PRIMARY KEY (post_id, member_id))"))
        conn.execute(text("TRUNCATE ceiling_posts, ceiling_votes"))
        conn.execute(text("INSERT INTO ceiling_posts (id, score) VALUES (:id, 0)"), [{"id": p} for p in posts])


@app.post("/ceiling/login")
def login():
    session["member"] = int(request.form["member"])
    return jsonify(ok=True)


@app.post("/p/<int:post_id>/vote")
def vote(post_id: int):
    member = session.get("member")
    if member is None:
        abort(403)
    value = int(request.form.get("value", "1"))
    with engine.begin() as conn:
        previous = conn.execute(UPSERT, {"post": post_id, "member": member, "value": value}).scalar_one()
        score = conn.execute(BUMP, {"delta": value - previous, "post": post_id}).scalar_one_or_none()
    if score is None:
        abort(404)
    return jsonify(score=score, my_vote=value)
