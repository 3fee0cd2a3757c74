"""Where ideas are listed: the idea board's sorts and status filters, the roadmap grouped by status,
both with visibility respected and a query count that does not grow with the ideas."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum.models import Thread, Visibility
from community.ideas import services as ideas
from community.members.models import Role
from community.votes.models import Vote
from tests.community.ideas.conftest import ALL_STATUSES, change, idea_board, opening, text_of, vote

# ---- the idea board: sorts and filters -----------------------------------------------------------

def titles(response) -> list[str]:
    return re.findall(r'class="thread-title" href="/t/\d+">([^<]+)</a>', response.get_data(as_text=True))


def test_idea_board_sorts_by_votes_trending_and_newest(client, make, board):
    old_hit = make.thread(board=board, title="Old hit")
    rising = make.thread(board=board, title="Rising")
    newest = make.thread(board=board, title="Newest")
    voters = [make.member() for _ in range(4)]
    for v in voters[:3]:
        vote(v, old_hit, 1)
    for v in voters[:2]:
        vote(v, rising, 1)
    # Old hit's votes are a month old, Rising's are fresh; creation order: Old hit, Rising, Newest.
    month_ago = utcnow() - timedelta(days=30)
    _db.session.execute(update(Vote).where(Vote.post_id == opening(old_hit).id).values(created_at=month_ago))
    for i, idea in enumerate((old_hit, rising, newest)):
        _db.session.execute(update(Thread).where(Thread.id == idea.id)
                            .values(created_at=utcnow() - timedelta(days=40 - i)))
    _db.session.commit()
    assert titles(client.get(f"/b/{board.slug}")) == ["Old hit", "Rising", "Newest"]  # votes by default
    assert titles(client.get(f"/b/{board.slug}?sort=votes")) == ["Old hit", "Rising", "Newest"]
    assert titles(client.get(f"/b/{board.slug}?sort=trending")) == ["Rising", "Old hit", "Newest"]
    assert titles(client.get(f"/b/{board.slug}?sort=new")) == ["Newest", "Rising", "Old hit"]
    page = text_of(client.get(f"/b/{board.slug}"))
    assert "Old hit Open 3 votes" in page and "Newest Open 0 votes" in page


def test_idea_board_filters_by_status_and_hides_duplicates_from_all(client, auth, make, board, staff):
    planned = make.thread(board=board, title="Planned one")
    shipped = make.thread(board=board, title="Shipped one")
    dup = make.thread(board=board, title="Dup one")
    make.thread(board=board, title="Open one")
    auth.login(staff)
    change(client, planned, status="planned")
    change(client, shipped, status="shipped")
    change(client, dup, status="duplicate", duplicate_of=str(planned.id))
    auth.logout()
    url = f"/b/{board.slug}"
    assert sorted(titles(client.get(url))) == ["Open one", "Planned one", "Shipped one"]
    assert sorted(titles(client.get(url + "?status=all"))) == ["Open one", "Planned one", "Shipped one"]
    assert titles(client.get(url + "?status=planned")) == ["Planned one"]
    assert titles(client.get(url + "?status=open")) == ["Open one"]
    assert titles(client.get(url + "?status=duplicate")) == ["Dup one"]
    assert titles(client.get(url + "?status=declined")) == []
    bad = client.get(url + "?status=someday")
    assert bad.status_code == 400 and "There is no idea status called" in text_of(bad)


def test_an_idea_without_a_status_counts_as_open(client, make, board):
    idea = make.thread(board=board, title="Moved in")
    _db.session.execute(update(Thread).where(Thread.id == idea.id).values(idea_status=None))
    _db.session.commit()
    assert titles(client.get(f"/b/{board.slug}?status=open")) == ["Moved in"]


def test_idea_board_query_count_does_not_grow_with_ideas(app, client, auth, make, board, page_queries):
    authors = [make.member() for _ in range(3)]

    def add_ideas(n):
        for i in range(n):
            idea = make.thread(board=board, author=authors[i % 3], title=f"Idea number {i}")
            if i % 2:
                vote(authors[(i + 1) % 3], idea, 1)

    def measure() -> dict[str, int]:
        counts = {}
        for sort in ("votes", "trending", "new"):
            client.get(f"/b/{board.slug}?sort={sort}")  # warm up: last-seen bookkeeping
            with page_queries() as statements:
                response = client.get(f"/b/{board.slug}?sort={sort}&status=open")
            assert response.status_code == 200
            counts[sort] = len(statements)
            counts[sort + " listed"] = len(titles(response))
            # +1: unread conversations in the header; +1: the list's read states (community/unread)
            assert len(statements) <= 11, "\n".join(statements)  # +1: the header's Boards menu (site.nav_boards)
        return counts

    app.config["THREADS_PER_PAGE"] = 50
    auth.login(make.member("reader"))
    try:
        add_ideas(3)
        few = measure()
        add_ideas(37)
        many = measure()
    finally:
        app.config["THREADS_PER_PAGE"] = 20
    assert [few[s + " listed"] for s in ("votes", "trending", "new")] == [3, 3, 3]
    assert [many[s + " listed"] for s in ("votes", "trending", "new")] == [40, 40, 40]
    assert [few[s] for s in ("votes", "trending", "new")] == [many[s] for s in ("votes", "trending", "new")]


# ---- the roadmap -------------------------------------------------------------------------------

def section(html: str, status: str) -> str:
    """The HTML of one roadmap column (or the declined fold)."""
    ident = "roadmap-declined" if status == "declined" else f"roadmap-{status.replace('_', '-')}"
    match = re.search(rf'id="{ident}".*?</(?:section|details)>', html, re.S)
    assert match, ident
    return match.group(0)


def test_roadmap_groups_ideas_by_status(client, auth, make, board, staff):
    made = {}
    for status in ALL_STATUSES:
        made[status] = make.thread(board=board, title=f"Idea {status}")
    voters = [make.member() for _ in range(3)]
    for v in voters:
        vote(v, made["planned"], 1)
    auth.login(staff)
    for status in ("under_review", "planned", "in_progress", "shipped"):
        assert change(client, made[status], status=status).status_code == 302
    change(client, made["declined"], status="declined", reason="Out of scope for us.")
    change(client, made["duplicate"], status="duplicate", duplicate_of=str(made["open"].id))
    auth.logout()
    html = client.get("/roadmap").get_data(as_text=True)
    for status in ("under_review", "planned", "in_progress", "shipped", "declined"):
        column = section(html, status)
        assert f"Idea {status}" in column
        others = [s for s in ALL_STATUSES if s != status]
        assert not any(f"Idea {s}<" in column for s in others), status
    assert "Idea open<" not in html and "Idea duplicate<" not in html
    assert "3 votes" in section(html, "planned") and "Out of scope for us." in section(html, "declined")
    assert "1 idea" in section(html, "shipped")


def test_roadmap_respects_board_visibility(client, auth, make, staff):
    public = idea_board(make, Visibility.public)
    members = idea_board(make, Visibility.members)
    staff_only = idea_board(make, Visibility.staff)
    ideas_by_board = {"public": make.thread(board=public, title="Public plan"),
                      "members": make.thread(board=members, title="Members plan"),
                      "staff": make.thread(board=staff_only, title="Staff plan")}
    gone = make.thread(board=public, title="Deleted plan")
    for idea in [*ideas_by_board.values(), gone]:
        ideas.change_idea_status(staff, idea, "planned")
    gone.deleted_at = utcnow()
    _db.session.commit()

    def seen() -> tuple[list[str], str]:
        html = client.get("/roadmap").get_data(as_text=True)
        column = section(html, "planned")
        return sorted(re.findall(r">(\w+ plan)</a>", column)), column

    listed, column = seen()
    assert listed == ["Public plan"] and "1 idea" in column
    for role, expected in [(Role.member, ["Members plan", "Public plan"]),
                           (Role.moderator, ["Members plan", "Public plan"]),
                           (Role.staff, ["Members plan", "Public plan", "Staff plan"])]:
        auth.login(make.member(role=role))
        listed, column = seen()
        assert listed == expected, role
        assert f"{len(expected)} ideas" in column
        auth.logout()


def test_roadmap_counts_all_but_lists_a_bounded_number(app, client, make, board, staff):
    for i in range(5):
        ideas.change_idea_status(staff, make.thread(board=board, title=f"Plan {i}"), "planned")
    _db.session.commit()
    app.config["ROADMAP_IDEAS_PER_STATUS"] = 3
    try:
        column = section(client.get("/roadmap").get_data(as_text=True), "planned")
    finally:
        app.config["ROADMAP_IDEAS_PER_STATUS"] = 50
    assert "5 ideas" in column and column.count('class="roadmap-idea"') == 3 and "And 2 more." in column


def test_roadmap_query_count_does_not_grow_with_ideas(client, auth, make, page_queries, staff):
    boards = [idea_board(make, v) for v in (Visibility.public, Visibility.members)]

    def add_ideas(per_status):
        for status in ("under_review", "planned", "in_progress", "shipped", "declined"):
            for i in range(per_status):
                idea = make.thread(board=boards[i % 2], title=f"{status} idea {i}")
                ideas.change_idea_status(staff, idea, status, "Because." if status == "declined" else "")
        _db.session.commit()

    def measure(expected_ideas) -> int:
        client.get("/roadmap")  # warm up: last-seen bookkeeping
        with page_queries() as statements:
            response = client.get("/roadmap")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count('class="roadmap-idea"') == expected_ideas
        assert len(statements) <= 9, "\n".join(statements)  # +1: unread conversations in the header; +1: the Boards menu
        return len(statements)

    auth.login(make.member("reader"))
    add_ideas(1)
    few = measure(5)
    add_ideas(14)
    assert measure(75) == few
