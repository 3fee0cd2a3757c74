"""Letter avatars: the member's initial (Chinese too) on a stable colour with AA contrast, a chosen colour,
and a neutral placeholder for former members."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from community.avatars.markup import PALETTE, avatar, colour_of, initial
from community.extensions import db
from community.members.services import update_profile

CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "site.css"


def _contrast_with_white(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_every_palette_colour_in_the_stylesheet_gives_the_white_letter_aa_contrast():
    css = CSS.read_text()
    for index, colour in enumerate(PALETTE):
        assert f".avatar-c{index} {{ background:{colour}; }}" in css
        assert _contrast_with_white(colour) >= 4.5, colour


@pytest.mark.parametrize("name, letter", [("ann", "A"), ("王小明", "王"), ("  élodie", "É"), ("_x", "X"),
                                          ("42club", "4"), ("", "?")])
def test_the_initial_is_the_first_letter_of_the_name(name, letter):
    assert initial(name) == letter


def test_a_chinese_display_name_gets_its_first_character_on_a_stable_colour(app, client, make):
    member = make.member("wang")
    update_profile(member, display_name="王小明", bio="", locale=None)
    db.session.commit()
    thread = make.thread(author=member)
    page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    expected = f'<span class="avatar avatar-40 avatar-letter avatar-c{colour_of(member)}" aria-hidden="true">王</span>'
    assert expected in page
    assert client.get(f"/t/{thread.id}").get_data(as_text=True).count(expected) == 1  # same colour every time
    colours = {colour_of(make.member()) for _ in range(12)}
    assert len(colours) >= 6  # members are spread over the palette


def test_a_member_chooses_the_colour_of_their_letter_avatar(client, auth, make):
    member = make.member("cleo")
    auth.login(member)
    response = client.post("/settings/avatar/colour", data={"colour": "7"})
    assert response.status_code == 302
    assert 'class="avatar avatar-96 avatar-letter avatar-c7"' in client.get("/u/cleo").get_data(as_text=True)
    assert client.post("/settings/avatar/colour", data={"colour": "12"}).status_code == 422
    client.post("/settings/avatar/colour", data={"colour": ""})
    db.session.expire_all()
    assert f"avatar-c{colour_of(member)}" in client.get("/u/cleo").get_data(as_text=True)


def test_former_members_get_a_neutral_placeholder(app, client, auth, make):
    gone = make.member("leaving")
    thread = make.thread(author=gone)
    auth.login(gone)
    client.post("/settings/delete-account", data={"password": make.PASSWORD})
    page = app.test_client().get(f"/t/{thread.id}").get_data(as_text=True)
    head = re.search(r'<header class="post-head">(.*?)</header>', page, re.S).group(1)
    assert 'avatar-gone' in head and "avatar-letter" not in head and "data-usercard" not in head
    with app.test_request_context():
        assert "avatar-gone" in avatar(None)


def test_sizes_snap_to_those_the_stylesheet_has(app, make):
    member = make.member()
    with app.test_request_context():
        assert "avatar-32 " in avatar(member, 30) and "avatar-128 " in avatar(member, 999)
        assert "avatar-32 " in avatar(member, "nonsense")
