"""Badges: granted once for first steps, upvotes received, good posts and accepted-answer streaks;
the badge list and badge pages, badges on profiles, the badge_granted signal and reputation they carry."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from community.dbtypes import utcnow
from community.members.models import Member
from community.notifications.models import Notification
from community.qa import services as qa
from community.reputation import badges
from community.reputation import services as ledger
from community.reputation.models import Badge, BadgeGrant, ReputationEntry, ReputationReason
from community.signals import badge_granted
from community.votes import services as votes


def held(db, member) -> list[str]:
    return sorted(db.session.scalars(select(Badge.slug).join(BadgeGrant, BadgeGrant.badge_id == Badge.id)
                                     .where(BadgeGrant.member_id == member.id)))


def grants(db, member, slug) -> int:
    return db.session.scalar(select(func.count()).select_from(BadgeGrant).join(Badge, Badge.id == BadgeGrant.badge_id)
                             .where(BadgeGrant.member_id == member.id, Badge.slug == slug))


def vote(db, voter, post, value=1):
    votes.cast_vote(voter, post, value)
    db.session.commit()


@pytest.fixture
def granted():
    """Collect badge_granted signals as (member username, badge slug)."""
    seen = []

    def listener(member, badge=None, grant=None, **_):
        assert grant.member_id == member.id and grant.badge_id == badge.id
        seen.append((member.username, badge.slug))

    badge_granted.connect(listener)
    yield seen
    badge_granted.disconnect(listener)


# ---- first steps ---------------------------------------------------------------------------

def test_joining_starting_a_thread_and_replying_each_earn_a_badge_once(db, make, granted):
    ann = make.member("ann")
    assert held(db, ann) == ["welcome"]
    thread = make.thread(author=ann)
    make.thread(author=ann)
    make.post(thread, author=ann)
    make.post(thread, author=ann)
    assert held(db, ann) == ["first-post", "first-thread", "welcome"]
    assert granted.count(("ann", "first-thread")) == 1 and granted.count(("ann", "first-post")) == 1
    assert grants(db, ann, "first-post") == 1


def test_granting_twice_gives_nothing_the_second_time(db, make, granted):
    ann = make.member("ann")
    first = badges.grant(ann.id, "upvoted-100")
    second = badges.grant(ann.id, "upvoted-100")
    db.session.commit()
    assert first is not None and second is None
    assert grants(db, ann, "upvoted-100") == 1 and granted.count(("ann", "upvoted-100")) == 1
    # the silver badge's reputation was written once, as a ledger entry
    entries = db.session.scalars(select(ReputationEntry).where(ReputationEntry.member_id == ann.id,
                                                               ReputationEntry.reason == ReputationReason.badge)).all()
    assert [e.delta for e in entries] == [10] and entries[0].badge_id == first.badge_id
    assert db.session.get(Member, ann.id).reputation == ledger.ledger_total(ann.id)


def test_a_badge_brings_a_notification(db, make):
    ann = make.member("ann")
    make.thread(author=ann)
    kinds = db.session.scalars(select(Notification.data).where(Notification.member_id == ann.id,
                                                               Notification.kind == "badge")).all()
    assert [data["badge"] for data in kinds] == ["first-thread"]  # "welcome" is not worth a notification


# ---- votes ---------------------------------------------------------------------------------

def test_ten_upvotes_received_earn_appreciated_but_nine_do_not(db, make, granted):
    author = make.member("author")
    thread = make.thread()
    posts = [make.post(thread, author=author) for _ in range(2)]
    voters = [make.member() for _ in range(5)]
    count = 0
    for voter in voters:
        for post in posts:
            if count == 9:
                assert "upvoted-10" not in held(db, author)
            vote(db, voter, post)
            count += 1
    assert "upvoted-10" in held(db, author) and granted.count(("author", "upvoted-10")) == 1


def test_retracted_and_repeated_upvotes_do_not_count_twice(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    for _ in range(6):
        vote(db, voter, post, 1)
        vote(db, voter, post, 0)
    others = [make.member() for _ in range(8)]
    for other in others:
        vote(db, other, post)
    assert "upvoted-10" not in held(db, author)  # 8 standing upvotes, one retracted
    vote(db, voter, post)
    vote(db, make.member(), post)
    assert "upvoted-10" in held(db, author)


def test_a_post_scoring_ten_earns_good_post(db, make):
    author = make.member("author")
    post = make.post(make.thread(), author=author)
    for _ in range(9):
        vote(db, make.member(), post)
    assert "good-post" not in held(db, author)
    vote(db, make.member(), post)
    assert "good-post" in held(db, author)
    grant = db.session.scalars(select(BadgeGrant).join(Badge).where(Badge.slug == "good-post")).one()
    assert grant.post_id == post.id


# ---- accepted answers ----------------------------------------------------------------------

def accept(db, asker, post):
    qa.accept_answer(asker, post)
    db.session.commit()


def backdate_acceptance(db, post, days):
    db.session.execute(update(ReputationEntry).where(ReputationEntry.post_id == post.id,
                                                     ReputationEntry.reason == ReputationReason.answer_accepted)
                       .values(created_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def questions(make, n):
    board = make.board(kind="question")
    return [make.thread(board=board) for _ in range(n)]


def test_first_accepted_answer_earns_problem_solver(db, make, granted):
    alice = make.member("alice")
    q = questions(make, 1)[0]
    answer = make.post(q, author=alice)
    accept(db, q.author, answer)
    assert "first-accepted" in held(db, alice) and granted.count(("alice", "first-accepted")) == 1


def test_accepting_your_own_reply_earns_no_badge(db, make):
    q = questions(make, 1)[0]
    accept(db, q.author, make.post(q, author=q.author))
    assert "first-accepted" not in held(db, q.author)


def test_answers_accepted_on_three_days_in_a_row_earn_a_helpful_streak(db, make):
    alice = make.member("alice")
    qs = questions(make, 4)
    answers = [make.post(q, author=alice) for q in qs]
    accept(db, qs[0].author, answers[0])
    backdate_acceptance(db, answers[0], 3)  # three days ago
    accept(db, qs[1].author, answers[1])
    backdate_acceptance(db, answers[1], 1)  # yesterday: a gap two days ago, no streak yet
    accept(db, qs[2].author, answers[2])
    assert "helpful-streak" not in held(db, alice)
    accept(db, qs[3].author, answers[3])
    backdate_acceptance(db, answers[3], 2)  # fills the gap ...
    accept(db, qs[2].author, answers[2])  # (accepting again changes nothing)
    qa.unaccept_answer(qs[2].author, qs[2])
    db.session.commit()
    accept(db, qs[2].author, answers[2])  # ... and today's acceptance completes 4 days in a row
    assert "helpful-streak" in held(db, alice)


def test_an_undone_acceptance_does_not_count_toward_the_streak(db, make):
    alice = make.member("alice")
    qs = questions(make, 3)
    answers = [make.post(q, author=alice) for q in qs]
    accept(db, qs[0].author, answers[0])
    backdate_acceptance(db, answers[0], 2)
    accept(db, qs[1].author, answers[1])
    backdate_acceptance(db, answers[1], 1)
    qa.unaccept_answer(qs[1].author, qs[1])
    db.session.commit()
    accept(db, qs[2].author, answers[2])
    assert "helpful-streak" not in held(db, alice)


def test_longest_run_counts_consecutive_days():
    d = date(2026, 1, 30)
    assert badges.longest_run(set()) == 0
    assert badges.longest_run({d, d + timedelta(days=2), d + timedelta(days=4)}) == 1
    assert badges.longest_run({d, d + timedelta(days=1), d + timedelta(days=2), d + timedelta(days=5)}) == 3


# ---- pages ---------------------------------------------------------------------------------

def test_badge_list_shows_every_badge_with_its_holder_count(client, db, make):
    make.thread(author=make.member("ann"))
    make.member("bob")
    page = client.get("/badges").get_data(as_text=True)
    for spec in badges.REGISTRY.values():
        assert f'id="badge-{spec.slug}"' in page and str(spec.name) in page
    assert '2 members hold it' in page and '1 member holds it' in page


def test_badge_page_lists_who_holds_it(client, db, make):
    make.thread(author=make.member("ann"))
    make.member("bob")
    page = client.get("/badges/first-thread").get_data(as_text=True)
    assert "Conversation starter" in page and "/u/ann" in page and "/u/bob" not in page
    assert "1 member holds this badge." in page
    empty = client.get("/badges/expert").get_data(as_text=True)
    assert "Nobody holds this badge yet." in empty


@pytest.mark.parametrize("url,status", [("/badges/no-such-badge", 404), ("/badges/welcome?page=0", 400),
                                        ("/badges/welcome?page=x", 400), ("/badges/welcome?page=9", 404)])
def test_badge_pages_answer_bad_input_clearly(client, make, url, status):
    make.member()
    assert client.get(url).status_code == status


def test_badge_page_pages_through_holders(client, db, make, monkeypatch):
    for n in range(3):
        make.member(f"holder{n}")
    monkeypatch.setattr(badges, "holders", lambda slug, page, per_page=2, _real=badges.holders: _real(slug, page, 2))
    first = client.get("/badges/welcome").get_data(as_text=True)
    second = client.get("/badges/welcome?page=2").get_data(as_text=True)
    assert "/u/holder0" in first and "/u/holder1" in first and 'rel="next"' in first
    assert "/u/holder2" in second and "/u/holder0" not in second


def test_profile_shows_the_badges_a_member_holds(client, db, make):
    ann = make.member("ann")
    make.thread(author=ann)
    page = client.get("/u/ann").get_data(as_text=True)
    assert "Conversation starter" in page and "Welcome" in page and "Problem solver" not in page


@pytest.mark.parametrize("holders", [2, 20])
def test_badge_pages_query_count_does_not_grow_with_holders(client, db, make, count_queries, holders):
    for _ in range(holders):
        make.member()
    for url in ("/badges", "/badges/welcome"):
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        # a guest page: the badge rows, the holders, the site settings (community/settings.py), group badges
        assert len(statements) <= 5, "\n".join(statements)  # +1: the boards of the header's Boards menu (site.nav_boards)


def test_profile_badges_cost_one_query(client, db, make, count_queries):
    ann = make.member("ann")
    make.thread(author=ann)
    make.post(make.thread(), author=ann)
    with count_queries() as statements:
        assert client.get("/u/ann").status_code == 200
    assert sum("badge_grants" in s for s in statements) == 1, "\n".join(statements)
