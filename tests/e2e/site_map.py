"""Every page a role can reach, for the phone-width, accessibility and screenshot runs.

`demo_site(demo_server)` lists the pages of the demo community (the `demo_server` fixture, conftest.py): the app's GET routes
without arguments (from its url_map) plus one instance of each parameterised page (a thread, a board, an
idea board, a profile, a CRM profile, admin pages...). Which of them a role reaches is decided by the
server at run time: a page that answers 403/404 (or sends a guest to /login) is not that role's page.
"""
from __future__ import annotations

import json
import sys
from urllib.parse import urlparse

from tests.e2e.conftest import _run, _server_env

DEMO_PASSWORD = "demo-community-2026"
# the member is an ordinary one (netnerd42 is the demo's community leader, with thread tools)
ROLES = {"guest": None, "member": "maria.g", "moderator": "samira_k", "staff": "acme_grace", "admin": "admin"}
# GET routes that are not pages a person reads (feeds, files, fragments, JSON, one-time links).
NOT_PAGES = (".atom", ".css", ".csv", ".json", ".tsv", ".xml", ".txt", ".webmanifest", "/sw.js", "/icons/", "/favicon.ico",
             "/healthz", "/static/", "/live/", "/search/similar", "/setup", "/api/", "/csp-report", "/socket.io")

MAP_SCRIPT = r"""
import json
from sqlalchemy import select
from application import create_app
from community.extensions import db
from community.forum.models import Board, BoardKind, Thread, Post
from community.members.models import Member

app = create_app()
with app.app_context():
    routes = sorted(rule.rule for rule in app.url_map.iter_rules()
                    if "GET" in rule.methods and not rule.arguments)
    idea_board = db.session.scalar(select(Board).where(Board.kind == BoardKind.idea).limit(1))
    board = db.session.scalar(select(Board).where(Board.kind != BoardKind.idea, Board.slug != "general")
                              .order_by(Board.id).limit(1))
    # the thread with the most replies: the one that shows the most on a page
    thread = db.session.scalars(select(Thread).where(Thread.board_id == board.id)
                                .order_by(Thread.reply_count.desc()).limit(1)).first()
    idea = db.session.scalar(select(Thread).where(Thread.board_id == idea_board.id).limit(1))
    post = db.session.scalar(select(Post).where(Post.thread_id == thread.id).order_by(Post.id).limit(1))
    print(json.dumps({"routes": routes, "board": board.slug, "idea_board": idea_board.slug,
                      "thread": thread.id, "idea": idea.id, "post": post.id}))
"""


def demo_site(server) -> dict:
    """The pages of a server with the demo loaded: {"pages": [...], "main": {name: path}}."""
    if "demo_site" in server.seeded:
        return server.seeded["demo_site"]
    env = _server_env(server.workdir, urlparse(server.url).port)
    found = json.loads(_run("listing the routes", [sys.executable, "-c", MAP_SCRIPT], env,
                            server.workdir).strip().splitlines()[-1])
    pages = [route for route in found["routes"] if not any(part in route for part in NOT_PAGES)]
    pages = [route for route in pages if not route.endswith("/") or route == "/"]  # /admin/ == /admin
    member = ROLES["member"]
    pages += [f"/t/{found['thread']}", f"/t/{found['idea']}", f"/b/{found['board']}", f"/b/{found['idea_board']}",
              f"/b/{found['board']}/new", f"/p/{found['post']}/history", f"/u/{member}", f"/u/{member}/reputation",
              f"/crm/members/{member}", f"/admin/members/{member}", f"/admin/boards/{found['board']}/edit",
              "/tag/router", "/search?q=router"]
    main = {"home": "/", "thread": f"/t/{found['thread']}", "board": f"/b/{found['board']}",
            "ideas": f"/b/{found['idea_board']}", "search": "/search?q=router", "settings": "/settings",
            "crm_profile": f"/crm/members/{member}", "review": "/review",
            "developers": "/developers/api", "crm_dashboard": "/crm/dashboard", "profile": f"/u/{member}"}
    server.seeded["demo_site"] = {"pages": pages, "main": main}
    return server.seeded["demo_site"]


def reachable(response, page) -> bool:
    """Whether the page answered as a page this reader may see (not an error, not the sign-in form)."""
    return response is not None and response.status == 200 and not urlparse(page.url).path.startswith("/login")
