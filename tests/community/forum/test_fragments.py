"""Post fragments (community/fragments.py): each reply rendered once per version and kind of reader.

What a reader notices: the page is the same as if rendered fresh, whoever filled the cache before them. A
fragment is never served to a reader who may not see the post, never shows another member's vote, reaction or
bookmark, and every event that changes how a post looks shows on the next read.
"""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import update

from community import cachestore, fragments, permissions, registry
from community.avatars import services as avatars
from community.forum import services as forum
from community.forum.models import BoardKind, Post, Visibility
from community.groups import services as groups
from community.members import services as members
from community.members.models import Role
from community.moderation import posts as moderation
from community.moderation import thread_tools
from community.qa import services as qa
from community.reactions import services as reactions
from community.votes import services as votes
from tests.conftest import csrf_token_from
from tests.factories import PASSWORD

SECRET = "Only-some-readers-may-read-this-7391"


def article(html: str, number: int) -> str:
    """The <article> of post `number` on a thread page ('' when it is not there)."""
    match = re.search(rf'<article class="post[^"]*" id="post-{number}".*?</article>', html, re.S)
    return match.group(0) if match else ""


def stored(app) -> dict:
    return {k: v[1] for k, v in cachestore.store(app)._values.items() if k.startswith("frag:post:")}


def read(client, thread, **kwargs) -> str:
    response = client.get(f"/t/{thread.id}", **kwargs)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def as_reader(app, member):
    """A fresh test client signed in as `member` (None: a guest)."""
    client = app.test_client()
    if member is not None:
        response = client.post("/login", data={"login": member.username, "password": PASSWORD})
        assert response.status_code == 302
    return client


@pytest.fixture
def world(make, db):
    author = make.member("fragauthor")
    moderator = make.member("fragmod", role=Role.moderator)
    reader = make.member("fragreader")
    other = make.member("fragother")
    thread = make.thread(author=make.member("fragasker"))
    post = make.post(thread, author=author, body=f"The reply. {SECRET}")
    make.post(thread, body="Another reply, shown to everyone.")
    return {"author": author, "moderator": moderator, "reader": reader, "other": other, "thread": thread,
            "post": post}


def test_second_read_is_served_from_the_store_with_the_readers_own_csrf_token(app, world):
    client = as_reader(app, world["reader"])
    earlier = set(stored(app))  # the store outlives a test: the suite's app is made once
    first = read(client, world["thread"])
    kept = {key: value for key, value in stored(app).items() if key not in earlier}
    assert len(kept) == 3  # the opening post (no poll) and the two replies
    placeholder = fragments.csrf_placeholder()
    assert all(placeholder.encode() in value for value in kept.values())  # forms carry the placeholder, not a token
    store = cachestore.store(app)
    for key in kept:  # mark what is stored: the next read must show the marks
        store.set(key, store.get(key).replace(b'class="post-body"', b'class="post-body from-store"'), 60)
    second = read(client, world["thread"])
    assert second.count('class="post-body from-store"') == 3
    assert placeholder not in first and placeholder not in second
    token = csrf_token_from(second)
    assert token in article(second, 2)  # the reader's token is in the fragment's forms
    assert first.replace(csrf_token_from(first), "T") == second.replace(token, "T").replace(" from-store", "")


def _hidden(w):
    moderation.hide_post(w["moderator"], w["post"], "spam")


def _pending(w):
    w["post"].pending = True


def _deleted(w):
    forum.delete_post(w["author"], w["post"])


def _whisper(w):
    w["post"].body_html = "<p>The reply, without the secret.</p>"
    w["post"] = forum.reply(w["moderator"], w["thread"], f"A whisper. {SECRET}", whisper=True)


@pytest.mark.parametrize("state", [_hidden, _pending, _deleted, _whisper])
def test_a_stored_fragment_never_reaches_a_reader_who_may_not_see_the_post(app, db, world, state):
    state(world)
    db.session.commit()
    thread = world["thread"]
    # those who may see it fill the cache first: the author (not of a whisper) and a moderator
    for member in (world["author"], world["moderator"]):
        page = read(as_reader(app, member), thread)
        if member is world["moderator"] or state is not _whisper and state is not _deleted:
            assert SECRET in page, member.username
    for member in (world["reader"], world["other"], None):
        page = read(as_reader(app, member), thread)
        assert SECRET not in page, getattr(member, "username", "guest")
        if state in (_pending, _whisper):
            assert f'data-post-id="{world["post"].id}"' not in page  # not even a marker


def test_a_private_board_thread_stays_404_after_staff_filled_the_cache(app, make, world):
    board = make.board(visibility=Visibility.staff)
    staff = make.member("fragstaff", role=Role.staff)
    thread = make.thread(board=board, author=staff)
    make.post(thread, author=staff, body=SECRET)
    assert SECRET in read(as_reader(app, staff), thread)
    for member in (world["reader"], None):
        assert as_reader(app, member).get(f"/t/{thread.id}").status_code == 404


def test_never_another_members_vote_reaction_or_bookmark(app, db, world):
    from community.bookmarks import services as bookmarks  # noqa: PLC0415

    post, thread = world["post"], world["thread"]
    votes.cast_vote(world["reader"], post, 1)
    reactions.react(world["reader"], post, "like")
    bookmarks.add_bookmark(world["reader"], post=post)
    db.session.commit()
    mine = article(read(as_reader(app, world["reader"]), thread), post.number)
    assert 'class="vote-up" aria-pressed="true"' in mine and "reaction mine" in mine and "bookmarked" in mine
    for member in (world["other"], world["moderator"]):
        theirs = article(read(as_reader(app, member), thread), post.number)
        assert theirs and 'aria-pressed="true"' not in theirs and " mine" not in theirs and "bookmarked" not in theirs
        assert '<span class="score" title="Score: upvotes minus downvotes">1</span>' in theirs
    # and the reader, reading again from the store, still sees their own
    again = article(read(as_reader(app, world["reader"]), thread), post.number)
    assert again == mine.replace(csrf_token_from(mine), csrf_token_from(again))


# ---- invalidation: every event that changes how a post looks shows on the next read -------------------------

def _edit(w):
    forum.edit_post(w["author"], w["post"], "Edited words, fresh ones.")
    return lambda page: "Edited words, fresh ones." in page and SECRET not in page


def _hide(w):
    moderation.hide_post(w["moderator"], w["post"], "spam")
    return lambda page: SECRET not in page and "Hidden pending review" in page


def _vote(w):
    votes.cast_vote(w["other"], w["post"], 1)
    return lambda page: '<span class="score" title="Score: upvotes minus downvotes">1</span>' in page


def _reaction(w):
    reactions.react(w["other"], w["post"], "thanks")
    return lambda page: re.search(r'data-kind="thanks"[^>]*>.*?<span class="reaction-count">1</span>', page, re.S)


def _lock(w):
    thread_tools.lock_thread(w["moderator"], w["thread"], "enough")
    return lambda page: "data-reply-to" not in page


def _rename(w):
    members.update_profile(w["author"], display_name="Renamed Author", bio="", locale=None)
    return lambda page: "Renamed Author" in page


def _avatar(w):
    avatars.set_colour(w["author"], 7)
    return lambda page: "avatar-c7" in page


def _badge(w):
    group = groups.create_group(None, {"name": "Product experts", "show_badge": True})
    groups.add_members(None, group, [w["author"].username])
    return lambda page: "Product experts" in page


def _author_deleted(w):
    members.delete_account(w["author"], PASSWORD)
    return lambda page: "Deleted member" in page and "fragauthor" not in page


def _delete(w):
    forum.delete_post(w["author"], w["post"])
    return lambda page: "This post was deleted." in page and SECRET not in page


EVENTS = [_edit, _hide, _vote, _reaction, _lock, _rename, _avatar, _badge, _author_deleted, _delete]


@pytest.mark.parametrize("event", EVENTS, ids=[e.__name__.strip("_") for e in EVENTS])
def test_each_event_that_changes_a_post_shows_on_the_next_read(app, db, world, event):
    client = as_reader(app, world["reader"])
    before = article(read(client, world["thread"]), world["post"].number)
    assert SECRET in before
    check = event(world)
    db.session.commit()
    after = article(read(client, world["thread"]), world["post"].number)
    assert check(after), after


def test_unhide_shows_the_post_again(app, db, world):
    client = as_reader(app, world["reader"])
    moderation.hide_post(world["moderator"], world["post"], "spam")
    db.session.commit()
    assert SECRET not in read(client, world["thread"])
    moderation.unhide_post(world["moderator"], world["post"])
    db.session.commit()
    assert SECRET in article(read(client, world["thread"]), world["post"].number)


def test_accept_and_unaccept_show_on_the_next_read(app, make, db):
    asker, answerer, reader = make.member(), make.member(), make.member()
    thread = make.thread(board=make.board(kind=BoardKind.question), author=asker)
    answer = make.post(thread, author=answerer, body="Try turning it off and on.")
    client = as_reader(app, reader)
    assert "accepted-mark" not in article(read(client, thread), answer.number)
    qa.accept_answer(asker, answer)
    db.session.commit()
    assert "accepted-mark" in article(read(client, thread), answer.number)
    qa.unaccept_answer(asker, thread)
    db.session.commit()
    assert "accepted-mark" not in article(read(client, thread), answer.number)


def test_the_accepted_answer_under_a_question_follows_what_the_reader_may_see(app, make, db, world):
    asker, answerer = make.member(), make.member()
    thread = make.thread(board=make.board(kind=BoardKind.question), author=asker)
    answer = make.post(thread, author=answerer, body=f"The answer. {SECRET}")
    qa.accept_answer(asker, answer)
    moderation.hide_post(world["moderator"], answer, "spam")
    db.session.commit()
    assert SECRET in article(read(as_reader(app, world["moderator"]), thread), 1)  # the moderator filled the store
    assert 'class="accepted-answer"' not in article(read(as_reader(app, world["reader"]), thread), 1)
    moderation.unhide_post(world["moderator"], answer)
    db.session.commit()
    assert SECRET in article(read(as_reader(app, world["reader"]), thread), 1)


def test_a_threads_poll_shows_each_reader_their_own_choice(app, make, db, world):
    from community.polls import services as polls  # noqa: PLC0415

    thread = world["thread"]
    poll = polls.create_poll(thread.author, thread, "Which colour?", ["Red", "Blue"])
    db.session.commit()
    polls.cast_ballot(world["reader"], poll, [poll.options[0].id])
    db.session.commit()
    mine = article(read(as_reader(app, world["reader"]), thread), 1)
    assert "your choice" in mine or f'value="{poll.options[0].id}" checked' in mine
    theirs = article(read(as_reader(app, world["other"]), thread), 1)
    assert "your choice" not in theirs and " checked" not in theirs


def test_moving_a_thread_to_a_question_board_offers_the_asker_accept(app, make, db, world):
    asker = world["thread"].author
    client = as_reader(app, asker)
    assert "Accept as answer" not in article(read(client, world["thread"]), world["post"].number)
    thread_tools.move_thread(world["moderator"], world["thread"], make.board(kind=BoardKind.question))
    db.session.commit()
    assert "Accept as answer" in article(read(client, world["thread"]), world["post"].number)


def test_merged_and_split_posts_link_to_their_new_thread(app, make, db, world):
    client = as_reader(app, world["reader"])
    source, post = world["thread"], world["post"]
    read(client, source)
    target = make.thread(board=source.board)
    thread_tools.merge_threads(world["moderator"], source, target)
    db.session.commit()
    db.session.refresh(post)
    page = read(client, target)
    assert f'href="/t/{target.id}#post-{post.number}"' in article(page, post.number)
    later = make.post(target, body="A reply after the merge.")
    read(client, target)
    split = thread_tools.split_thread(world["moderator"], target, [post.id, later.id], "Split off")
    db.session.commit()
    db.session.refresh(later)
    assert f'href="/t/{split.id}#post-{later.number}"' in article(read(client, split), later.number)


@pytest.mark.parametrize("change", ["score", "body", "hidden"])
def test_a_change_made_elsewhere_shows_without_any_signal(app, db, world, change):
    """Another process (or host) changed the row: its signals never reached this process's store, the key still moves."""
    client = as_reader(app, world["reader"])
    post = world["post"]
    assert SECRET in read(client, world["thread"])
    values = {"score": {"score": 42}, "body": {"body_html": "<p>Changed on another host.</p>"},
              "hidden": {"hidden_at": post.created_at, "hidden_reason": "mod"}}[change]
    db.session.execute(update(Post).where(Post.id == post.id).values(**values))
    db.session.commit()
    page = article(read(client, world["thread"]), post.number)
    expected = {"score": '<span class="score" title="Score: upvotes minus downvotes">42</span>',
                "body": "Changed on another host.", "hidden": "Hidden pending review"}[change]
    assert expected in page


def test_language_and_time_zone_are_part_of_the_key(app, world):
    client = as_reader(app, world["reader"])
    english = article(read(client, world["thread"]), world["post"].number)
    client.set_cookie("tz", "Asia/Shanghai")
    chinese = article(read(client, world["thread"], headers={"Accept-Language": "zh-CN"}), world["post"].number)
    assert "Reply" in english
    assert english != chinese


def test_the_per_post_templates_ask_only_the_predicates_in_the_key(app):
    """A new `can.*` question in a post template must join the fragment key (or the reader's rights leak)."""
    with app.test_request_context():
        names = ["community/forum/_post.html"] + [t for slot in fragments.POST_SLOTS
                                                     for t in registry.slot_templates(slot)]
        assert set(fragments.POST_SLOTS) == {s for s in registry.SLOTS if s.startswith("post_")}
        for name in names:
            source = app.jinja_env.loader.get_source(app.jinja_env, name)[0]
            if name == "community/polls/_poll.html":  # a thread with a poll: its opening post is never stored
                source = source.split("{% if pv %}", 1)[0] + source.split("</section>", 1)[1]
            for predicate, argument in re.findall(r"can\.(can_\w+)\(current_user, ([\w.]+)\)", source):
                allowed = {"post": fragments.POST_PREDICATES, "thread": fragments.THREAD_PREDICATES,
                           "post.reply_to": ("can_view_post",)}[argument]
                assert predicate in allowed, (name, predicate, argument)
            assert "current_user" not in re.sub(r"can\.can_\w+\(current_user|current_user\.is_authenticated|"
                                                r"post\.author_id == current_user\.id", "", source), name


@pytest.mark.parametrize("who", ["guest", "reader", "author", "moderator", "staff", "silenced"])
@pytest.mark.parametrize("question", [False, True], ids=["discussion", "question"])
def test_rights_asked_once_per_kind_of_post_are_the_rights_of_each_post(app, make, db, who, question):
    """A page asks the per-post predicates once per kind of post: every post must get its own answers."""
    asker, author, moderator = make.member(), make.member(), make.member(role=Role.moderator)
    board = make.board(kind=BoardKind.question if question else BoardKind.discussion)
    thread = make.thread(board=board, author=asker)
    recent, old = make.post(thread, author=author), make.post(thread, author=author)
    old.created_at -= timedelta(days=30)  # the author's edit window has passed on this one
    plain, hidden, deleted = make.post(thread), make.post(thread), make.post(thread, reply_to=recent)
    pending, old_hidden = make.post(thread), make.post(thread, author=author)
    make.post(thread), make.post(thread, author=author)  # one more of two kinds above
    moderation.hide_post(moderator, hidden, "spam")
    moderation.hide_post(moderator, old_hidden, "spam")
    forum.delete_post(deleted.author, deleted)
    pending.pending = True
    whisper = forum.reply(moderator, thread, "A whisper.", whisper=True)
    db.session.commit()
    reader = {"guest": None, "reader": make.member(), "author": author, "moderator": moderator,
              "staff": make.member(role=Role.staff), "silenced": make.member()}[who]
    if who == "silenced":
        reader.silenced_until = old.created_at + timedelta(days=365)
        db.session.commit()
    posts = forum.thread_posts(thread, 1, None).items
    assert {plain.id, old.id, recent.id, hidden.id, deleted.id, pending.id, whisper.id} <= {p.id for p in posts}
    with app.test_request_context():
        if reader is not None:
            login_user(reader)
        for post in posts + posts[::-1]:  # either order: the first of a kind must not decide for the others
            expected = tuple(getattr(permissions, name)(reader, post) for name in fragments.POST_PREDICATES)
            assert fragments.post_rights(post, thread) == expected, (who, post.number)
        assert len(g._fragment_rights) < len(posts)  # asked per kind, not per post
        # the kind is read straight from the loaded row; a post whose columns are not loaded gives the same kind
        user = fragments._reader()
        kinds = {post.id: fragments.post_kind(post, thread, user) for post in posts}
        for post in posts:
            db.session.expire(post, ["deleted_at", "hidden_at", "pending", "is_whisper", "author_id"])
            assert fragments.post_kind(post, thread, user) == kinds[post.id], (who, post.number)


_PAGE_AND_POST = (
    "{% set v = my_votes_of_page() %}{% set r = post_reactions_of_page() %}{% set b = bookmarks_of_page() %}"
    "{% for p in posts.items %}{{ p.id }}|{{ v.get(p.id, '-') }}|{{ r[p.id].mine }}|{{ r[p.id].counts|dictsort }}|"
    "{{ b.get(p.id, '-') }}|{{ my_vote(p) }}|{{ post_reactions(p).mine }}|{{ post_reactions(p).counts|dictsort }}|"
    "{{ bookmark_of(post=p) }}\n{% endfor %}")


@pytest.mark.parametrize("who", ["reader", "other", "guest"])
def test_the_keys_page_helpers_answer_what_the_per_post_helpers_answer(app, db, make, world, count_queries, who):
    """The fragment keys read the reader's votes, reactions and bookmarks for the whole page at once: the same."""
    from flask import render_template_string  # noqa: PLC0415

    from community.bookmarks import services as bookmarks  # noqa: PLC0415

    thread, reader = world["thread"], world["reader"]
    extra = [make.post(thread) for _ in range(3)]
    db.session.commit()
    posts = forum.thread_posts(thread, 1, None).items
    votes.cast_vote(reader, world["post"], 1)
    votes.cast_vote(reader, extra[0], -1)
    votes.cast_vote(world["other"], extra[1], 1)
    reactions.react(reader, world["post"], "like")
    reactions.react(world["other"], world["post"], "like")
    reactions.react(world["other"], extra[2], "thanks")
    bookmarks.add_bookmark(reader, post=extra[1])
    bookmarks.add_bookmark(world["other"], post=extra[2])
    db.session.commit()
    member = {"reader": reader, "other": world["other"], "guest": None}[who]
    with app.test_request_context():
        if member is not None:
            login_user(member)
        page = forum.thread_posts(thread, 1, None)
        with count_queries() as statements:
            lines = render_template_string(_PAGE_AND_POST, posts=page, thread=thread).strip().splitlines()
    assert len(lines) == len(posts) >= 5
    # one statement each for the whole page (votes, reactions, bookmarks; a guest's reactions only), then none
    assert len(statements) == (3 if member is not None else 1), statements
    by_id = {int(line.split("|")[0]): html.unescape(line).split("|")[1:] for line in lines}
    for post_id, (vote, mine, counts, bookmark, vote1, mine1, counts1, bookmark1) in by_id.items():
        assert (mine, counts) == (mine1, counts1)
        if member is None:  # a guest has no vote or bookmark of their own to key on
            assert (vote, bookmark, vote1, bookmark1) == ("-", "-", "0", "None")
        else:
            assert vote == vote1 and bookmark == bookmark1, post_id
    if who == "reader":
        assert by_id[world["post"].id][:2] == ["1", "like"] and by_id[extra[0].id][0] == "-1"
        assert by_id[extra[1].id][3] not in ("-", "None") and by_id[extra[2].id][3] == "None"
    assert by_id[world["post"].id][2] == "[('like', 2)]" and by_id[extra[2].id][2] == "[('thanks', 1)]"


@pytest.mark.parametrize("who", [None, "reader", "moderator", "author"])
def test_the_page_put_together_from_the_store_is_the_page_rendered_afresh(app, db, make, world, who):
    """Byte for byte, for a guest, a member, a moderator and the post's author: fragments off, the first read (that
    fills the store) and a read from the store give the same page (the reader's CSRF token aside)."""
    thread = world["thread"]
    make.post(thread, author=world["other"], body="何时发布？ A reply with **Chinese** text.", reply_to=world["post"])
    moderation.hide_post(world["moderator"], make.post(thread, body="Spam."), "spam")
    db.session.commit()
    client = as_reader(app, None if who is None else world[who])
    pages, config = [], app.config
    kept = config["FRAGMENT_CACHE_SECONDS"], config.get("PAGE_CACHE_SECONDS")
    config["PAGE_CACHE_SECONDS"] = 0  # a guest gets no shared page: each read is put together
    try:
        config["FRAGMENT_CACHE_SECONDS"] = 0
        pages.append(read(client, thread))
        config["FRAGMENT_CACHE_SECONDS"] = kept[0]
        pages += [read(client, thread), read(client, thread)]
    finally:
        config["FRAGMENT_CACHE_SECONDS"] = kept[0]
        config["PAGE_CACHE_SECONDS"] = kept[1]
    if who is not None:
        pages = [page.replace(csrf_token_from(page), "TOKEN") for page in pages]
    assert pages[0] == pages[1] == pages[2]
    assert "何时发布" in pages[0] and 'id="post-4"' in pages[0]
