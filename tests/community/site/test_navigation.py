"""The header a reader finds their way with: Latest, the boards they may read, Roadmap, Leaderboard, Rewards,
then CRM for staff and Review with its count for moderators; the footer with Transparency and the language."""
from __future__ import annotations

import re

from community.moderation.models import ReviewItem, ReviewKind, ReviewStatus


def _nav(page: str) -> str:
    return page[page.index('<header class="site-header">'):page.index("</header>")]


def _labels(nav: str) -> list[str]:
    """The visible words of the header's links and menus, in order (tags and badges dropped)."""
    texts = re.findall(r"<(?:a|summary)\b[^>]*>(.*?)</(?:a|summary)>", nav, re.S)
    return [re.sub(r"\s+\d+$", "", re.sub(r"<[^>]+>", "", t).strip()) for t in texts]


def test_a_guest_finds_the_main_places_in_order_and_the_boards_they_may_read(client, make):
    make.board("lounge", name="Lounge")
    make.board("backstage", name="Backstage", visibility="staff")
    nav = _nav(client.get("/").get_data(as_text=True))
    labels = _labels(nav)
    main = [label for label in labels if label in ("Latest", "Boards", "Roadmap", "Leaderboard", "Rewards")]
    assert main == ["Latest", "Boards", "Roadmap", "Leaderboard", "Rewards"]
    assert labels.index("Boards") < labels.index("Lounge") < labels.index("Roadmap")
    assert 'href="/b/lounge"' in nav and "Backstage" not in nav
    assert 'href="/roadmap"' in nav and 'href="/leaderboard"' in nav and 'href="/rewards"' in nav
    assert "CRM" not in labels and "Review" not in labels


def test_staff_get_the_crm_and_moderators_the_review_queue_with_its_count(client, auth, make, db):
    make.board("backstage", name="Backstage", visibility="staff")
    staff = make.member("staffer", role="staff")
    auth.login(staff)
    labels = _labels(_nav(client.get("/latest").get_data(as_text=True)))
    assert "Backstage" in labels
    assert labels.index("Rewards") < labels.index("CRM") and "Review" not in labels
    auth.logout()

    moderator = make.member("mod", role="moderator")
    reported = [make.member() for _ in range(3)]
    db.session.add_all([ReviewItem(kind=ReviewKind.reported_member, status=ReviewStatus.pending, member_id=m.id)
                        for m in reported])
    db.session.commit()
    auth.login(moderator)
    nav = _nav(client.get("/latest").get_data(as_text=True))
    labels = _labels(nav)
    assert labels.index("Rewards") < labels.index("Review") and "CRM" not in labels
    assert re.search(r'href="/review"[^>]*>Review <span class="badge" data-live-counter="review_queue">3</span>', nav)


def test_the_phone_menu_is_one_details_element_holding_the_whole_navigation(client):
    nav = _nav(client.get("/").get_data(as_text=True))
    menu = nav[nav.index('<details class="nav-menu"'):]
    assert menu.index("<summary") < menu.index(">Latest<") < menu.index("Sign in")
    assert 'src="/static/js/nav.js"' in client.get("/").get_data(as_text=True)


def test_the_footer_offers_transparency_and_the_language_switcher(client):
    page = client.get("/latest").get_data(as_text=True)
    footer = page[page.index('<footer class="site-footer">'):]
    assert 'href="/transparency"' in footer
    assert 'action="/language"' in footer and ">English<" in footer and ">简体中文<" in footer
