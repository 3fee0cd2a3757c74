"""The "ceiling": a plain Flask + Jinja thread page of about the same size, from static data in memory.

No database, no sessions, no login, no translations, no permission checks: what one request costs
when a Flask worker only renders a template of this size. `ceiling_app:app` for gunicorn.

For a signed-in reader (thread_page.py --reader member), `/member/t/<id>` is the same page behind
Flask's signed session cookie: it answers 403 unless the cookie set by `/member/sign-in` comes back
(the signature is checked on every request), and names the member in the header. Still no database.
"""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import content
from flask import Flask, abort, render_template, session
from markdown_it import MarkdownIt

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "ceiling_templates"))
app.secret_key = os.environ.get("SECRET_KEY", "bench-ceiling-secret")


def _build_thread(posts: int = 50) -> dict:
    md = MarkdownIt("commonmark")
    start = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
    targets = content.reply_targets(posts)
    items = []
    for number, body in enumerate(content.post_bodies(posts), start=1):
        username, display_name, staff = content.MEMBERS[content.author_of(number)]
        created = start + timedelta(minutes=17 * number)
        items.append({
            "id": 1000 + number, "number": number, "official": staff and number > 1,
            "author": {"name": display_name or username, "url": f"/u/{username}"},
            "created_iso": created.isoformat(), "created_title": created.strftime("%b %d, %Y, %I:%M:%S %p"),
            "created_short": created.strftime("%m/%d/%y, %I:%M %p"),
            "reply_to": targets.get(number),
            "body_html": md.render(body), "score": number % 4,
        })
    by_number = {item["number"]: item for item in items}
    for item in items:
        if item["reply_to"]:
            target = by_number[item["reply_to"]]
            item["reply_to"] = {"number": target["number"], "author": target["author"]["name"],
                                "url": f"/t/1#post-{target['number']}"}
    return {"id": 1, "title": content.THREAD_TITLE, "board": {"name": content.BOARD_NAME, "url": "/b/bench-help"},
            "posts": items}


THREAD = _build_thread()
# The reactions a post offers (community/reactions/kinds.py), and a CSRF token of the app's length.
REACTIONS = [{"code": code, "emoji": emoji, "label": label} for code, emoji, label in (
    ("like", "👍", "Like"), ("thanks", "🙏", "Thanks"), ("laugh", "😄", "Laugh"), ("wow", "😮", "Wow"),
    ("sad", "😢", "Sad"))]
CSRF_TOKEN = "IjMyODRkN2NjNDkzMTRjZDdkMWNjMWM5MTVhYzYwYzJkODY5YjdjYTMi.axM7Kw.l_XPyaoAVbGZlk2m7IXJt1yf4ZI"


@app.route("/t/<int:thread_id>")
def thread(thread_id: int):
    return render_template("thread.html", site_name="Acme Community", thread=THREAD, reactions=REACTIONS)


@app.route("/member/sign-in")
def member_sign_in():
    session["member"] = content.READER
    return "signed in"


@app.route("/member/t/<int:thread_id>")
def member_thread(thread_id: int):
    member = session.get("member")
    if not member:
        abort(403)
    return render_template("thread.html", site_name="Acme Community", thread=THREAD, reactions=REACTIONS,
                           member=member, csrf_token=CSRF_TOKEN)
