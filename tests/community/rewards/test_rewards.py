"""Rewards: staff define rewards (coupon codes or gifts, stock, point cost, a per-member limit); members
earn points and redeem them; a ledger of every earn and spend; bad input gets a clear error and saves
nothing; and under concurrency (PostgreSQL) no points are spent twice and nothing is oversold."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from community.extensions import db as _db
from community.members.models import Member
from community.qa import services as qa
from community.rewards import services
from community.rewards.models import (PointsEntry, PointsReason, Redemption, RedemptionStatus, Reward, RewardCode,
                                      RewardKind)
from community.signals import reward_redeemed
from community.votes import services as votes
from tests.conftest import csrf_token_from

JSON = {"Accept": "application/json"}


# ---- helpers -------------------------------------------------------------------------------

@pytest.fixture
def staff(make):
    return make.member("staffer", role="staff")


def give(member, amount, staff):
    services.grant_points(staff, member, amount, "Welcome gift")
    _db.session.commit()


def reward(staff, name="Sticker pack", kind="gift", cost=100, stock=5, codes="", limit=None, active=True):
    created = services.create_reward(staff, services.RewardInput(name=name, kind=kind, cost=cost, stock=stock,
                                                                  codes=codes, per_member_limit=limit, active=active))
    _db.session.commit()
    return created


def points(member) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(Member.points).where(Member.id == member.id))


def ledger(member) -> list[tuple[int, PointsReason]]:
    return [(e.delta, e.reason) for e in _db.session.scalars(
        select(PointsEntry).where(PointsEntry.member_id == member.id).order_by(PointsEntry.id))]


def count(model, *where) -> int:
    return _db.session.scalar(select(func.count()).select_from(model).where(*where))


def stock(reward_id) -> int:
    _db.session.expire_all()
    return _db.session.get(Reward, reward_id).stock


def assert_points_match_ledger(*members):
    for member in members:
        assert points(member) == services.points_ledger_total(member.id) >= 0, member.username


def form(**values):
    data = {"name": "Coffee mug", "kind": "gift", "cost": "250", "stock": "10", "codes": "", "per_member_limit": "1",
            "active": "y"}
    data.update(values)
    return {f"reward-{key}": value for key, value in data.items() if value is not None}


# ---- staff define rewards ------------------------------------------------------------------

def test_staff_create_a_reward_that_members_then_see(client, auth, staff, make):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form())
    assert response.status_code == 302
    created = _db.session.scalars(select(Reward)).one()
    assert (created.name, created.kind, created.cost, created.stock, created.per_member_limit) == \
        ("Coffee mug", RewardKind.gift, 250, 10, 1)
    auth.logout()
    page = client.get("/rewards").get_data(as_text=True)
    assert "Coffee mug" in page and "250 points" in page and "10 left" in page and "at most 1 per member" in page


@pytest.mark.parametrize("values,field", [
    ({"cost": "-5"}, "cost"), ({"cost": "0"}, "cost"), ({"cost": "ten"}, "cost"), ({"cost": "99999999"}, "cost"),
    ({"stock": "-1"}, "stock"), ({"stock": "lots"}, "stock"), ({"name": "x"}, "name"), ({"kind": "car"}, "kind"),
    ({"codes": "ABC-1"}, "codes"), ({"kind": "coupon", "codes": ""}, "codes"),
    ({"per_member_limit": "0"}, "per_member_limit"),
    ({"per_member_limit": "-2"}, "per_member_limit")])
def test_bad_reward_input_is_refused_with_a_message_and_saves_nothing(client, auth, staff, values, field):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form(**values))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="reward-{field}-error" class="error" role="alert"' in html
    assert count(Reward) == 0 and count(RewardCode) == 0


def test_service_reports_the_field_at_fault(staff):
    from community.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        services.create_reward(staff, services.RewardInput(name="Mug", cost=-1, stock=-3))
    assert set(caught.value.fields) == {"cost", "stock"}


@pytest.mark.parametrize("role,status", [("member", 403), ("moderator", 403), ("admin", 200), ("staff", 200)])
def test_only_staff_manage_rewards(client, auth, make, role, status):
    auth.login(make.member("someone", role=role))
    assert client.get("/rewards/manage").status_code == status
    assert client.get("/rewards/manage/redemptions").status_code == status
    response = client.post("/rewards/manage", data=form())
    assert response.status_code == (302 if status == 200 else 403)
    assert count(Reward) == (1 if status == 200 else 0)


def test_guests_are_sent_to_sign_in(client, staff):
    gift = reward(staff)
    assert client.get("/rewards/manage").status_code == 302
    response = client.post(f"/rewards/{gift.id}/redeem")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(Redemption) == 0 and stock(gift.id) == 5


def test_coupon_codes_set_the_stock_and_duplicates_are_dropped(client, auth, staff):
    auth.login(staff)
    response = client.post("/rewards/manage", data=form(kind="coupon", stock="", codes="AB-1\nAB-2, AB-2;AB-3"))
    assert response.status_code == 302
    coupon = _db.session.scalars(select(Reward)).one()
    assert coupon.uses_codes and coupon.stock == 3 and count(RewardCode) == 3
    response = client.post(f"/rewards/manage/{coupon.id}", data=form(kind="coupon", stock="", codes="AB-3\nAB-4"))
    assert response.status_code == 302
    assert stock(coupon.id) == 4 and count(RewardCode) == 4


def test_staff_edit_cost_stock_and_limit(client, auth, staff):
    gift = reward(staff)
    auth.login(staff)
    page = client.get(f"/rewards/manage/{gift.id}").get_data(as_text=True)
    assert 'value="Sticker pack"' in page
    response = client.post(f"/rewards/manage/{gift.id}", data=form(name="Sticker pack", cost="80", stock="2",
                                                                     per_member_limit=""))
    assert response.status_code == 302
    _db.session.expire_all()
    edited = _db.session.get(Reward, gift.id)
    assert (edited.cost, edited.stock, edited.per_member_limit) == (80, 2, None)
    bad = client.post(f"/rewards/manage/{gift.id}", data=form(name="Sticker pack", cost="-80", stock="2"))
    assert bad.status_code == 422
    _db.session.expire_all()
    assert _db.session.get(Reward, gift.id).cost == 80


def test_unknown_reward_and_redemption_ids_are_404(client, auth, staff, make):
    auth.login(staff)
    assert client.get("/rewards/manage/999").status_code == 404
    assert client.post("/rewards/manage/999", data=form()).status_code == 404
    assert client.post("/rewards/manage/redemptions/999/fulfil").status_code == 404
    assert client.post("/rewards/manage/redemptions/999/cancel").status_code == 404
    auth.logout()
    auth.login(make.member("ann"))
    assert client.post("/rewards/999/redeem", headers=JSON).status_code == 404
    assert client.post("/rewards/abc/redeem", headers=JSON).status_code == 404


# ---- earning points -----------------------------------------------------------------------

def test_points_are_earned_once_per_upvote_accepted_answer_and_badge(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    for value in (1, 0, 1, -1, 1):  # cycling a vote earns the upvote's points once
        votes.cast_vote(voter, post, value)
        db.session.commit()
    assert ledger(author) == [(10, PointsReason.earned)]
    question = make.thread(board=make.board(kind="question"))
    answer = make.post(question, author=author)
    qa.accept_answer(question.author, answer)
    db.session.commit()
    assert ledger(author)[-1] == (15, PointsReason.earned)
    assert_points_match_ledger(author, voter)


def test_downvotes_cost_reputation_not_points(db, make):
    author, voter = make.member("author"), make.member("voter")
    post = make.post(make.thread(), author=author)
    votes.cast_vote(voter, post, -1)
    db.session.commit()
    assert ledger(author) == [] and points(author) == 0


def test_staff_grant_and_take_points_never_below_zero(client, auth, staff, make):
    ann = make.member("ann")
    auth.login(staff)
    assert client.post("/rewards/manage/grant", data={"grant-username": "ann", "grant-amount": "300",
                                                      "grant-note": "Meetup host"}).status_code == 302
    response = client.post("/rewards/manage/grant", data={"grant-username": "ann", "grant-amount": "-500",
                                                          "grant-note": "Oops"})
    assert response.status_code == 422 and "More than the member has." in response.get_data(as_text=True)
    for bad in ({"grant-username": "nobody", "grant-amount": "5", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "0", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "lots", "grant-note": "x"},
                {"grant-username": "ann", "grant-amount": "5", "grant-note": "  "}):
        assert client.post("/rewards/manage/grant", data=bad).status_code == 422
    assert ledger(ann) == [(300, PointsReason.staff_grant)] and points(ann) == 300
    auth.logout()
    auth.login(make.member("bob"))
    assert client.post("/rewards/manage/grant", data={"grant-username": "bob", "grant-amount": "300",
                                                      "grant-note": "me"}).status_code == 403
    assert_points_match_ledger(ann)


# ---- redeeming -----------------------------------------------------------------------------

def test_redeeming_a_coupon_hands_out_a_code_and_spends_the_points(client, auth, staff, make):
    ann, bob = make.member("ann"), make.member("bob")
    coupon = reward(staff, "10% off", kind="coupon", cost=100, codes="CODE-A\nCODE-B", limit=1)
    give(ann, 250, staff)
    give(bob, 100, staff)
    seen = []

    def listener(redemption, member=None, reward=None, **_):
        seen.append((member.username, reward.name, redemption.code))

    reward_redeemed.connect(listener)
    try:
        auth.login(ann)
        response = client.post(f"/rewards/{coupon.id}/redeem", headers=JSON)
        auth.logout()
        auth.login(bob)
        other = client.post(f"/rewards/{coupon.id}/redeem", headers=JSON)
    finally:
        reward_redeemed.disconnect(listener)
    assert response.status_code == 201 and other.status_code == 201
    mine, theirs = response.json["redemption"], other.json["redemption"]
    assert {mine["code"], theirs["code"]} == {"CODE-A", "CODE-B"}
    assert mine["status"] == "fulfilled" and response.json["points"] == 150
    assert seen == [("ann", "10% off", mine["code"]), ("bob", "10% off", theirs["code"])]
    assert ledger(ann) == [(250, PointsReason.staff_grant), (-100, PointsReason.redeemed)]
    assert stock(coupon.id) == 0 and count(RewardCode, RewardCode.claimed_at.is_(None)) == 0
    assert_points_match_ledger(ann, bob)
    page = client.get("/rewards/mine").get_data(as_text=True)  # bob's page
    assert theirs["code"] in page and "-100" in page and "You have 0 points." in page


def test_redeeming_through_the_form_redirects_to_my_page(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=100)
    give(ann, 100, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem")
    assert response.status_code == 302 and "/rewards/mine" in response.headers["Location"]
    page = client.get("/rewards/mine").get_data(as_text=True)
    assert "Hoodie" in page and "Waiting for staff" in page


def test_out_of_stock_is_a_clear_error_and_spends_nothing(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Rare pin", cost=50, stock=0)
    give(ann, 500, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 409 and response.json["error"]["code"] == "out_of_stock"
    assert "out of stock" in response.json["error"]["message"]
    html = client.post(f"/rewards/{gift.id}/redeem")
    assert html.status_code == 409 and "out of stock" in html.get_data(as_text=True)
    assert points(ann) == 500 and count(Redemption) == 0 and ledger(ann) == [(500, PointsReason.staff_grant)]


def test_not_enough_points_is_a_clear_error_and_takes_no_stock(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=300, stock=2)
    give(ann, 299, staff)
    auth.login(ann)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 409 and response.json["error"]["code"] == "insufficient_points"
    assert stock(gift.id) == 2 and points(ann) == 299 and count(Redemption) == 0
    assert _db.session.get(Reward, gift.id).redeemed_count == 0
    page = client.get("/rewards").get_data(as_text=True)
    assert "You need 1 more points." in page


def test_redeeming_twice_beyond_the_member_limit_is_refused(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "T-shirt", cost=100, stock=5, limit=1)
    give(ann, 500, staff)
    auth.login(ann)
    assert client.post(f"/rewards/{gift.id}/redeem", headers=JSON).status_code == 201
    again = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert again.status_code == 409 and again.json["error"]["code"] == "limit_reached"
    assert points(ann) == 400 and stock(gift.id) == 4 and count(Redemption) == 1
    assert "You have redeemed this as often as one member may." in client.get("/rewards").get_data(as_text=True)


def test_without_a_limit_a_member_may_redeem_again(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Sticker", cost=10, stock=5, limit=None)
    give(ann, 100, staff)
    auth.login(ann)
    for _ in range(3):
        assert client.post(f"/rewards/{gift.id}/redeem", headers=JSON).status_code == 201
    assert points(ann) == 70 and stock(gift.id) == 2


def test_an_inactive_reward_cannot_be_redeemed(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Old mug", active=False)
    give(ann, 500, staff)
    auth.login(ann)
    assert "Old mug" not in client.get("/rewards").get_data(as_text=True)
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 403 and response.json["error"]["message"] == "This reward is not on offer."
    assert points(ann) == 500 and stock(gift.id) == 5


def test_redeem_without_csrf_token_is_refused(app, client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=100)
    give(ann, 100, staff)
    auth.login(ann)
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(f"/rewards/{gift.id}/redeem", headers=JSON)
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf_failed"
    assert points(ann) == 100 and count(Redemption) == 0
    token = csrf_token_from(client.get("/rewards").get_data(as_text=True))
    assert client.post(f"/rewards/{gift.id}/redeem", data={"csrf_token": token}).status_code == 302
    assert points(ann) == 0


def test_create_reward_without_csrf_token_is_refused(app, client, auth, staff):
    auth.login(staff)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/rewards/manage", data=form()).status_code == 400
    assert count(Reward) == 0


# ---- staff handle redemptions --------------------------------------------------------------

def test_staff_fulfil_then_cancel_refunds_once_and_restocks(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, "Hoodie", cost=100, stock=1)
    give(ann, 150, staff)
    services.redeem(ann, gift.id)
    _db.session.commit()
    redemption = _db.session.scalars(select(Redemption)).one()
    auth.login(staff)
    assert "Hoodie" in client.get("/rewards/manage/redemptions?status=pending").get_data(as_text=True)
    client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil")
    _db.session.expire_all()
    assert _db.session.get(Redemption, redemption.id).status is RedemptionStatus.fulfilled
    again = client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil", follow_redirects=True)
    assert "Only a pending redemption" in again.get_data(as_text=True)
    client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel", data={"note": "Out of sizes"})
    twice = client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel", data={"note": "again"},
                        follow_redirects=True)
    assert "cancelled already" in twice.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(Redemption, redemption.id).status is RedemptionStatus.cancelled
    assert points(ann) == 150 and stock(gift.id) == 1
    assert ledger(ann) == [(150, PointsReason.staff_grant), (-100, PointsReason.redeemed), (100, PointsReason.refund)]
    assert client.get("/rewards/manage/redemptions?status=lost").status_code == 400
    assert_points_match_ledger(ann)


def test_a_cancelled_redemption_frees_the_member_limit(staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=10, limit=1)
    give(ann, 100, staff)
    first = services.redeem(ann, gift.id)
    _db.session.commit()
    services.cancel_redemption(staff, first, "wrong size")
    _db.session.commit()
    services.redeem(ann, gift.id)
    _db.session.commit()
    assert count(Redemption, Redemption.status != RedemptionStatus.cancelled) == 1 and points(ann) == 90


def test_members_cannot_handle_redemptions(client, auth, staff, make):
    ann = make.member("ann")
    gift = reward(staff, cost=10)
    give(ann, 10, staff)
    redemption = services.redeem(ann, gift.id)
    _db.session.commit()
    auth.login(ann)
    assert client.post(f"/rewards/manage/redemptions/{redemption.id}/cancel").status_code == 403
    assert client.post(f"/rewards/manage/redemptions/{redemption.id}/fulfil").status_code == 403
    assert points(ann) == 0 and _db.session.get(Redemption, redemption.id).status is RedemptionStatus.pending


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
    for url, budget in (("/rewards", 6), ("/rewards/mine", 8)):
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
        assert len(statements) <= 8, (url, "\n".join(statements))


@pytest.mark.parametrize("url,status", [("/rewards/mine?page=0", 400), ("/rewards/mine?page=x", 400),
                                        ("/rewards/mine?page=7", 404)])
def test_bad_page_numbers_are_clear_errors(client, auth, make, url, status):
    auth.login(make.member("ann"))
    assert client.get(url).status_code == status


# ---- concurrency (PostgreSQL) ---------------------------------------------------------------

def race(app, members, reward_id, tries_each):
    """Let every member try to redeem `tries_each` times at once, each try its own client, session and
    connection; return the HTTP statuses."""
    clients = []
    for member in members:
        for _ in range(tries_each):
            client = app.test_client()
            response = client.post("/login", data={"login": member.username, "password": "correct-horse-battery-9"})
            assert response.status_code == 302
            clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses, errors = [], []

    def run(client):
        try:
            barrier.wait(timeout=60)
            statuses.append(client.post(f"/rewards/{reward_id}/redeem", headers=JSON).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(client,)) for client in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not errors, errors[:3]
    assert len(statuses) == len(clients)
    return statuses


def needs_postgres(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (set TEST_DATABASE_URL)")


@pytest.mark.postgres
def test_concurrent_redemptions_never_oversell_nor_spend_points_twice(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Limited edition", cost=100, stock=5, limit=None)
    members = [make.member(f"racer{n}") for n in range(12)]
    for member in members:
        give(member, 250, staff)  # enough for two each: 24 affordable, 5 in stock
    statuses = race(app, members, gift.id, tries_each=3)  # 36 at once
    assert sorted(statuses) == [201] * 5 + [409] * 31
    _db.session.expire_all()
    final = _db.session.get(Reward, gift.id)
    assert final.stock == 0 and final.redeemed_count == 5 and count(Redemption) == 5
    spent = -_db.session.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.reason == PointsReason.redeemed))
    assert spent == 500
    assert sum(points(m) for m in members) == 12 * 250 - 500
    assert_points_match_ledger(*members)


@pytest.mark.postgres
def test_concurrent_redemptions_by_one_member_spend_only_what_they_have(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Sticker", cost=100, stock=50, limit=None)
    ann = make.member("ann")
    give(ann, 350, staff)
    statuses = race(app, [ann], gift.id, tries_each=12)
    assert sorted(statuses) == [201] * 3 + [409] * 9
    assert points(ann) == 50 and stock(gift.id) == 47 and count(Redemption) == 3
    assert_points_match_ledger(ann)


@pytest.mark.postgres
def test_concurrent_redemptions_respect_the_member_limit(app, db, staff, make):
    needs_postgres(db)
    gift = reward(staff, "Cap", cost=10, stock=100, limit=2)
    members = [make.member(f"capper{n}") for n in range(6)]
    for member in members:
        give(member, 1000, staff)
    statuses = race(app, members, gift.id, tries_each=5)
    assert sorted(statuses) == [201] * 12 + [409] * 18
    held = dict(_db.session.execute(select(Redemption.member_id, func.count()).group_by(Redemption.member_id)).all())
    assert held == {m.id: 2 for m in members}
    assert stock(gift.id) == 88
    assert_points_match_ledger(*members)


@pytest.mark.postgres
def test_concurrent_coupon_redemptions_hand_out_each_code_once(app, db, staff, make):
    needs_postgres(db)
    codes = [f"SAVE-{n:02d}" for n in range(8)]
    coupon = reward(staff, "Voucher", kind="coupon", cost=10, codes="\n".join(codes), limit=1)
    members = [make.member(f"saver{n}") for n in range(20)]
    for member in members:
        give(member, 10, staff)
    statuses = race(app, members, coupon.id, tries_each=1)
    assert sorted(statuses) == [201] * 8 + [409] * 12
    handed = list(_db.session.scalars(select(Redemption.code)))
    assert sorted(handed) == codes  # every code once, none twice
    assert stock(coupon.id) == 0 and count(RewardCode, RewardCode.redemption_id.is_(None)) == 0
    assert_points_match_ledger(*members)


def test_staff_cannot_grant_points_to_themselves_but_an_admin_may_and_it_is_recorded(client, auth, staff, make):
    auth.login(staff)
    response = client.post("/rewards/manage/grant", data={"grant-username": staff.username, "grant-amount": "500",
                                                          "grant-note": "Bonus for me"})
    assert response.status_code == 422 and "cannot give points to yourself" in response.get_data(as_text=True)
    assert ledger(staff) == [] and points(staff) == 0
    # taking is granting too: no moving of one's own balance either way
    assert client.post("/rewards/manage/grant", data={"grant-username": staff.username, "grant-amount": "-1",
                                                      "grant-note": "x"}).status_code == 422
    auth.logout()
    admin = make.member("ada", role="admin")
    auth.login(admin)
    assert client.post("/rewards/manage/grant", data={"grant-username": "ada", "grant-amount": "50",
                                                      "grant-note": "Test of the shop"}).status_code == 302
    entry = _db.session.scalar(select(PointsEntry).where(PointsEntry.member_id == admin.id))
    assert (entry.delta, entry.reason, entry.actor_id, entry.note) == (50, PointsReason.staff_grant, admin.id,
                                                                       "Test of the shop")
    assert_points_match_ledger(admin)
