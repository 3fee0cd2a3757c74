"""Reacting to posts as members notice it: with and without JavaScript, one reaction per member and post,
changed or taken back, counts on the page, who may react, and who reacted."""
from __future__ import annotations

from datetime import timedelta

from community import settings
from community.dbtypes import utcnow
from community.forum.models import Visibility
from community.members.models import Member, Role
from community.reactions import services as reactions
from community.signals import reaction_added, reaction_removed
from tests.community.reactions.conftest import JSON, count_shown, post_box, reaction_rows, stored_counts
from tests.factories import PASSWORD


def test_thanks_without_javascript_redirects_back_and_the_page_shows_it_pressed(client, auth, make, db):
    thread = make.thread()
    reply = make.post(thread, author=make.member("ann"))
    auth.login(make.member("bob"))
    response = client.post(f"/p/{reply.id}/react", data={"kind": "thanks"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/t/{thread.id}#post-2")
    box = post_box(client.get(f"/t/{thread.id}").get_data(as_text=True), 2)
    assert count_shown(box, "thanks") == "1"
    assert 'class="reaction mine" data-kind="thanks" aria-pressed="true"' in box
    assert 'class="reaction" data-kind="like" aria-pressed="false"' in box


def test_fetch_gets_the_counts_and_my_reaction_as_json(client, auth, make):
    reply = make.post(make.thread())
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/react", data={"kind": "laugh"}, headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"post_id": reply.id, "counts": {"laugh": 1}, "mine": "laugh"}


def test_another_reaction_replaces_mine_and_the_same_again_takes_it_back(client, auth, make, db):
    reply = make.post(make.thread())
    reader = make.member()
    other = make.member()
    reactions.react(other, reply, "like")
    db.session.commit()
    auth.login(reader)
    client.post(f"/p/{reply.id}/react", data={"kind": "like"}, headers=JSON)
    assert stored_counts(db, reply.id) == {"like": 2}
    answer = client.post(f"/p/{reply.id}/react", data={"kind": "wow"}, headers=JSON).get_json()
    assert answer["counts"] == {"like": 1, "wow": 1} and answer["mine"] == "wow"
    assert reaction_rows(db, reply.id) == {other.id: "like", reader.id: "wow"}
    answer = client.post(f"/p/{reply.id}/react", data={"kind": "wow"}, headers=JSON).get_json()
    assert answer == {"post_id": reply.id, "counts": {"like": 1}, "mine": None}
    assert reaction_rows(db, reply.id) == {other.id: "like"}


def test_guests_are_sent_to_sign_in_and_see_counts_without_buttons(client, make, db):
    thread = make.thread()
    reply = make.post(thread)
    reactions.react(make.member(), reply, "sad")
    db.session.commit()
    response = client.post(f"/p/{reply.id}/react", data={"kind": "like"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post(f"/p/{reply.id}/react", data={"kind": "like"}, headers=JSON).status_code == 401
    box = post_box(client.get(f"/t/{thread.id}").get_data(as_text=True), 2)
    assert "data-react>" not in box and "<button" not in box.split("post-actions")[0] and count_shown(box, "sad") == "1"
    assert stored_counts(db, reply.id) == {"sad": 1}


def test_no_reacting_to_own_posts_nor_while_silenced(client, auth, make, db):
    thread = make.thread()
    ann = make.member("ann")
    own = make.post(thread, author=ann)
    other = make.post(thread)
    auth.login(ann)
    response = client.post(f"/p/{own.id}/react", data={"kind": "like"}, headers=JSON)
    assert response.status_code == 403 and "own posts" in response.get_json()["error"]["message"]
    assert "data-react>" not in post_box(client.get(f"/t/{thread.id}").get_data(as_text=True), 2)
    db.session.get(Member, ann.id).silenced_until = utcnow() + timedelta(days=1)
    db.session.commit()
    response = client.post(f"/p/{other.id}/react", data={"kind": "like"}, headers=JSON)
    assert response.status_code == 403 and "silenced" in response.get_json()["error"]["message"]
    assert stored_counts(db, other.id) == {} and stored_counts(db, own.id) == {}


def test_a_post_one_cannot_see_is_not_there(client, auth, make, db):
    staff_board = make.board(visibility=Visibility.staff)
    staff = make.member(role=Role.staff)
    reply = make.post(make.thread(board=staff_board, author=staff), author=staff)
    auth.login(make.member())
    assert client.post(f"/p/{reply.id}/react", data={"kind": "like"}, headers=JSON).status_code == 404
    assert client.get(f"/posts/{reply.id}/reactions").status_code == 404
    assert stored_counts(db, reply.id) == {}


def test_deleted_posts_take_no_reactions(client, auth, make, db):
    from community.forum import services as forum  # noqa: PLC0415  (only here)
    thread = make.thread()
    author = make.member()
    reply = make.post(thread, author=author)
    forum.delete_post(author, reply)
    db.session.commit()
    auth.login(make.member())
    assert client.post(f"/p/{reply.id}/react", data={"kind": "like"}, headers=JSON).status_code in (403, 404)
    assert stored_counts(db, reply.id) == {}


def test_only_the_reactions_admins_offer_can_be_chosen(client, auth, make, db):
    settings.save({"reactions.enabled": ["like", "thanks"]})
    db.session.commit()
    thread = make.thread()
    reply = make.post(thread)
    auth.login(make.member())
    response = client.post(f"/p/{reply.id}/react", data={"kind": "laugh"}, headers=JSON)
    assert response.status_code == 422 and "kind" in response.get_json()["error"]["fields"]
    box = post_box(client.get(f"/t/{thread.id}").get_data(as_text=True), 2)
    assert 'value="thanks"' in box and 'value="laugh"' not in box
    assert client.post(f"/p/{reply.id}/react", data={"kind": "nonsense"}, headers=JSON).status_code == 422


def test_signals_say_who_reacted_with_what_and_when(make, db):
    reply = make.post(make.thread())
    member = make.member()
    heard = []
    with reaction_added.connected_to(lambda post, **kw: heard.append(("added", post.id, kw))), \
            reaction_removed.connected_to(lambda post, **kw: heard.append(("removed", post.id, kw))):
        reactions.react(member, reply, "like")
        reactions.react(member, reply, "thanks")
        reactions.react(member, reply, "thanks")
    assert [(what, kw["kind"], kw.get("previous")) for what, _id, kw in heard] == [
        ("added", "like", None), ("added", "thanks", "like"), ("removed", "thanks", None)]
    assert all(kw["member"].id == member.id and kw["at"].tzinfo is not None for _w, _i, kw in heard)


def test_who_reacted_lists_members_and_filters_by_reaction(client, make, db):
    thread = make.thread()
    reply = make.post(thread)
    reactions.react(make.member("ann"), reply, "like")
    reactions.react(make.member("bob"), reply, "thanks")
    db.session.commit()
    page = client.get(f"/posts/{reply.id}/reactions").get_data(as_text=True)
    assert "ann" in page and "bob" in page
    only = client.get(f"/posts/{reply.id}/reactions?kind=thanks&fragment=1").get_data(as_text=True)
    assert "bob" in only and "ann" not in only and "<html" not in only
    assert client.get(f"/posts/{reply.id}/reactions?page=2").status_code == 404


def test_deleting_an_account_takes_back_its_reactions(client, auth, make, db):
    reply = make.post(make.thread())
    leaver = make.member("leaver")
    reactions.react(leaver, reply, "like")
    reactions.react(make.member(), reply, "like")
    db.session.commit()
    auth.login(leaver)
    response = client.post("/settings/delete-account", data={"password": PASSWORD})
    assert response.status_code == 302
    assert stored_counts(db, reply.id) == {"like": 1}
    assert list(reaction_rows(db, reply.id).values()) == ["like"]


def test_who_reacted_costs_the_same_queries_for_few_or_many(client, make, db, count_queries):
    counts = []
    for reactors in (3, 40):
        reply = make.post(make.thread())
        for _ in range(reactors):
            reactions.react(make.member(), reply, "like")
        db.session.commit()
        client.get(f"/posts/{reply.id}/reactions")  # warm up
        with count_queries() as statements:
            assert client.get(f"/posts/{reply.id}/reactions").status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
