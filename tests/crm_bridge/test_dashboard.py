"""The staff dashboard: what it counts, who may see it, and that its cost does not grow with the data."""
from __future__ import annotations

import re

import pytest

from community.forum.models import BoardKind
from community.members.models import Role


def chart_value(page: str, title: str, day: str) -> int:
    section = page[page.index(title):]
    return int(re.search(rf"<td>{day}</td><td>(\d+)</td>", section).group(1))


def test_dashboard_counts_posts_members_ideas_and_advocates(client, auth, make):
    from community.dbtypes import utcnow

    staffer = make.member("sam", role=Role.staff)
    ivy, bob = make.member("ivy"), make.member("bob")
    ideas = make.board(kind=BoardKind.idea)
    thread = make.thread(author=ivy)
    make.post(thread, author=bob, body="First helpful reply.")
    make.post(thread, author=ivy, body="Thanks, that worked.")
    make.thread(board=ideas, author=bob, title="Dark mode for the app")
    auth.login(staffer)
    page = client.get("/crm/dashboard").get_data(as_text=True)
    today = utcnow().date().isoformat()
    assert chart_value(page, "Posts per day", today) == 4  # two opening posts and two replies
    assert chart_value(page, "Active members per day", today) == 2
    assert re.search(r"<td>Open</td><td>1</td>", page)
    assert "<svg" in page and "Top advocates" in page


@pytest.mark.parametrize("role", [None, Role.member, Role.moderator])
def test_dashboard_is_invisible_to_non_staff(client, auth, make, role):
    if role is not None:
        auth.login(make.member("viewer", role=role))
    assert client.get("/crm/dashboard").status_code == (302 if role is None else 404)


def test_dashboard_query_count_does_not_grow_with_the_community(client, auth, make, count_queries):
    staffer = make.member("sam", role=Role.staff)
    auth.login(staffer)
    with count_queries() as few:
        assert client.get("/crm/dashboard").status_code == 200
    board = make.board(kind=BoardKind.question)
    for n in range(6):
        author = make.member(f"asker{n}")
        thread = make.thread(board=board, author=author)
        make.post(thread, author=staffer, body=f"Official answer number {n}.")
    with count_queries() as many:
        assert client.get("/crm/dashboard").status_code == 200
    assert len(many) <= len(few), many  # the first request also stamps "last seen"
