"""The reward pages' query count does not grow with the rewards and redemptions; bad page numbers are
clear errors."""
from __future__ import annotations

import pytest

from community.extensions import db as _db
from community.rewards import services
from tests.community.rewards.conftest import give, reward

# ---- query budgets -------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 12])
def test_reward_pages_query_count_does_not_grow(client, auth, staff, make, count_queries, n):
    ann = make.member("ann")
    give(ann, 10_000, staff)
    for i in range(n):
        gift = reward(staff, f"Gift {i}", cost=10, stock=5, limit=None)
        services.redeem(ann, gift.id)
        _db.session.commit()
    auth.login(ann)
    for url, budget in (("/rewards", 8), ("/rewards/mine", 10)):  # +1: unread conversations in the header; +1: the header's Boards menu (site.nav_boards)
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        assert len(statements) <= budget, (url, "\n".join(statements))
    auth.logout()
    auth.login(staff)
    for url in ("/rewards/manage", "/rewards/manage/redemptions"):
        with count_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200 and response.get_data(as_text=True).count("Gift ") >= n
        assert len(statements) <= 9, (url, "\n".join(statements))  # +1: the boards of the header's Boards menu (site.nav_boards)


@pytest.mark.parametrize("url,status", [("/rewards/mine?page=0", 400), ("/rewards/mine?page=x", 400),
                                        ("/rewards/mine?page=7", 404)])
def test_bad_page_numbers_are_clear_errors(client, auth, make, url, status):
    auth.login(make.member("ann"))
    assert client.get(url).status_code == status
