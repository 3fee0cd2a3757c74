"""Share buttons on threads: plain links to the networks, a server-drawn WeChat QR code, no third-party script."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import segno

from community.forum.models import Visibility


def _links(html: str) -> dict:
    return {key: href.replace("&amp;", "&") for href, key in
            re.findall(r'<a href="([^"]+)" data-share-network="([a-z]+)"', html)}


def test_a_public_thread_offers_weibo_x_and_facebook_as_plain_links(client, make):
    thread = make.thread(title="Firmware 2.1 fixed my reboots")
    html = client.get(f"/t/{thread.id}").get_data(as_text=True)
    links = _links(html)
    assert set(links) == {"weibo", "twitter", "facebook"}
    weibo = parse_qs(urlsplit(links["weibo"]).query)
    assert urlsplit(links["weibo"]).netloc == "service.weibo.com" and weibo["url"] == [f"http://localhost/t/{thread.id}"]
    assert weibo["title"] == ["Firmware 2.1 fixed my reboots"]
    assert parse_qs(urlsplit(links["twitter"]).query)["text"] == ["Firmware 2.1 fixed my reboots"]
    assert parse_qs(urlsplit(links["facebook"]).query)["u"] == weibo["url"]
    assert 'data-share-network="wechat"' in html and "Copy link" in html
    # nothing from another site runs on the page: every script is this site's own
    assert all(src.startswith("/") for src in re.findall(r'<script[^>]*src="([^"]+)"', html))


def test_the_wechat_qr_code_is_an_svg_of_the_thread_address(client, make):
    thread = make.thread()
    response = client.get(f"/share/thread/{thread.id}/wechat.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert svg.startswith("<svg") and "<path" in svg
    page = client.get(f"/t/{thread.id}", follow_redirects=True).get_data(as_text=True)
    address = re.search(r'data-share-url[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-share-url', page)
    url = next(group for group in address.groups() if group)
    expected = segno.make(url, error="m", micro=False)
    # the same symbol (version and modules) as the thread's address encodes to
    assert f'width="{(expected.symbol_size(scale=5, border=2))[0]}"' in svg


def test_a_members_only_thread_offers_the_link_alone_and_no_qr_code(client, make, auth):
    board = make.board("insiders", visibility=Visibility.members)
    thread = make.thread(board=board, title="Insider preview of the roadmap")
    auth.login(make.member("reader"))
    html = client.get(f"/t/{thread.id}", follow_redirects=True).get_data(as_text=True)
    assert "data-share-url" in html and _links(html) == {} and 'data-share-network="wechat"' not in html
    assert client.get(f"/share/thread/{thread.id}/wechat.svg").status_code == 404
    assert client.get("/share/thread/999999/wechat.svg").status_code == 404
