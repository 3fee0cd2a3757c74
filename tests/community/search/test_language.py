"""Bilingual matching and the query language, through /api/v1/search as a reader uses it."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services as forum
from community.forum.models import BoardKind, IdeaStatus, Post, Thread, Visibility
from community.qa.services import accept_answer
from community.votes.services import cast_vote
from tests.community.search.conftest import titles


def test_chinese_word_finds_a_title_segmented_by_jieba(make, find):
    make.thread(title="如何办理退货流程", body="我买的耳机有杂音，想退掉。")
    make.thread(title="发票可以重新开吗", body="公司抬头写错了，需要换一张发票。")
    assert titles(find("退货")) == ["如何办理退货流程"]
    assert titles(find("发票")) == ["发票可以重新开吗"]
    assert titles(find("流程")) == ["如何办理退货流程"]


def test_chinese_sentence_as_query_is_segmented_too(make, find):
    make.thread(title="蓝牙耳机连接不稳定", body="手机和耳机距离很近，但是声音断断续续，已经重置过一次。")
    make.thread(title="耳机电池续航变短", body="充满电只能用两个小时。")
    assert titles(find("声音断断续续")) == ["蓝牙耳机连接不稳定"]
    assert sorted(titles(find("耳机"))) == ["耳机电池续航变短", "蓝牙耳机连接不稳定"]
    assert titles(find("重置 耳机")) == ["蓝牙耳机连接不稳定"]


def test_a_long_chinese_word_is_found_by_the_words_inside_it(make, find):
    make.thread(title="中华人民共和国境内的保修政策", body="请问在国内任何城市都可以保修吗？")
    assert titles(find("人民共和国")) == ["中华人民共和国境内的保修政策"]
    assert titles(find("共和国")) == ["中华人民共和国境内的保修政策"]


def test_mixed_post_is_found_by_its_english_and_its_chinese_words(make, find):
    make.thread(title="Firmware 升级失败", body="我的 Acme Hub 升级到 firmware 4.2 以后无法连接 WiFi，重启也没用。")
    make.thread(title="Unrelated question", body="How do I change my avatar?")
    for query in ("firmware", "升级", "WiFi", "重启", "acme 升级", "firmwares"):
        assert titles(find(query)) == ["Firmware 升级失败"], query


def test_english_words_match_their_other_forms(make, find):
    make.thread(title="Sync stalls at 99 percent", body="Restarting the client returned the same error.")
    for query in ("stalling", "stalled", "restart", "returns", "SYNC"):
        assert titles(find(query)) == ["Sync stalls at 99 percent"], query
    assert find("unrelated")["items"] == []


def test_phrases_need_the_words_together_in_order(make, find):
    make.thread(title="Battery drains overnight", body="The battery drains fast when the screen is off.")
    make.thread(title="Screen flickers", body="The screen is fine but the drains in the kitchen are slow; battery too.")
    assert titles(find('"battery drains"')) == ["Battery drains overnight"]
    assert len(find("battery drains")["items"]) == 2
    make.thread(title="保修期内维修", body="保修期内可以免费维修屏幕吗")
    assert titles(find('"免费维修"')) == ["保修期内维修"]
    assert find('"维修免费"')["items"] == []


def test_or_not_and_minus(make, find):
    make.thread(title="Router resets itself", body="Every night the router resets.")
    make.thread(title="Modem resets itself", body="Every night the modem resets.")
    make.thread(title="Printer jams", body="Paper jams in tray two.")
    assert sorted(titles(find("router OR printer"))) == ["Printer jams", "Router resets itself"]
    assert titles(find("resets NOT modem")) == ["Router resets itself"]
    assert titles(find("resets -modem")) == ["Router resets itself"]
    assert sorted(titles(find("(router OR modem) night"))) == ["Modem resets itself", "Router resets itself"]


def test_board_author_and_tag_filters(make, find):
    help_board = make.board(slug="help")
    ideas = make.board(slug="lounge")
    alice, bob = make.member("alice"), make.member("bob")
    forum.start_thread(alice, help_board, "Charger gets warm", "The charger gets warm after an hour.", tags="charger, hardware")
    forum.start_thread(bob, ideas, "Warm colours theme", "A theme with warm colours please.", tags="themes")
    db.session.commit()
    assert titles(find("warm board:help")) == ["Charger gets warm"]
    assert titles(find("warm -board:help")) == ["Warm colours theme"]
    assert titles(find("warm author:bob")) == ["Warm colours theme"]
    assert titles(find("author:@Alice")) == ["Charger gets warm"]
    assert titles(find("tag:hardware")) == ["Charger gets warm"]
    assert titles(find("warm tag:#Themes")) == ["Warm colours theme"]
    assert find("board:nowhere")["items"] == []


def test_kind_filter_keeps_to_boards_of_that_kind_the_reader_may_read(make, find, client, auth):
    questions = make.board(slug="help", kind=BoardKind.question)
    ideas = make.board(slug="ideas", kind=BoardKind.idea)
    insiders = make.board(slug="insiders", kind=BoardKind.question, visibility=Visibility.members)
    lounge = make.board(slug="lounge", kind=BoardKind.discussion)
    for board, title in ((questions, "Battery drains overnight"), (ideas, "Battery saver mode"),
                         (insiders, "Battery recall for insiders"), (lounge, "Battery chat")):
        make.thread(board=board, title=title)
    assert titles(find("battery kind:question")) == ["Battery drains overnight"]  # a guest: public boards only
    assert titles(find("battery kind:Idea")) == ["Battery saver mode"]
    assert sorted(titles(find("battery -kind:question"))) == ["Battery chat", "Battery saver mode"]
    assert find("kind:announcement")["items"] == []
    assert "Unknown kind" in find("battery kind:poll", expect=400)["error"]["message"]
    auth.login(make.member("reader"))
    assert sorted(titles(find("battery kind:question"))) == ["Battery drains overnight", "Battery recall for insiders"]


def test_is_solved_unanswered_and_status(make, find, app):
    questions = make.board(kind=BoardKind.question)
    asker = make.member()
    solved = make.thread(board=questions, author=asker, title="Which cable fits the dock?")
    answer = make.post(solved, body="The USB-C cable from the box fits the dock.")
    accept_answer(asker, answer)
    db.session.commit()
    open_question = make.thread(board=questions, title="Which cable fits the old dock?")
    make.post(open_question, body="Any cable should fit it.")
    make.thread(board=questions, title="Which dock fits the cable?")
    assert titles(find("cable is:solved is:thread")) == ["Which cable fits the dock?"]
    assert sorted(titles(find("cable is:unsolved is:thread"))) == ["Which cable fits the old dock?",
                                                                  "Which dock fits the cable?"]
    assert titles(find("cable is:unanswered")) == ["Which dock fits the cable?"]
    # threads.accepted_post_id and posts.thread_id point at each other: let the tables be emptied
    db.session.execute(update(Thread).values(accepted_post_id=None))
    db.session.commit()

    ideas = make.board(kind=BoardKind.idea)
    idea = make.thread(board=ideas, title="Dark mode for the dock app")
    db.session.execute(update(Thread).where(Thread.id == idea.id).values(idea_status=IdeaStatus.planned))
    forum.edit_post(idea.author, db.session.get(Post, idea.id and _opening(idea)), "Dark mode for the dock app, please.")
    db.session.commit()
    assert titles(find("status:planned")) == ["Dark mode for the dock app"]
    assert find("status:open dock")["items"] == []
    body = find("status:someday", expect=400)
    assert "Unknown status" in body["error"]["message"]


def _opening(thread):
    return db.session.scalar(select(Post.id).where(Post.thread_id == thread.id, Post.number == 1))


def test_date_ranges(make, find):
    old = make.thread(title="Old warranty question")
    new = make.thread(title="New warranty question")
    db.session.execute(update(Post).where(Post.thread_id == old.id).values(created_at=utcnow() - timedelta(days=400)))
    forum.edit_post(old.author, db.session.get(Post, _opening(old)), "Edited so the index sees the old date.")
    db.session.commit()
    year = (utcnow() - timedelta(days=400)).year
    last_year_end = (utcnow() - timedelta(days=30)).date().isoformat()
    assert titles(find(f"warranty before:{last_year_end}")) == ["Old warranty question"]
    assert titles(find(f"warranty after:{last_year_end}")) == ["New warranty question"]
    assert "Old warranty question" in titles(find(f"warranty date:{year}"))
    today = utcnow().date().isoformat()
    assert titles(find(f"warranty date:{last_year_end}..{today}")) == ["New warranty question"]
    assert "Dates are written like" in find("warranty after:yesterday", expect=400)["error"]["message"]
    assert new.id


def test_sort_by_newest_and_by_votes(make, find):
    first = make.thread(title="Lamp flickers first")
    second = make.thread(title="Lamp flickers second")
    # a minute apart: `created` is in whole seconds, and two posts of the same second are a tie whose order
    # is the order the writer wrote them in (one commit may hold both); the votes below rewrite the document
    db.session.execute(update(Post).where(Post.thread_id == first.id).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    voters = [make.member() for _ in range(2)]
    opening = db.session.get(Post, _opening(first))
    for voter in voters:
        cast_vote(voter, opening, 1)
        db.session.commit()
    assert titles(find("lamp", sort="newest")) == ["Lamp flickers second", "Lamp flickers first"]
    assert titles(find("lamp", sort="votes")) == ["Lamp flickers first", "Lamp flickers second"]
    assert second.id


def test_pagination(make, find, app):
    app.config["SEARCH_PER_PAGE"] = 3
    try:
        for n in range(7):
            make.thread(title=f"Speaker crackles number {n}")
        first = find("crackles", sort="newest")
        assert first["total"] == 7 and first["pages"] == 3 and len(first["items"]) == 3 and first["next"]
        last = find("crackles", sort="newest", page=3)
        assert len(last["items"]) == 1 and last["next"] is None
        seen = {item["id"] for page in (1, 2, 3) for item in find("crackles", sort="newest", page=page)["items"]}
        assert len(seen) == 7
        assert find("crackles", page=9, expect=400)["error"]["code"] == "bad_query"
    finally:
        app.config["SEARCH_PER_PAGE"] = 20


def test_snippets_highlight_the_matched_words_and_escape_the_text(make, find):
    make.thread(title="Tags in the editor",
                body="Typing `<b>bold</b>` & `<script>x</script>` shows the markup literally in the editor.")
    item = find("markup")["items"][0]
    assert item["snippet_is_html"]
    assert "<mark" in item["snippet"] and "markup</mark>" in item["snippet"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in item["snippet"] and "<b>" not in item["snippet"]
    assert "&lt;script&gt;" in item["snippet"] and "<script" not in item["snippet"]


def test_spelling_suggestion_when_nothing_matches(make, find):
    make.thread(title="Bluetooth headphones disconnect", body="They disconnect every few minutes.")
    body = find("bluetoth")
    assert body["items"] == [] and body["suggestion"] == "bluetooth"
    assert find("headphones")["suggestion"] is None
