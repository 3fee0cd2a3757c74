"""An author whose content moderators hide, delete, move or edit is told why, with a link to appeal; an
appeal goes to the review queue, moderators restore or uphold, and the author hears the answer."""
from sqlalchemy import func, select

from community.forum.models import Post
from community.moderation.models import ModerationAction, ReviewItem, ReviewKind, ReviewStatus
from community.notifications.models import Notification

JSON = {"Accept": "application/json"}


def _notices(db, member, kind="content_moderated"):
    db.session.expire_all()
    return db.session.scalars(select(Notification).where(Notification.member_id == member.id,
                                                          Notification.kind == kind)
                              .order_by(Notification.id)).all()


def _page(client):
    return client.get("/notifications").get_data(as_text=True)


def test_author_is_told_when_a_moderator_hides_their_post_with_the_reason_and_an_appeal_link(make, login, mod, db):
    author = make.member("writer")
    reply = make.post(make.thread(title="Mesh setup"), author=author, body="Some heated words")
    login(mod).post(f"/p/{reply.id}/hide", data={"reason": "Please keep it civil"})
    [notice] = _notices(db, author)
    assert notice.data["what"] == "hidden" and notice.data["reason"] == "Please keep it civil"
    html = _page(login(author))
    assert "Your post was hidden until a moderator reviews it." in html and "Please keep it civil" in html
    assert f'href="/appeal/{notice.data["action_id"]}"' in html and "Mesh setup" in html


def test_author_is_told_when_community_flags_hide_their_post(make, login, level, db):
    author = make.member("writer")
    reply = make.post(make.thread(), author=author, body="Cheap watches here")
    login(level("flagger1", 3)).post(f"/p/{reply.id}/flag", data={"reason": "spam"})
    login(level("flagger2", 1)).post(f"/p/{reply.id}/flag", data={"reason": "spam"})
    [notice] = _notices(db, author)
    assert notice.data["what"] == "hidden" and notice.data["by_flags"] is True
    assert "members flagged it" in _page(login(author))


def test_author_is_told_of_a_delete_and_an_edit_but_not_of_their_own(make, login, mod, db):
    author = make.member("writer")
    thread = make.thread()
    first, second = make.post(thread, author=author, body="One"), make.post(thread, author=author, body="Two")
    staff = login(mod)
    staff.post(f"/p/{first.id}/delete")
    staff.post(f"/p/{second.id}/edit", data={"body": "Two, tidied", "reason": "Formatting"})
    login(author).post(f"/p/{second.id}/edit", data={"body": "Two, tidied again", "reason": ""})
    assert [n.data["what"] for n in _notices(db, author)] == ["deleted", "edited"]
    html = _page(login(author))
    assert "A moderator deleted your post." in html and "A moderator edited your post." in html


def test_a_move_to_a_board_the_author_cannot_read_does_not_name_it(make, login, db):
    author = make.member("writer")
    make.board(slug="backroom", name="Backroom Secrets", visibility="staff")
    thread = make.thread(title="Where did it go", author=author)
    response = login(make.member("sam", role="admin")).post(f"/t/{thread.id}/move", data={"board": "backroom"})
    assert response.status_code == 302
    [notice] = _notices(db, author)
    assert notice.data["what"] == "moved" and "board" not in notice.data and "thread_title" not in notice.data
    html = _page(login(author))
    assert "moved your thread to another board" in html and "Backroom Secrets" not in html


def test_an_appeal_goes_to_the_review_queue_once_and_a_granted_one_restores_the_post(make, login, mod, db, client):
    author = make.member("writer")
    thread = make.thread(title="Mesh setup")
    reply = make.post(thread, author=author, body="My honest review of the X6")
    staff = login(mod)
    staff.post(f"/p/{reply.id}/hide", data={"reason": "Looks like an ad"})
    action = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "hide"))

    me = login(author)
    form = me.get(f"/appeal/{action.id}").get_data(as_text=True)
    assert "Looks like an ad" in form and 'name="statement"' in form
    assert me.post(f"/appeal/{action.id}", data={"statement": ""}, headers=JSON).status_code == 422
    assert me.post(f"/appeal/{action.id}", data={"statement": "I bought it myself; no link."}).status_code == 302
    again = me.post(f"/appeal/{action.id}", data={"statement": "Please!"}, headers=JSON)
    assert again.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(ReviewItem).where(
        ReviewItem.kind == ReviewKind.appeal)) == 1
    assert "The moderators have not answered yet." in me.get(f"/appeal/{action.id}").get_data(as_text=True)
    # nobody else may appeal it or even see the page
    assert login(make.member("nosy")).get(f"/appeal/{action.id}").status_code == 404

    queue = staff.get("/review").get_data(as_text=True)
    assert "Appeal" in queue and "I bought it myself; no link." in queue and "Grant: restore" in queue
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.appeal))
    assert staff.post(f"/review/{item.id}", data={"outcome": "approved", "note": "Fair enough"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, reply.id).hidden_at is None
    assert "My honest review of the X6" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    [outcome] = _notices(db, author, "appeal_outcome")
    assert outcome.data["outcome"] == "granted"
    html = _page(me)
    assert "Your appeal was granted." in html and "Fair enough" in html
    logged = [a.action for a in db.session.scalars(select(ModerationAction).order_by(ModerationAction.id))]
    assert "appeal" in logged and "appeal_granted" in logged


def test_an_upheld_appeal_keeps_the_post_hidden_and_says_so(make, login, mod, db):
    author = make.member("writer")
    reply = make.post(make.thread(), author=author, body="Rude words")
    staff = login(mod)
    staff.post(f"/p/{reply.id}/hide", data={"reason": "Rude"})
    action = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "hide"))
    me = login(author)
    me.post(f"/appeal/{action.id}", data={"statement": "It was a joke"})
    item = db.session.scalar(select(ReviewItem).where(ReviewItem.kind == ReviewKind.appeal))
    staff.post(f"/review/{item.id}", data={"outcome": "rejected", "note": "Still rude"})
    db.session.expire_all()
    assert db.session.get(Post, reply.id).hidden_at is not None
    assert db.session.get(ReviewItem, item.id).status is ReviewStatus.rejected
    assert "Your appeal was turned down." in _page(me)
    assert "Your appeal was turned down." in me.get(f"/appeal/{action.id}").get_data(as_text=True)


def test_a_move_to_a_board_the_author_reads_names_it(make, login, db):
    author = make.member("writer")
    make.board(slug="routers", name="Routers and Mesh")
    thread = make.thread(title="X6 firmware", author=author)
    login(make.member("sam", role="admin")).post(f"/t/{thread.id}/move", data={"board": "routers"})
    [notice] = _notices(db, author)
    assert notice.data["board"] == "Routers and Mesh"
    assert "A moderator moved your thread to Routers and Mesh." in _page(login(author))
