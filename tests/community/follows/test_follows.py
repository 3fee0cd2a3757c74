"""Following members: the buttons and counts on the profile, the notification of a followed member's new
thread (never for a board the follower cannot read), refusals, "My data" and account deletion."""
from __future__ import annotations

from sqlalchemy import func, select

from community.extensions import db
from community.follows.models import MemberFollow
from community.forum.models import Visibility
from community.members.models import Role
from community.notifications.models import Notification

JSON = {"Accept": "application/json"}


def _follows() -> int:
    return db.session.scalar(select(func.count()).select_from(MemberFollow))


def test_following_from_the_profile_shows_in_the_counts_and_can_be_undone(client, auth, make):
    make.member("nina")
    auth.login(make.member("omar"))
    page = client.get("/u/nina").get_data(as_text=True)
    assert "0 followers" in page and 'action="/u/nina/follow"' in page
    response = client.post("/u/nina/follow")
    assert response.status_code == 302 and response.headers["Location"].endswith("/u/nina")
    page = client.get("/u/nina").get_data(as_text=True)
    assert "You follow nina now." in page and "1 follower" in page and ">Unfollow</button>" in page
    assert "following 1" in client.get("/u/omar").get_data(as_text=True)
    client.post("/u/nina/follow")  # twice is still once
    assert _follows() == 1
    client.post("/u/nina/unfollow")
    assert "0 followers" in client.get("/u/nina").get_data(as_text=True) and _follows() == 0


def test_fetch_gets_json_and_refusals_are_json_errors(client, auth, make):
    make.member("pia")
    me = make.member("quinn")
    assert client.post("/u/pia/follow", headers=JSON).get_json()["error"]["code"] == "unauthorized"
    auth.login(me)
    assert client.post("/u/pia/follow", headers=JSON).get_json() == {"following": True, "followers": 1}
    response = client.post("/u/quinn/follow", headers=JSON)
    assert response.status_code == 409 and response.get_json()["error"]["message"] == "You cannot follow yourself."
    assert client.post("/u/nobody-at-all/follow", headers=JSON).status_code == 404
    assert client.post("/u/pia/unfollow", headers=JSON).get_json() == {"following": False, "followers": 0}


def test_a_guest_is_sent_to_sign_in_and_a_forged_form_is_refused(app, client, auth, make):
    make.member("rosa")
    response = client.post("/u/rosa/follow")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/u/rosa/follow").status_code == 400 and _follows() == 0


def test_followers_hear_of_a_new_thread_they_may_read(client, auth, make):
    writer, reader = make.member("sara"), make.member("tom")
    auth.login(reader)
    client.post("/u/sara/follow")
    thread = make.thread(author=writer, title="Tips for the new firmware")
    page = client.get("/notifications").get_data(as_text=True)
    assert "sara</bdi></a>, whom you follow, started Tips for the new firmware" in page
    assert 'data-kind="followed_member"' in page
    make.post(thread, author=writer)  # replies are the thread's followers' business, not a new thread
    assert db.session.scalar(select(func.count()).where(Notification.kind == "followed_member")) == 1


def test_no_notification_of_a_thread_on_a_board_the_follower_cannot_read(client, auth, make):
    staffer, reader = make.member("uma", role=Role.staff), make.member("vic")
    auth.login(reader)
    client.post("/u/uma/follow")
    make.thread(board=make.board(visibility=Visibility.staff), author=staffer, title="Secret plans")
    page = client.get("/notifications").get_data(as_text=True)
    assert "Secret plans" not in page
    assert db.session.scalar(select(func.count()).where(Notification.member_id == reader.id)) == 0


def test_a_mentioned_follower_gets_one_notification(client, auth, make):
    writer, reader = make.member("wes"), make.member("xia")
    auth.login(reader)
    client.post("/u/wes/follow")
    make.thread(author=writer, body="What do you think, @xia?")
    kinds = db.session.scalars(select(Notification.kind).where(Notification.member_id == reader.id)).all()
    assert kinds == ["mention"]


def test_follows_are_in_my_data_and_go_with_the_account(client, auth, make):
    yan, zoe, amy = make.member("yan"), make.member("zoe"), make.member("amy")
    auth.login(zoe)
    client.post("/u/yan/follow")
    auth.logout()
    auth.login(amy)
    client.post("/u/zoe/follow")
    auth.logout()
    auth.login(zoe)
    data = client.get("/me/data.json").get_json()
    assert [f["username"] for f in data["follows"]["following"]] == ["yan"]
    assert data["follows"]["followers"] == ["amy"]
    assert "@yan" in client.get("/me/data").get_data(as_text=True)
    client.post("/settings/delete-account", data={"password": make.PASSWORD})
    assert _follows() == 0
    assert "0 followers" in client.get(f"/u/{yan.username}").get_data(as_text=True)
    assert "following 0" in client.get(f"/u/{amy.username}").get_data(as_text=True)
