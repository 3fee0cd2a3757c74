"""Thread rankings as a reader sees them: hot (votes and replies decayed by age), top per period, new,
latest activity; the sort links on board, latest and tag pages; and a fixed query budget."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.forum import services as forum
from community.forum.models import Post, Thread

JSON = {"Accept": "application/json"}


# ---- helpers -------------------------------------------------------------------------------

def age(db, thread, hours: float, score: int | None = None):
    """Make `thread` (and its posts) `hours` old, optionally with a score; return it."""
    when = utcnow() - timedelta(hours=hours)
    values = {"created_at": when, "last_posted_at": when}
    if score is not None:
        values["score"] = score
    db.session.execute(update(Thread).where(Thread.id == thread.id).values(**values))
    db.session.execute(update(Post).where(Post.thread_id == thread.id).values(created_at=when))
    db.session.commit()
    return thread


def titles(page: str) -> list[str]:
    """Return the thread titles of a listing, in the order shown."""
    return [html.unescape(title) for title in re.findall(r'class="thread-title" href="[^"]+">([^<]+)</a>', page)]


def listed(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return titles(response.get_data(as_text=True))


# ---- hot ---------------------------------------------------------------------------------------

def test_hot_puts_a_new_well_voted_thread_above_an_old_favourite(client, make, db):
    board = make.board(slug="lounge")
    age(db, make.thread(board=board, title="Old favourite"), hours=72, score=40)
    age(db, make.thread(board=board, title="Fresh and liked"), hours=3, score=6)
    age(db, make.thread(board=board, title="Brand new, ignored"), hours=0.5, score=0)
    assert listed(client, "/b/lounge?sort=hot") == ["Fresh and liked", "Brand new, ignored", "Old favourite"]
    assert listed(client, "/b/lounge?sort=new") == ["Brand new, ignored", "Fresh and liked", "Old favourite"]
    # while "top" of all time still honours the old favourite
    assert listed(client, "/b/lounge?sort=top&period=all")[0] == "Old favourite"


def test_hot_ranks_more_votes_higher_and_counts_replies(client, make, db):
    board = make.board(slug="lounge")
    # started in this order, all five hours ago: the ranking, not the start, decides
    age(db, make.thread(board=board, title="Loved"), hours=5, score=9)
    age(db, make.thread(board=board, title="Quiet"), hours=5, score=2)
    talked = make.thread(board=board, title="Talked about")
    for _ in range(4):
        make.post(talked)
    age(db, talked, hours=5, score=2)
    assert listed(client, "/b/lounge?sort=hot") == ["Loved", "Talked about", "Quiet"]


def test_hot_lets_threads_sink_with_age_at_equal_votes(client, make, db):
    board = make.board(slug="lounge")
    for hours, title in ((30, "Yesterday"), (3, "This morning"), (200, "Last week")):
        age(db, make.thread(board=board, title=title), hours=hours, score=5)
    assert listed(client, "/b/lounge?sort=hot") == ["This morning", "Yesterday", "Last week"]


def test_hot_follows_real_votes_cast_by_members(client, auth, make, db):
    board = make.board(slug="lounge")
    first = age(db, make.thread(board=board, title="Posted first"), hours=3)
    age(db, make.thread(board=board, title="Posted second"), hours=2)
    assert listed(client, "/b/lounge?sort=hot") == ["Posted second", "Posted first"]
    opening = db.session.scalar(select(Post.id).where(Post.thread_id == first.id, Post.number == 1))
    for _ in range(3):
        auth.logout()
        auth.login(make.member())
        assert client.post(f"/p/{opening}/vote", data={"value": "1"}, headers=JSON).status_code == 200
    assert listed(client, "/b/lounge?sort=hot") == ["Posted first", "Posted second"]


def test_hot_across_boards_on_the_latest_page_and_by_tag(client, make, db):
    one, two = make.board(slug="one"), make.board(slug="two")
    age(db, make.thread(board=one, title="Old but big"), hours=100, score=30)
    age(db, make.thread(board=two, title="Recent and liked"), hours=3, score=10)
    age(db, make.thread(board=one, title="Newest, no votes"), hours=1, score=0)
    assert listed(client, "/latest?sort=hot") == ["Recent and liked", "Newest, no votes", "Old but big"]
    assert listed(client, "/latest?sort=top") == ["Old but big", "Recent and liked", "Newest, no votes"]
    assert listed(client, "/latest?sort=new") == ["Newest, no votes", "Recent and liked", "Old but big"]
    tagged = forum.start_thread(make.member(), one, "Tagged and hot", "Body text here", tags="router")
    db.session.commit()
    age(db, tagged, hours=1, score=8)
    age(db, forum.start_thread(make.member(), two, "Tagged and old", "Body text here", tags="router"),
        hours=90, score=8)
    db.session.commit()
    assert listed(client, "/tag/router?sort=hot") == ["Tagged and hot", "Tagged and old"]


# ---- top ---------------------------------------------------------------------------------------

def test_top_of_the_week_leaves_out_older_threads(client, make, db):
    board = make.board(slug="lounge")
    age(db, make.thread(board=board, title="Last month's hit"), hours=24 * 20, score=50)
    age(db, make.thread(board=board, title="This week's best"), hours=24 * 3, score=10)
    age(db, make.thread(board=board, title="Today's good one"), hours=5, score=4)
    age(db, make.thread(board=board, title="Today's dud"), hours=2, score=-2)
    assert listed(client, "/b/lounge?sort=top&period=week") == ["This week's best", "Today's good one", "Today's dud"]
    assert listed(client, "/b/lounge?sort=top&period=day") == ["Today's good one", "Today's dud"]
    assert listed(client, "/b/lounge?sort=top&period=month") == ["Last month's hit", "This week's best",
                                                                "Today's good one", "Today's dud"]
    assert listed(client, "/b/lounge?sort=top&period=all") == listed(client, "/b/lounge?sort=top&period=month")


def test_top_without_or_with_an_unknown_period_means_all_time(client, make, db):
    board = make.board(slug="lounge")
    age(db, make.thread(board=board, title="Ancient classic"), hours=24 * 400, score=99)
    age(db, make.thread(board=board, title="Recent"), hours=1, score=1)
    assert listed(client, "/b/lounge?sort=top") == ["Ancient classic", "Recent"]
    page = client.get("/b/lounge?sort=top&period=decade").get_data(as_text=True)
    assert titles(page) == ["Ancient classic", "Recent"]
    assert re.search(r'aria-current="page">All time<', page)


# ---- new and latest ----------------------------------------------------------------------------

def test_new_lists_by_start_and_latest_by_last_reply(client, make, db):
    board = make.board(slug="lounge")
    older = age(db, make.thread(board=board, title="Started first"), hours=10, score=50)
    age(db, make.thread(board=board, title="Started second"), hours=5)
    make.post(older)  # a fresh reply brings the older thread up in "latest", not in "new"
    assert listed(client, "/b/lounge?sort=new") == ["Started second", "Started first"]
    assert listed(client, "/b/lounge") == ["Started first", "Started second"]
    assert listed(client, "/b/lounge?sort=nonsense") == ["Started first", "Started second"]


# ---- the sort links --------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/b/lounge", "/latest", "/tag/router"])
def test_every_listing_offers_the_sort_links(client, make, db, url):
    board = make.board(slug="lounge")
    forum.start_thread(make.member(), board, "A tagged thread", "Body text here", tags="router")
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    for label, sort in (("Latest activity", "latest"), ("Newest", "new"), ("Hot", "hot"), ("Top", "top")):
        assert re.search(rf'href="[^"]*sort={sort}[^"]*"[^>]*>{label}<', page), (url, label)
    assert re.search(r'aria-current="page">Latest activity<', page)
    top = client.get(f"{url}?sort=top&period=week").get_data(as_text=True)
    assert re.search(r'aria-current="page">Top<', top) and re.search(r'aria-current="page">Past week<', top)
    for period in ("day", "week", "month", "all"):
        assert f"period={period}" in top
    assert "period=" not in client.get(f"{url}?sort=hot").get_data(as_text=True)


def test_question_board_keeps_the_sort_when_filtering(client, make, db):
    make.board(slug="help", kind="question")
    page = client.get("/b/help?sort=top&period=week").get_data(as_text=True)
    unsolved = re.search(r'href="([^"]*filter=unsolved[^"]*)"', page).group(1)
    assert "sort=top" in unsolved and "period=week" in unsolved


# ---- query budget --------------------------------------------------------------------------------

@pytest.mark.parametrize("threads", [4, 30])
@pytest.mark.parametrize("url", ["/b/lounge?sort=hot", "/b/lounge?sort=top&period=week", "/latest?sort=hot",
                                 "/latest?sort=top&period=month", "/latest?sort=new"])
def test_ranked_listings_cost_a_fixed_number_of_queries(client, auth, make, db, count_queries, threads, url):
    boards = [make.board(slug="lounge")] + [make.board() for _ in range(3)]
    authors = [make.member() for _ in range(4)]
    for n in range(threads):
        thread = make.thread(board=boards[n % 4], author=authors[n % 4], title=f"Thread {n}")
        age(db, thread, hours=n * 3, score=n % 7)
    auth.login(make.member())
    client.get(url)  # warm up
    with count_queries() as statements:
        page = client.get(url).get_data(as_text=True)
    assert titles(page)
    assert len(statements) <= 12, "\n".join(statements)  # with the read state of the listed threads (community/unread); +1: the header's Boards menu (site.nav_boards)


def test_listings_show_each_threads_score(client, make, db):
    board = make.board(slug="lounge")
    age(db, make.thread(board=board, title="Well liked"), hours=5, score=12)
    age(db, make.thread(board=board, title="Disliked"), hours=4, score=-3)
    page = client.get("/b/lounge?sort=top").get_data(as_text=True)
    rows = page.split('class="thread-row')[1:]
    assert "Well liked" in rows[0] and "12 points" in rows[0]
    assert "Disliked" in rows[1] and "-3 points" in rows[1]
