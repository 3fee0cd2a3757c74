"""Post and thread tools: hide/unhide, restore, whispers, global pins, edits with a reason, merge, split."""
from datetime import timedelta

from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.forum.models import Board, Post, PostRevision, Thread
from community.members.models import Member
from community.moderation.models import ModerationAction
from community.votes.models import Vote
from community.votes.services import cast_vote

JSON = {"Accept": "application/json"}


def _fresh(db, model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


def test_moderator_hides_and_unhides_a_post_members_cannot(make, login, mod, client, db):
    board = make.board(slug="talk")
    thread = make.thread(board=board)
    reply = make.post(thread, body="Contains a phone number 555-1234")
    member = login(make.member("meddler"))
    assert member.post(f"/p/{reply.id}/hide", data={"reason": "x"}).status_code == 403
    assert "555-1234" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    moderator = login(mod)
    assert moderator.post(f"/p/{reply.id}/hide", data={"reason": "Personal data"}).status_code == 302
    assert "555-1234" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "0 replies" in client.get("/b/talk").get_data(as_text=True)
    assert "Hidden by a moderator" in moderator.get(f"/t/{thread.id}").get_data(as_text=True)
    assert member.post(f"/p/{reply.id}/unhide").status_code == 404  # a hidden post does not exist for them
    assert moderator.post(f"/p/{reply.id}/unhide").status_code == 302
    assert "555-1234" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert _fresh(db, Board, board.id).post_count == 2 and _fresh(db, Thread, thread.id).reply_count == 1
    again = moderator.post(f"/p/{reply.id}/unhide", headers=JSON)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "conflict"


def test_soft_deleted_posts_can_be_restored_with_their_counts(make, login, mod, client, db):
    board = make.board(slug="talk")
    thread = make.thread(board=board)
    author = make.member("writer")
    reply = make.post(thread, author=author, body="Regrettable words")
    login(author).post(f"/p/{reply.id}/delete")
    assert _fresh(db, Member, author.id).post_count == 0
    assert login(author).post(f"/p/{reply.id}/restore").status_code in (403, 404)
    assert login(mod).post(f"/p/{reply.id}/restore").status_code == 302
    assert "Regrettable words" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert _fresh(db, Member, author.id).post_count == 1
    assert _fresh(db, Thread, thread.id).reply_count == 1 and _fresh(db, Board, board.id).post_count == 2


def test_restoring_an_opening_post_brings_back_the_thread(make, login, mod, client, db):
    board = make.board(slug="talk")
    author = make.member("opener")
    thread = make.thread(board=board, author=author, title="Back from the dead")
    login(author).post(f"/p/{thread.id}/delete")
    assert "Back from the dead" not in client.get("/b/talk").get_data(as_text=True)
    login(mod).post(f"/p/{thread.id}/restore")
    assert "Back from the dead" in client.get("/b/talk").get_data(as_text=True)
    assert _fresh(db, Board, board.id).thread_count == 1


def test_whispers_are_seen_by_staff_and_moderators_only(make, login, mod, client, db):
    board = make.board(slug="talk")
    thread = make.thread(board=board)
    staff = login(make.member("brandrep", role="staff"))
    response = staff.post(f"/t/{thread.id}/reply", data={"body": "Internal: ticket 4411", "whisper": "y"})
    assert response.status_code == 302
    member = login(make.member("reader"))
    assert "ticket 4411" not in member.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "ticket 4411" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    page = login(mod).get(f"/t/{thread.id}").get_data(as_text=True)
    assert "ticket 4411" in page and "Whisper" in page
    assert _fresh(db, Thread, thread.id).reply_count == 0 and _fresh(db, Board, board.id).post_count == 1


def test_a_member_cannot_whisper_by_crafting_the_form(make, login, db):
    thread = make.thread()
    member = login(make.member("crafty"))
    response = member.post(f"/t/{thread.id}/reply", data={"body": "Secret stuff", "whisper": "y"})
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Post).where(Post.is_whisper.is_(True))) == 0


def test_global_pin_puts_a_thread_on_top_of_latest(make, login, mod, client):
    old = make.thread(title="Read this first please")
    make.thread(title="A newer thread entirely")
    assert login(make.member("pinner")).post(f"/t/{old.id}/pin-globally").status_code == 403
    login(mod).post(f"/t/{old.id}/pin-globally", data={"days": "7"})
    page = client.get("/latest").get_data(as_text=True)
    assert page.index("Read this first please") < page.index("A newer thread entirely")
    assert "Pinned everywhere" in page


def test_lock_with_a_reason_is_shown_and_logged(make, login, mod, client, db):
    thread = make.thread()
    login(mod).post(f"/t/{thread.id}/lock", data={"reason": "Resolved, see the FAQ"})
    assert "Resolved, see the FAQ" in client.get(f"/t/{thread.id}").get_data(as_text=True)
    entry = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "lock"))
    assert entry.reason == "Resolved, see the FAQ" and entry.actor_id == mod.id


def test_moderator_edit_keeps_the_reason_in_history_and_the_log(make, login, mod, db):
    thread = make.thread()
    reply = make.post(thread, body="My email is someone@example.com")
    login(mod).post(f"/p/{reply.id}/edit", data={"body": "My email is [removed]", "reason": "No personal data"})
    revision = db.session.scalar(select(PostRevision).where(PostRevision.post_id == reply.id))
    assert revision.reason == "No personal data" and "someone@example.com" in revision.body_source
    entry = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "edit"))
    assert entry.reason == "No personal data"


def _thread_with_history(make, db, title, bodies, board=None):
    thread = make.thread(board=board, title=title, body=bodies[0])
    posts = [db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))]
    for body in bodies[1:]:
        posts.append(make.post(thread, body=body))
    return thread, posts


def test_merge_moves_posts_in_order_with_votes_and_history(app, make, login, mod, client, db):
    board = make.board(slug="talk")
    target, _ = _thread_with_history(make, db, "Router drops wifi", ["Target opening", "Target reply"], board)
    source, moved = _thread_with_history(make, db, "Wifi keeps dropping", ["Source opening", "Source one", "Source two"],
                                         board)
    voter = make.member("voter")
    with app.test_request_context():
        cast_vote(voter, db.session.get(Post, moved[1].id), 1)
    db.session.commit()
    author = db.session.get(Member, moved[2].author_id)
    login(author).post(f"/p/{moved[2].id}/edit", data={"body": "Source two, edited", "reason": "typo"})

    assert login(make.member("nosy")).post(f"/t/{source.id}/merge", data={"target": str(target.id)}).status_code == 403
    response = login(mod).post(f"/t/{source.id}/merge", data={"target": f"http://x/t/{target.id}"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/t/{target.id}")
    page = client.get(f"/t/{target.id}").get_data(as_text=True)
    order = [page.index(text) for text in ("Target opening", "Target reply", "Source opening", "Source one",
                                           "Source two, edited")]
    assert order == sorted(order)
    numbers = [db.session.get(Post, p.id).number for p in moved]
    assert numbers == [3, 4, 5]
    db.session.expire_all()
    assert db.session.scalar(select(Vote.post_id)) == moved[1].id and db.session.get(Post, moved[1].id).score == 1
    assert db.session.scalar(select(PostRevision.post_id)) == moved[2].id
    assert _fresh(db, Thread, target.id).reply_count == 4
    board_row = _fresh(db, Board, board.id)
    assert (board_row.thread_count, board_row.post_count) == (1, 5)
    assert client.get(f"/t/{source.id}").status_code == 410
    assert "Wifi keeps dropping" not in client.get("/b/talk").get_data(as_text=True)


def test_merge_refuses_the_same_thread(make, login, mod):
    thread = make.thread()
    response = login(mod).post(f"/t/{thread.id}/merge", data={"target": str(thread.id)}, headers=JSON)
    assert response.status_code == 422 and "target" in response.get_json()["error"]["fields"]


def test_split_moves_chosen_replies_into_a_new_thread(app, make, login, mod, client, db):
    board = make.board(slug="talk")
    thread, posts = _thread_with_history(make, db, "Printer questions", ["Opening", "On topic", "Tangent A",
                                                                          "On topic again", "Tangent B"], board)
    with app.test_request_context():
        cast_vote(make.member("fan"), db.session.get(Post, posts[4].id), 1)
    db.session.commit()
    author = db.session.get(Member, posts[2].author_id)
    login(author).post(f"/p/{posts[2].id}/edit", data={"body": "Tangent A (edited)", "reason": "clarity"})
    assert login(make.member("nosy")).post(f"/t/{thread.id}/split", data={"title": "Tangents here",
                                                                           "posts": [str(posts[2].id)]}).status_code == 403
    response = login(mod).post(f"/t/{thread.id}/split", data={"title": "About the tangents",
                                                              "posts": [str(posts[4].id), str(posts[2].id)]})
    assert response.status_code == 302
    new = db.session.scalar(select(Thread).where(Thread.title == "About the tangents"))
    page = client.get(f"/t/{new.id}").get_data(as_text=True)
    assert page.index("Tangent A (edited)") < page.index("Tangent B")
    db.session.expire_all()
    assert [db.session.get(Post, posts[i].id).number for i in (2, 4)] == [1, 2]
    db.session.expire_all()
    assert db.session.get(Post, posts[4].id).score == 1 and db.session.get(Post, posts[4].id).thread_id == new.id
    assert db.session.scalar(select(PostRevision.post_id)) == posts[2].id
    assert new.author_id == posts[2].author_id and new.reply_count == 1
    old_page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Tangent" not in old_page and "On topic again" in old_page
    assert _fresh(db, Thread, thread.id).reply_count == 2
    board_row = _fresh(db, Board, board.id)
    assert (board_row.thread_count, board_row.post_count) == (2, 5)
    # links to moved posts lead to their new place
    assert client.get(f"/p/{posts[4].id}").headers["Location"].endswith(f"/t/{new.id}#post-2")


def test_split_refuses_the_opening_post_and_posts_of_other_threads(make, login, mod, db):
    thread, posts = _thread_with_history(make, db, "Some thread title", ["Opening", "Reply"])
    other, other_posts = _thread_with_history(make, db, "Another thread here", ["Opening", "Reply"])
    moderator = login(mod)
    for ids in ([posts[0].id], [other_posts[1].id], []):
        response = moderator.post(f"/t/{thread.id}/split", data={"title": "New thread title", "posts": [str(i) for i in ids]},
                                  headers=JSON)
        assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 2


def test_pins_end_by_themselves_when_they_expire(make, login, mod, client, db):
    board = make.board(slug="talk")
    old = make.thread(board=board, title="Pinned for a day only")
    make.thread(board=board, title="A newer thread entirely")
    moderator = login(mod)
    assert moderator.post(f"/t/{old.id}/pin", data={"days": "1"}).status_code == 302
    assert moderator.post(f"/t/{old.id}/pin-globally", data={"days": "1"}).status_code == 302
    for url in ("/b/talk", "/latest"):
        page = client.get(url).get_data(as_text=True)
        assert page.index("Pinned for a day only") < page.index("A newer thread entirely"), url
    row = _fresh(db, Thread, old.id)
    assert row.pinned_until is not None and row.pinned_globally
    row.pinned_until = utcnow() - timedelta(minutes=1)  # a day later
    db.session.commit()
    for url in ("/b/talk", "/latest"):
        page = client.get(url).get_data(as_text=True)
        assert page.index("A newer thread entirely") < page.index("Pinned for a day only"), url
