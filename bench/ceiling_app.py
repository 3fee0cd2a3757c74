"""The "ceiling": a plain Flask + Jinja thread page of about the same size, from static data in memory.

No database, no sessions, no login, no translations, no permission checks: what one request costs
when a Flask worker only renders a template of this size. `ceiling_app:app` for gunicorn.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import content
from flask import Flask, render_template
from markdown_it import MarkdownIt

app = Flask(__name__, template_folder=str(Path(__file__).resolve().parent / "ceiling_templates"))


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
            "body_html": md.render(body),
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


@app.route("/t/<int:thread_id>")
def thread(thread_id: int):
    return render_template("thread.html", site_name="Acme Community", thread=THREAD)
