"""The live preview (the saved post's renderer) and the @member / #tag completions."""
from __future__ import annotations

from community.extensions import db
from community.forum.models import Visibility
from community.forum.services import set_tags


def test_preview_renders_as_the_saved_post_would(client, auth, make):
    make.member("alice")
    auth.login(make.member())
    html = client.post("/api/v1/preview", json={"body": "**hi** @alice @ghost :smile: www.example.com\n\n"
                                                       "<script>alert(1)</script>"}).get_json()["html"]
    assert "<strong>hi</strong>" in html and 'href="/u/alice" class="mention"' in html
    assert "/u/ghost" not in html and "😄" in html and 'href="http://www.example.com"' in html
    assert "<script" not in html


def test_preview_refuses_guests_and_bad_bodies_with_json(client, auth, make):
    assert client.post("/api/v1/preview", json={"body": "x"}).status_code == 401
    auth.login(make.member())
    assert client.post("/api/v1/preview", json={"body": "x" * 20_001}).status_code == 422
    assert client.post("/api/v1/preview", json={"nope": 1}).status_code == 422
    assert client.post("/api/v1/preview", data="{").get_json()["error"]["code"] == "bad_json"


def test_preview_needs_the_csrf_token_in_a_cookie_session(app, client, auth, make):
    auth.login(make.member())
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/api/v1/preview", json={"body": "x"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_member_completion_matches_usernames_and_display_names_chinese_too(client, auth, make):
    make.member("wangxm", display_name="王小明")
    make.member("wanda")
    gone = make.member("wangold")
    gone.deleted_at = gone.created_at
    db.session.commit()
    auth.login(make.member())
    names = [i["username"] for i in client.get("/api/v1/members/suggest?q=wan").get_json()["items"]]
    assert sorted(names) == ["wanda", "wangxm"]
    items = client.get("/api/v1/members/suggest?q=王小").get_json()["items"]
    assert items == [{"username": "wangxm", "name": "王小明"}]
    assert client.get("/api/v1/members/suggest?q=WAND").get_json()["items"][0]["username"] == "wanda"
    assert "email" not in client.get("/api/v1/members/suggest?q=wa").get_data(as_text=True)
    assert client.get("/api/v1/members/suggest?q=").get_json()["items"] == []
    assert client.get("/api/v1/members/suggest?q=%25").get_json()["items"] == []


def test_tag_completion_offers_only_tags_on_threads_the_member_may_read(client, auth, make):
    public = make.thread()
    secret = make.thread(board=make.board(visibility=Visibility.staff))
    set_tags(public, ["router", "routing"])
    set_tags(secret, ["roadmap-secret"])
    db.session.commit()
    assert client.get("/api/v1/tags/suggest?q=ro").status_code == 401
    auth.login(make.member())
    names = [i["name"] for i in client.get("/api/v1/tags/suggest?q=ro").get_json()["items"]]
    assert sorted(names) == ["router", "routing"]

