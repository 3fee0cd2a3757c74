"""What keeps search fast at 1 000 000 posts (issue 18) changes no answer: the same hits, order and count."""
from __future__ import annotations

import random

import pytest

from community.search.analysis import BilingualAnalyzer, index_tokens
from community.search.backends.postgres import PostgresSearch, tsquery
from community.search.parse import parse


def test_index_tokens_are_the_analyzers_tokens(search_backend):
    """The postgres backend's reindex analyzes with `index_tokens`; it must index what the analyzer would."""
    if search_backend != "whoosh":
        pytest.skip("no backend involved: once is enough")
    rng = random.Random(5)
    words = ["Running", "runners", "the", "it's", "e-mail", "U.S.A.", "naïve", "Straße", "ÉCOLE", "of", "是",
             "的", "中华人民共和国", "退货流程", "蓝牙耳机连接不稳定", "，", "。", "深色模式", "x2", "4.2", "__init__"]
    texts = ["", "the of and", "的是了", "中华人民共和国境内的保修政策 and the 退货 firmwares"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    analyzer = BilingualAnalyzer()
    for value in texts:
        expected = [(token.text, token.pos) for token in analyzer(value, positions=True, mode="index")]
        assert index_tokens(value) == expected, value


def test_a_word_asked_in_title_or_body_needs_no_weights(app, search_backend):
    """`'w'` finds what `'w':A | 'w':D` finds (so PostgreSQL's GIN index answers without rereading rows)."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's SQL")
    with app.test_request_context():
        assert tsquery(parse("sync").query) == "'sync'"
        assert tsquery(parse('"battery drains"').query) == "('batteri' <-> 'drain')"
        assert tsquery(parse("sync client").query) == "('sync' & 'client')"
        assert tsquery(parse("sync OR router").query) == "('sync' | 'router')"
        # a word several tokens long must stay whole in one field: left as it was
        assert tsquery(parse("深色模式").query) == "(('深色':A & '模式':A) | ('深色':D & '模式':D))"


@pytest.fixture
def forum(make):
    """Threads whose titles and bodies hold the words in many mixes: openings and replies of every length."""
    rng = random.Random(3)
    vocabulary = ["sync", "router", "battery", "refund", "firmware", "printer", "cable", "invoice"]
    filler = ["when", "works", "again", "fails", "morning", "still", "only", "night", "sync works"]
    for number in range(14):
        title = " ".join(rng.choice(vocabulary + filler) for _ in range(rng.randint(2, 6)))
        thread = make.thread(title=title.capitalize(),
                             body=" ".join(rng.choice(vocabulary + filler) for _ in range(rng.randint(1, 60))))
        for _ in range(rng.randint(0, 6)):
            make.post(thread, body=" ".join(rng.choice(vocabulary + filler * 3)
                                            for _ in range(rng.randint(1, 40 if number % 2 else 3))))


@pytest.mark.parametrize("query", ["sync", "router battery", '"sync works"', "refund OR invoice", "cable -printer"])
def test_ranking_the_openings_first_finds_the_same_page(forum, find, search_backend, monkeypatch, query):
    """Above PostgresSearch.FEW hits the openings are ranked first; the page, its order and the count are
    those of ranking every hit, and the shortcut is taken when the bound allows it."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's ranking")
    every = find(query)
    monkeypatch.setattr(PostgresSearch, "FEW", 0)
    taken = []
    original = PostgresSearch._top_openings

    def spy(self, *args):
        found = original(self, *args)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(PostgresSearch, "_top_openings", spy)
    shortcut = find(query)
    assert [item["id"] for item in shortcut["items"]] == [item["id"] for item in every["items"]]
    assert shortcut["total"] == every["total"] > 0
    assert taken, "the shortcut was not tried"


def test_the_shortcut_is_taken_when_titles_hold_the_word(make, find, search_backend, monkeypatch, app):
    """Enough openings with the word in their titles: the page comes from the openings alone, and a reply
    that says the word many times still ranks below them (as when every hit is ranked)."""
    if search_backend != "postgres":
        pytest.skip("the postgres backend's ranking")
    for n in range(3):
        thread = make.thread(title=f"Router question {n}", body="It restarts at night.")
        make.post(thread, body="router " * 30)
    monkeypatch.setattr(PostgresSearch, "FEW", 0)
    every_rank = []
    original = PostgresSearch._top_openings

    def spy(self, *args):
        found = original(self, *args)
        every_rank.append(found)
        return found

    monkeypatch.setattr(PostgresSearch, "_top_openings", spy)
    app.config["SEARCH_PER_PAGE"], per_page = 3, app.config["SEARCH_PER_PAGE"]
    try:
        body = find("router")
    finally:
        app.config["SEARCH_PER_PAGE"] = per_page
    assert every_rank and every_rank[0] is not None, "the bound should let the openings answer"
    assert [item["thread"]["title"] for item in body["items"]] == [f"Router question {n}" for n in range(3)]
    assert [item["number"] for item in body["items"]] == [1, 1, 1]  # the replies saying it 30 times: below
    assert body["total"] == 6
