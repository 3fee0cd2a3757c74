"""Search engines: robots.txt keeps them out of private areas and points at the sitemap; the sitemap index
and each of its pages list only what a guest may read, paged for large communities."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from sqlalchemy import select

from community.extensions import db
from community.forum import services as forum
from community.forum.models import Post

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _xml(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"].startswith("application/xml")
    assert "max-age" in response.headers["Cache-Control"]
    return ET.fromstring(response.data)


def _all_urls(client) -> list[str]:
    index = _xml(client, "/sitemap.xml")
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    urls = []
    for loc in index.findall("s:sitemap/s:loc", NS):
        page = _xml(client, loc.text.removeprefix("http://localhost"))
        urls += [u.text for u in page.findall("s:url/s:loc", NS)]
    return urls


def test_robots_txt_keeps_crawlers_out_of_private_areas_and_names_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain")
    text = response.get_data(as_text=True)
    for path in ("/admin", "/crm", "/settings", "/messages", "/search", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert "Sitemap: http://localhost/sitemap.xml" in text


def test_the_sitemap_lists_public_boards_and_threads_only(client, make):
    author = make.member("map_ann")
    public = make.board("open-talk")
    members = make.board("lounge", visibility="members")
    staff = make.board("staff-room", visibility="staff")
    shown = forum.start_thread(author, public, "A public question", "Everyone may read this.")
    gone = forum.start_thread(author, public, "Withdrawn question", "Deleted by its author.")
    lounge = forum.start_thread(author, members, "Members only", "Lounge talk.")
    secret = forum.start_thread(make.member("map_sue", role="staff"), staff, "Staff plans", "Roadmap.")
    db.session.commit()
    forum.delete_post(author, db.session.scalar(select(Post).where(Post.thread_id == gone.id, Post.number == 1)))
    db.session.commit()
    urls = _all_urls(client)
    assert f"http://localhost/t/{shown.id}" in urls and "http://localhost/b/open-talk" in urls
    for hidden in (gone, lounge, secret):
        assert f"http://localhost/t/{hidden.id}" not in urls
    assert "http://localhost/b/lounge" not in urls and "http://localhost/b/staff-room" not in urls
    entry = client.get("/sitemap-threads-1.xml").get_data(as_text=True)
    assert re.search(rf"<loc>http://localhost/t/{shown.id}</loc><lastmod>\d{{4}}-\d\d-\d\dT", entry)


def test_a_large_community_gets_several_sitemap_pages(app, client, make):
    app.config["SITEMAP_URLS_PER_FILE"] = 3
    try:
        author = make.member("map_bob")
        board = make.board("busy")
        threads = [forum.start_thread(author, board, f"Busy thread {n}", "Words.") for n in range(7)]
        db.session.commit()
        index = _xml(client, "/sitemap.xml")
        pages = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
        assert pages[1:] == [f"http://localhost/sitemap-threads-{n}.xml" for n in (1, 2, 3)]
        urls = _all_urls(client)
        assert sorted(u for u in urls if "/t/" in u) == sorted(f"http://localhost/t/{t.id}" for t in threads)
        assert client.get("/sitemap-threads-4.xml").status_code == 404
    finally:
        app.config["SITEMAP_URLS_PER_FILE"] = 10_000
