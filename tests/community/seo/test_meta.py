"""Sharing a link: threads, boards and profiles carry a description, a canonical address and an Open Graph /
Twitter card a guest may see; private pages, search and settings carry `noindex` and no card at all."""
from __future__ import annotations

import pytest

from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post
from community.moderation.posts import hide_post
from tests.community.seo.conftest import meta_tags, set_logo
from tests.community.uploads.conftest import Uploader, png


@pytest.fixture
def author(make, auth):
    person = make.member("seo_ann")
    person.trust_level = 1
    person.bio = "Builds lanterns from driftwood.\nSecond line stays off the card."
    db.session.commit()
    return person


def _upload_picture(client) -> dict:
    response = Uploader(client)(png(), "lamp.png")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_a_public_thread_shows_its_title_excerpt_and_logo_on_a_shared_link(client, make, author):
    logo = set_logo()
    board = make.board("lanterns", name="Lanterns")
    thread = forum.start_thread(author, board, "Which wick for a storm lantern?",
                                "I tried **cotton** and fibreglass wicks. " + "More words here. " * 30)
    db.session.commit()
    tags = meta_tags(client.get(f"/t/{thread.id}?utm_source=newsletter&fbclid=abc").get_data(as_text=True))
    assert tags["og:title"] == "Which wick for a storm lantern?"
    assert tags["description"].startswith("I tried cotton and fibreglass wicks.") and len(tags["description"]) <= 201
    assert tags["og:description"] == tags["description"] == tags["twitter:description"]
    assert tags["canonical"] == tags["og:url"] == f"http://localhost/t/{thread.id}"  # no tracking parameters
    assert tags["og:type"] == "article" and tags["twitter:card"] == "summary"
    assert tags["og:image"] == f"http://localhost/uploads/{logo}" == tags["twitter:image"]
    assert "robots" not in tags


def test_the_first_public_picture_of_the_opening_post_is_the_card_image(client, make, auth, author):
    auth.login(author)
    picture = _upload_picture(client)
    board = make.board("lanterns")
    thread = forum.start_thread(author, board, "My finished lantern", f"Here it is: ![lamp]({picture['url']})")
    db.session.commit()
    auth.logout()
    tags = meta_tags(client.get(f"/t/{thread.id}").get_data(as_text=True))
    assert tags["og:image"] == "http://localhost" + picture["url"]
    assert tags["twitter:card"] == "summary_large_image"


def test_a_private_board_thread_has_no_card_and_is_not_indexed_even_for_its_readers(client, make, auth, author):
    auth.login(author)
    picture = _upload_picture(client)
    lounge = make.board("lounge", visibility="members")
    thread = forum.start_thread(author, lounge, "Members zqseoprivate plans", f"Secret ![lamp]({picture['url']})")
    db.session.commit()
    response = client.get(f"/t/{thread.id}")
    html = response.get_data(as_text=True)
    tags = meta_tags(html)
    assert tags["robots"] == "noindex"
    assert not any(key.startswith(("og:", "twitter:")) or key in ("description", "canonical") for key in tags)
    assert "no-store" in response.headers["Cache-Control"]  # never kept by a shared cache
    assert "X-Offline-Cache" not in response.headers         # never kept by the service worker
    auth.logout()
    assert client.get(f"/t/{thread.id}").status_code == 404


def test_paged_lists_keep_their_page_in_the_canonical_address(app, client, make, author):
    board = make.board("lanterns", name="Lanterns", description="Everything about lanterns & wicks.")
    per_page = app.config["THREADS_PER_PAGE"]
    for n in range(per_page + 1):
        forum.start_thread(author, board, f"Lantern question {n}", "A question.")
    db.session.commit()
    tags = meta_tags(client.get("/b/lanterns?page=2&sort=latest&utm_campaign=x").get_data(as_text=True))
    assert tags["canonical"] == "http://localhost/b/lanterns?page=2"
    assert tags["description"] == "Everything about lanterns & wicks."
    assert tags["og:title"] == "Lanterns" and tags["og:type"] == "website"
    assert meta_tags(client.get("/b/lanterns?page=1").get_data(as_text=True))["canonical"] == \
        "http://localhost/b/lanterns"


def test_a_profile_card_shows_the_first_bio_line_and_since_when(client, author):
    tags = meta_tags(client.get("/u/seo_ann").get_data(as_text=True))
    assert tags["og:title"] == author.name and tags["og:type"] == "profile"
    assert tags["description"].startswith("Builds lanterns from driftwood. · Member since ")
    assert "Second line" not in tags["description"]
    assert tags["og:image"] == "http://localhost/icons/512.png"  # no logo: the app icon


@pytest.mark.parametrize("path", ["/search?q=lantern", "/settings", "/messages", "/notifications"])
def test_search_settings_and_private_pages_are_not_indexed(client, auth, author, path):
    auth.login(author)
    tags = meta_tags(client.get(path).get_data(as_text=True))
    assert tags.get("robots") == "noindex", path
    assert "og:title" not in tags


def test_a_hidden_opening_post_never_reaches_the_card(client, make, auth, author):
    board = make.board("lanterns")
    thread = forum.start_thread(author, board, "Cheap wicks for sale", "Buy zqseohidden wicks at my shop.")
    db.session.commit()
    opening = db.session.scalar(db.select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    mona = make.member("seo_mona", role="moderator")
    hide_post(mona, opening, "spam")
    db.session.commit()
    assert client.get(f"/t/{thread.id}").status_code == 410  # gone for guests
    auth.login(mona)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "zqseohidden" in page  # the moderator still reads it...
    tags = meta_tags(page)         # ...but no tag of the page carries it, and nothing asks to index it
    assert tags["robots"] == "noindex" and "zqseohidden" not in " ".join(tags.values())
    auth.logout()
    assert "zqseohidden" not in client.get("/sitemap-threads-1.xml").get_data(as_text=True)
