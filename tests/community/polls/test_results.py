"""Who sees a poll's results and when (after voting, after close, staff-hidden until close), and the
thread page loading a poll in a fixed number of queries."""
from __future__ import annotations

from community.polls import services as polls
from tests.community.polls.conftest import PERCENT, add_poll, close_now, option_ids

# ---- who sees the results ------------------------------------------------------------------

def test_results_visibility_rules(client, auth, make, db):
    thread = make.thread()
    poll = add_poll(thread, thread.author)
    red = option_ids(poll)[0]
    voter, onlooker = make.member(), make.member()
    polls.cast_ballot(voter, poll, [red])
    db.session.commit()

    def poll_section(page):
        return page.split(f'id="poll-{poll.id}"')[1].split("</section>")[0]

    guest = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "Red" in guest and not PERCENT.search(guest) and "vote" not in guest.replace("to vote", "")
    assert "Sign in" in guest
    guest_json = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
    assert guest_json["results_visible"] is False and "voter_count" not in guest_json
    assert all("votes" not in o and "percent" not in o for o in guest_json["options"])

    auth.login(onlooker)  # has not voted: options only
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert not PERCENT.search(page) and "The results show once you have voted." in page
    auth.logout()
    auth.login(voter)  # voted: results
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "100%" in page and "your choice" in page
    data = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
    assert data["voter_count"] == 1 and data["options"][0]["votes"] == 1 and data["my_choices"] == [red]
    auth.logout()

    close_now(db, poll)  # closed: everyone who sees the thread
    page = poll_section(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert "100%" in page and "1 vote" in page
    assert client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]["voter_count"] == 1


def test_hidden_results_stay_hidden_from_everyone_until_close(client, auth, make, db):
    staff = make.member(role="staff")
    thread = make.thread(author=staff)
    poll = add_poll(thread, staff, hide_results=True)
    red = option_ids(poll)[0]
    voter = make.member()
    for who in (voter, staff):
        polls.cast_ballot(who, poll, [red])
        db.session.commit()
    admin = make.member(role="admin")
    for who in (voter, staff, admin, None):
        if who:
            auth.login(who)
        page = client.get(f"/t/{thread.id}").get_data(as_text=True).split(f'id="poll-{poll.id}"')[1].split("</section>")[0]
        assert not PERCENT.search(page) and "member voted" not in page and "members voted" not in page
        assert "hidden from everyone until the poll closes" in page
        data = client.get(f"/polls/{poll.id}", headers={"Accept": "application/json"}).get_json()["poll"]
        assert data["results_visible"] is False and "voter_count" not in data
        assert all(set(o) == {"id", "label", "chosen"} for o in data["options"])
        # voting answers JSON too, and it must not leak the counts either
        if who in (voter, staff):
            answer = client.post(f"/polls/{poll.id}/vote", json={"option_ids": [red]},
                                 headers={"Accept": "application/json"})
            assert answer.status_code == 200 and "votes" not in answer.get_data(as_text=True)
        if who:
            auth.logout()
    close_now(db, poll)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "100%" in page and "2 votes" in page


# ---- the thread page's queries ---------------------------------------------------------------

def test_thread_page_loads_poll_in_two_queries_whatever_the_post_count(client, auth, make, db, count_queries):
    author = make.member()
    plain, polled = make.thread(author=author), make.thread(author=author)
    poll = add_poll(polled, author)
    voter = make.member()
    polls.cast_ballot(voter, poll, [option_ids(poll)[0]])
    db.session.commit()
    auth.login(voter)

    def queries(thread):
        client.get(f"/t/{thread.id}")  # warm up (last-seen write and the like)
        with count_queries() as statements:
            assert client.get(f"/t/{thread.id}").status_code == 200
        return len(statements)

    without_poll = queries(plain)
    few = queries(polled)
    for _ in range(15):
        make.post(polled)
    many = queries(polled)
    assert few - without_poll <= 2
    assert many == few
