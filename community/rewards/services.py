"""Reward points and rewards: earn, redeem, refund, grant; staff define rewards and coupon codes.

Points move `members.points` with conditional SQL in the same transaction as their ledger row:
spending is `points = points - cost WHERE points >= cost`, checked by rowcount, so two requests can
never spend the same points; stock is `stock = stock - 1 WHERE stock > 0`, so a reward is never
oversold; a coupon code is claimed with `... WHERE claimed_at IS NULL`, so no code goes out twice.
Services flush and signal; the caller commits (and rolls back when a service raises).

How points are earned (the site setting `rewards.points_per_reputation` points per reputation point, 1 by
default; admins change it at /admin/gamification/points, for new reputation only): once for
each upvote a post receives from a member, once for each accepted answer, and once for each badge that
carries reputation. Points are never taken back when a vote is withdrawn; in return, withdrawing
and voting again earns nothing new (each source pays once), so votes cannot be cycled into points.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from .. import dbbatch, settings
from ..dbtypes import utcnow
from ..errors import Conflict, NotPermitted, ValidationFailed
from ..extensions import db
from ..members import counters
from ..members.models import Member
from ..notifications.services import notify
from ..permissions import can_grant_to, can_manage_rewards, can_redeem_reward
from ..reputation.models import ReputationEntry, ReputationReason
from ..reputation.services import badge_points, checked_by_hand, flush_entries, insert_once
from ..signals import reward_redeemed
from ..web import Page, paginate
from .models import PointsEntry, PointsReason, Redemption, RedemptionStatus, Reward, RewardCode, RewardKind

MAX_COST = 1_000_000
MAX_STOCK = 1_000_000
MAX_GRANT = 100_000
MAX_CODES_PER_SAVE = 5_000
MAX_POINTS_PER_REPUTATION = 1000

# Points paid per reputation point earned (0 turns earning off; staff grants still work).
POINTS_PER_REPUTATION = settings.declare(
    "rewards.points_per_reputation", 1, int,
    check=lambda v: None if 0 <= v <= MAX_POINTS_PER_REPUTATION else f"from 0 to {MAX_POINTS_PER_REPUTATION}")


class OutOfStock(Conflict):
    code = "out_of_stock"


class NotEnoughPoints(Conflict):
    code = "insufficient_points"


class LimitReached(Conflict):
    code = "limit_reached"


# ---- points --------------------------------------------------------------------------------

def _move_points(member_id: int, delta: int, reason: PointsReason, **fields) -> PointsEntry:
    entry = PointsEntry(member_id=member_id, delta=delta, reason=reason, created_at=utcnow(), **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def _source(entry: ReputationEntry) -> str | None:
    if entry.reason is ReputationReason.upvote_received and entry.post_id and entry.actor_id:
        return f"vote:{entry.post_id}:{entry.actor_id}"
    if entry.reason is ReputationReason.answer_accepted and entry.post_id:
        return f"answer:{entry.post_id}"
    if entry.reason is ReputationReason.badge and entry.badge_id:
        return f"badge:{entry.badge_id}"
    return None


def points_rates() -> dict:
    """Return the points earned now per upvote, accepted answer and silver and gold badge, and the rate."""
    rate = POINTS_PER_REPUTATION.value
    return {"rate": rate, "upvote": settings.get("reputation.points.upvote") * rate,
            "answer": settings.get("reputation.points.accepted_answer") * rate,
            "silver": badge_points("silver") * rate, "gold": badge_points("gold") * rate}


def earn_points(entry: ReputationEntry, *, load: bool = True) -> PointsEntry | None:
    """Pay points for positive reputation, once per source (vote, accepted answer, badge).

    Returns the new points entry (None when nothing was paid); with `load=False` nothing is read back.
    """
    rate = POINTS_PER_REPUTATION.value
    source = _source(entry)
    if entry.delta <= 0 or not rate or source is None:
        return None
    amount = int(entry.delta * rate)
    if amount <= 0:
        return None
    pending = db.session().info.get(POINTS)
    if pending is None and entry.id is None:
        flush_entries()  # an entry of a batch of ledger entries, paid at once: it needs its id first
    values = {"member_id": entry.member_id, "delta": amount, "reason": PointsReason.earned, "source": source,
              "reputation_entry_id": entry.id, "note": "", "created_at": utcnow()}
    if pending is not None:  # in a batch: paid with the batch's others, if the source has not paid (`flush_points`)
        pending.append((entry, values))
        return None
    entry_id = insert_once(PointsEntry, values, ["member_id", "source"])
    if entry_id is None:
        return None  # this source has paid already
    counters.move(entry.member_id, points=amount)  # at once, or once per member at the end of a drain batch
    return db.session.get(PointsEntry, entry_id) if load else None


# ---- points earned within a batch of vote effects --------------------------------------------------
# Inside `points_batched()` (the vote effects drain, community/votes/effects.py) `earn_points` writes nothing at
# once: the batch's earnings are written when it ends (`flush_points`), after the reputation entries they cite
# (reputation.services.flush_entries gives those their ids), by one INSERT .. ON CONFLICT DO NOTHING, each
# source paying once as ever: the first of the batch's earnings from a source is the one offered, and a source
# that paid before inserts nothing. Member.points moves by what was inserted (members/counters.py).
POINTS = "community.points_entries_pending"  # session.info: [(reputation entry, points values)] while batched


def points_batched():
    """Write the points earned inside in one INSERT when the block ends without an error."""
    return dbbatch.pending(POINTS, list, flush_points)


def flush_points() -> None:
    """Write the batch's pending earnings, once per source, and move the members' points by what was paid."""
    session = db.session()
    pending = session.info.get(POINTS)
    if not pending:
        return
    batch = list(pending)
    pending.clear()
    flush_entries()  # the reputation entries cited get their ids
    offered, rows = set(), []
    for entry, values in batch:
        if (values["member_id"], values["source"]) not in offered:  # a source pays once: its first earning
            offered.add((values["member_id"], values["source"]))
            rows.append(dict(values, reputation_entry_id=entry.id))
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        paid = [(row["member_id"], row["delta"]) for row in rows
                if insert_once(PointsEntry, row, ["member_id", "source"]) is not None]
    else:
        stmt = _EARN_ONCE.get(dialect)
        if stmt is None:
            table = PointsEntry.__table__
            stmt = _EARN_ONCE[dialect] = (
                (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
                .on_conflict_do_nothing(index_elements=["member_id", "source"])
                .returning(table.c.member_id, table.c.delta))
        paid = session.execute(stmt, rows).all()
    for member_id, delta in paid:
        counters.move(member_id, points=delta)  # at once, or once per member at the end of a drain batch


_EARN_ONCE: dict = {}  # dialect name -> the batch's INSERT .. ON CONFLICT DO NOTHING, built once


def grant_points(staff: Member, member: Member, amount, note: str) -> PointsEntry:
    """Let staff give points by hand (or take them, with a negative amount, never below zero)."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may grant points."))
    if not can_grant_to(staff, member):
        message = _l("You cannot give points to yourself; ask an administrator.")
        raise NotPermitted(message, {"username": message})
    amount, note = checked_by_hand(amount, note, field="amount", limit=MAX_GRANT,
                                   example=_l("Enter a whole number, e.g. 100 or -50."))
    moved = db.session.execute(update(Member).where(Member.id == member.id, Member.points + amount >= 0)
                               .values(points=Member.points + amount)).rowcount
    if moved != 1:
        raise NotEnoughPoints(_l("%(name)s does not have that many points to take.", name=member.name),
                              {"amount": _l("More than the member has.")})
    return _move_points(member.id, amount, PointsReason.staff_grant, actor_id=staff.id, note=note)


# ---- redeeming -----------------------------------------------------------------------------

@dataclass
class Shipping:
    """Where a reward that needs shipping goes, as the member typed it."""

    name: str = ""
    address: str = ""
    phone: str = ""


PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")


def check_shipping(shipping: Shipping | None) -> dict[str, str]:
    """Return the tidied shipping fields, or raise ValidationFailed naming each field to correct."""
    shipping = shipping or Shipping()
    name = " ".join((shipping.name or "").split())
    address = "\n".join(line.strip() for line in (shipping.address or "").strip().splitlines() if line.strip())
    phone = " ".join((shipping.phone or "").split())
    problems = {}
    if not 2 <= len(name) <= 120:
        problems["shipping_name"] = _l("The name to send it to: 2 to 120 characters.")
    if not 10 <= len(address) <= 500:
        problems["shipping_address"] = _l("The full postal address: 10 to 500 characters.")
    if not PHONE.match(phone):
        problems["shipping_phone"] = _l("A phone number for the courier, e.g. +86 138 0000 0000.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    return {"shipping_name": name, "shipping_address": address, "shipping_phone": phone}


def redeem(member: Member, reward_id: int, shipping: Shipping | None = None) -> Redemption:
    """Spend points on a reward: one unit of stock, the cost in points and (for coupons) one code, or nothing.

    A reward that needs shipping takes the member's name, address and phone (checked before anything moves).
    """
    reward = db.session.get(Reward, reward_id)
    if reward is None or not can_redeem_reward(member, reward):
        raise NotPermitted(_l("This reward is not on offer."))
    address = check_shipping(shipping) if reward.needs_shipping else {}
    # 1. Take one unit of stock; the row stays locked until commit, so redemptions of one reward queue here.
    taken = db.session.execute(
        update(Reward).where(Reward.id == reward_id, Reward.active.is_(True), Reward.stock > 0)
        .values(stock=Reward.stock - 1, redeemed_count=Reward.redeemed_count + 1)
        .returning(Reward.cost).execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        raise OutOfStock(_l("Sorry, %(name)s is out of stock.", name=reward.name))
    cost = taken.cost  # the price at this moment, read under the lock
    # 2. Spend the points, only if the member has them.
    spent = db.session.execute(
        update(Member).where(Member.id == member.id, Member.points >= cost)
        .values(points=Member.points - cost).execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise NotEnoughPoints(_l("You need %(cost)d points for this reward.", cost=cost))
    # 3. The per-member limit, counted while this member's row is locked by the update above: a parallel
    #    redemption by the same member has either committed (and is counted) or waits for this one.
    limit = db.session.scalar(select(Reward.per_member_limit).where(Reward.id == reward_id))
    if limit is not None:
        held = db.session.scalar(select(func.count()).select_from(Redemption).where(
            Redemption.member_id == member.id, Redemption.reward_id == reward_id,
            Redemption.status != RedemptionStatus.cancelled))
        if held >= limit:
            raise LimitReached(_l("You have already redeemed %(name)s as often as one member may.", name=reward.name))
    redemption = Redemption(member_id=member.id, reward_id=reward_id, cost=cost, created_at=utcnow(),
                            status=RedemptionStatus.pending, **address)
    db.session.add(redemption)
    db.session.flush()
    # 4. A coupon with a code list hands out exactly one unclaimed code.
    if reward.uses_codes:
        code = _claim_code(reward_id, redemption)
        if code is None:  # stock said yes but the codes ran out (staff raised the stock by hand)
            raise OutOfStock(_l("Sorry, %(name)s is out of stock.", name=reward.name))
        redemption.code = code
    if reward.kind is RewardKind.coupon:
        redemption.status, redemption.handled_at = RedemptionStatus.fulfilled, utcnow()
    _move_points(member.id, -cost, PointsReason.redeemed, redemption_id=redemption.id, note=reward.name[:255])
    db.session.flush()
    db.session.expire(member, ["points"])
    db.session.expire(reward, ["stock", "redeemed_count"])
    reward_redeemed.send(redemption, member=member, reward=reward)
    return redemption


def _claim_code(reward_id: int, redemption: Redemption) -> str | None:
    for _attempt in range(3):
        candidate = select(RewardCode.id).where(RewardCode.reward_id == reward_id, RewardCode.claimed_at.is_(None))
        if db.session.get_bind().dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        code_id = db.session.scalar(candidate.order_by(RewardCode.id).limit(1))
        if code_id is None:
            return None
        # Conditional: if someone claimed it between the read and this write, nothing changes; try again.
        claimed = db.session.execute(
            update(RewardCode).where(RewardCode.id == code_id, RewardCode.claimed_at.is_(None))
            .values(claimed_at=utcnow(), redemption_id=redemption.id).returning(RewardCode.code)
            .execution_options(synchronize_session=False)
        ).scalar()
        if claimed is not None:
            return claimed
    return None


def cancel_redemption(staff: Member, redemption: Redemption, note: str = "") -> Redemption:
    """Cancel a redemption: refund the points and, for gifts and coupons without codes, restock."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may handle redemptions."))
    changed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status != RedemptionStatus.cancelled)
        .values(status=RedemptionStatus.cancelled, handled_at=utcnow(), handled_by_id=staff.id,
                note=" ".join((note or "").split())[:255])
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(_l("This redemption was cancelled already."))
    _refund(redemption, actor_id=staff.id)
    _notify(redemption, "cancelled")
    return redemption


def cancel_my_redemption(member: Member, redemption: Redemption) -> Redemption:
    """Let the member take back their own redemption while staff have not handed it over; refund at once.

    Conditional on `pending` in one UPDATE: a second click, or staff fulfilling it at the same moment, finds
    nothing to change and gets a clear error; the refund and restock are atomic SQL increments.
    """
    if redemption.member_id != member.id:
        raise NotPermitted(_l("This is not your redemption."))
    changed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.pending)
        .values(status=RedemptionStatus.cancelled, handled_at=utcnow(), handled_by_id=member.id,
                note="")
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        status = db.session.scalar(select(Redemption.status).where(Redemption.id == redemption.id))
        if status is RedemptionStatus.cancelled:
            raise Conflict(_l("This redemption was cancelled already."))
        raise Conflict(_l("Staff have handed this over already, so it can no longer be cancelled."))
    _refund(redemption, actor_id=None)
    db.session.expire(member, ["points"])
    return redemption


def _refund(redemption: Redemption, actor_id: int | None) -> None:
    reward = redemption.reward
    if not reward.uses_codes:  # a handed-out code stays spent; everything else goes back on the shelf
        db.session.execute(update(Reward).where(Reward.id == reward.id).values(stock=Reward.stock + 1)
                           .execution_options(synchronize_session=False))
    db.session.execute(update(Member).where(Member.id == redemption.member_id)
                       .values(points=Member.points + redemption.cost).execution_options(synchronize_session=False))
    _move_points(redemption.member_id, redemption.cost, PointsReason.refund, redemption_id=redemption.id,
                 actor_id=actor_id, note=reward.name[:255])
    db.session.expire(redemption)
    db.session.expire(reward, ["stock"])


def fulfil_redemption(staff: Member, redemption: Redemption) -> Redemption:
    """Mark a pending gift as handed over."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may handle redemptions."))
    changed = db.session.execute(
        update(Redemption).where(Redemption.id == redemption.id, Redemption.status == RedemptionStatus.pending)
        .values(status=RedemptionStatus.fulfilled, handled_at=utcnow(), handled_by_id=staff.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict(_l("Only a pending redemption can be marked as handed over."))
    db.session.expire(redemption)
    _notify(redemption, "fulfilled")
    return redemption


def _notify(redemption: Redemption, what: str) -> None:
    member = db.session.get(Member, redemption.member_id)
    notify(member, "reward", data={"what": what, "reward": redemption.reward.name, "url": "/rewards/mine"})


# ---- staff: defining rewards ---------------------------------------------------------------

CODE_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class RewardInput:
    name: str
    description: str = ""
    kind: str = "gift"
    cost: object = None
    stock: object = None
    active: bool = True
    codes: str = ""
    per_member_limit: object = None  # blank: no limit
    needs_shipping: bool = False


def _whole(value, field: str, low: int, high: int, problems: dict, message) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        problems[field] = message
        return None
    if number < low or number > high:
        problems[field] = message
        return None
    return number


def _check(data: RewardInput, existing: Reward | None) -> tuple[dict, dict, list[str]]:
    problems: dict = {}
    name = " ".join((data.name or "").split())
    if not 2 <= len(name) <= 120:
        problems["name"] = _l("A name of 2 to 120 characters.")
    description = (data.description or "").strip()
    if len(description) > 2000:
        problems["description"] = _l("At most %(n)d characters.", n=2000)
    if data.kind not in {k.value for k in RewardKind}:
        problems["kind"] = _l("Choose coupon or gift.")
    cost = _whole(data.cost, "cost", 1, MAX_COST, problems, _l("A whole number of points from 1 to %(n)d.", n=MAX_COST))
    codes = list(dict.fromkeys(c for c in CODE_SPLIT.split(data.codes or "") if c))
    if codes and data.kind != RewardKind.coupon.value:
        problems["codes"] = _l("Only coupons have codes.")
    elif any(len(c) > 128 for c in codes):
        problems["codes"] = _l("A code may have at most 128 characters.")
    elif len(codes) > MAX_CODES_PER_SAVE:
        problems["codes"] = _l("At most %(n)d codes at a time.", n=MAX_CODES_PER_SAVE)
    uses_codes = bool(codes) or (existing is not None and existing.uses_codes)
    if data.kind == RewardKind.coupon.value and not uses_codes and "codes" not in problems:
        problems["codes"] = _l("A coupon hands out codes: add at least one, one per line.")
    stock = None
    if not uses_codes:
        stock = _whole(data.stock, "stock", 0, MAX_STOCK, problems, _l("A whole number from 0 to %(n)d.", n=MAX_STOCK))
    limit = None
    if str(data.per_member_limit or "").strip():
        limit = _whole(data.per_member_limit, "per_member_limit", 1, MAX_STOCK, problems,
                       _l("Leave empty for no limit, or a whole number from 1 to %(n)d.", n=MAX_STOCK))
    values = {"name": name, "description": description, "per_member_limit": limit, "kind": RewardKind(data.kind) if "kind" not in problems else None,
              "cost": cost, "active": bool(data.active), "uses_codes": uses_codes,
              "needs_shipping": bool(data.needs_shipping)}
    if stock is not None:
        values["stock"] = stock
    return problems, values, codes


def _add_codes(reward_id: int, codes: list[str]) -> int:
    existing = set(db.session.scalars(select(RewardCode.code).where(RewardCode.reward_id == reward_id,
                                                                    RewardCode.code.in_(codes)))) if codes else set()
    new = [c for c in codes if c not in existing]
    now = utcnow()
    db.session.add_all(RewardCode(reward_id=reward_id, code=c, created_at=now) for c in new)
    db.session.flush()
    return len(new)


def _stock_from_codes(reward_id: int) -> None:
    # For coupons with codes the stock is the number of unclaimed codes, counted in SQL.
    unclaimed = (select(func.count()).select_from(RewardCode)
                 .where(RewardCode.reward_id == reward_id, RewardCode.claimed_at.is_(None)).scalar_subquery())
    db.session.execute(update(Reward).where(Reward.id == reward_id).values(stock=unclaimed)
                       .execution_options(synchronize_session=False))


def create_reward(staff: Member, data: RewardInput) -> Reward:
    """Define a new reward (with its coupon codes, if any)."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may define rewards."))
    problems, values, codes = _check(data, None)
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    reward = Reward(**values, created_by_id=staff.id, created_at=utcnow())
    if reward.uses_codes:
        reward.stock = 0
    db.session.add(reward)
    db.session.flush()
    if codes:
        _add_codes(reward.id, codes)
        _stock_from_codes(reward.id)
        db.session.expire(reward, ["stock"])
    return reward


def update_reward(staff: Member, reward: Reward, data: RewardInput) -> Reward:
    """Change a reward; new codes are added to its list (codes already handed out stay as they were)."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may define rewards."))
    problems, values, codes = _check(data, reward)
    if reward.uses_codes and values.get("kind") is RewardKind.gift:
        problems["kind"] = _l("A coupon with codes stays a coupon.")
    if problems:
        raise ValidationFailed(_l("Please correct the marked fields."), problems)
    stock = values.pop("stock", None)
    for key, value in values.items():
        setattr(reward, key, value)
    reward.updated_at = utcnow()
    db.session.flush()
    if stock is not None:
        # Set in SQL against the row, not from a value read earlier (a redemption may be in flight).
        db.session.execute(update(Reward).where(Reward.id == reward.id).values(stock=stock)
                           .execution_options(synchronize_session=False))
    if reward.uses_codes:
        if codes:
            _add_codes(reward.id, codes)
        _stock_from_codes(reward.id)
    db.session.expire(reward, ["stock"])
    return reward


def set_reward_active(staff: Member, reward: Reward, active: bool) -> Reward:
    """Offer a reward to members again, or stop offering it (redemptions already made stay)."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may define rewards."))
    reward.active, reward.updated_at = bool(active), utcnow()
    db.session.flush()
    return reward


def delete_reward(staff: Member, reward: Reward) -> None:
    """Delete a reward nobody has redeemed (with its unused codes); one with redemptions can only be withdrawn."""
    if not can_manage_rewards(staff):
        raise NotPermitted(_l("Only staff may define rewards."))
    if db.session.scalar(select(func.count()).select_from(Redemption).where(Redemption.reward_id == reward.id)):
        raise Conflict(_l("Members have redeemed this reward: stop offering it instead, so their redemptions stay."))
    db.session.execute(delete(RewardCode).where(RewardCode.reward_id == reward.id))
    db.session.delete(reward)
    db.session.flush()


# ---- reading -------------------------------------------------------------------------------

def offered_rewards() -> list[Reward]:
    """Return the active rewards, cheapest first."""
    return db.session.scalars(select(Reward).where(Reward.active.is_(True)).order_by(Reward.cost, Reward.id)
                              .limit(200)).all()


def all_rewards() -> list[Reward]:
    return db.session.scalars(select(Reward).order_by(Reward.active.desc(), Reward.cost, Reward.id).limit(500)).all()


def redeemed_total(reward: Reward) -> int:
    """Return how many redemptions (any status) a reward has."""
    return int(db.session.scalar(select(func.count()).select_from(Redemption).where(Redemption.reward_id == reward.id))
               or 0)


def code_counts(reward_ids) -> dict[int, tuple[int, int]]:
    """Return {reward id: (codes, unclaimed)} for the given rewards (one grouped query)."""
    if not reward_ids:
        return {}
    rows = db.session.execute(select(RewardCode.reward_id, func.count(), func.count(RewardCode.claimed_at))
                              .where(RewardCode.reward_id.in_(list(reward_ids))).group_by(RewardCode.reward_id))
    return {reward_id: (total, total - claimed) for reward_id, total, claimed in rows}


def redeemed_counts(member) -> dict[int, int]:
    """Return {reward id: redemptions not cancelled} for a member (one grouped query; {} for guests)."""
    if not getattr(member, "is_authenticated", False):
        return {}
    rows = db.session.execute(select(Redemption.reward_id, func.count()).where(
        Redemption.member_id == member.id, Redemption.status != RedemptionStatus.cancelled)
        .group_by(Redemption.reward_id))
    return {reward_id: count for reward_id, count in rows}


def last_shipping(member: Member) -> Shipping:
    """Return where the member last asked a reward to be sent (to fill in the next form), or blanks."""
    row = db.session.execute(select(Redemption.shipping_name, Redemption.shipping_address, Redemption.shipping_phone)
                             .where(Redemption.member_id == member.id, Redemption.shipping_address != "")
                             .order_by(Redemption.id.desc()).limit(1)).first()
    return Shipping(*row) if row else Shipping()


def member_redemptions(member: Member, limit: int = 200) -> list[Redemption]:
    return db.session.scalars(select(Redemption).where(Redemption.member_id == member.id)
                              .options(joinedload(Redemption.reward))
                              .order_by(Redemption.created_at.desc(), Redemption.id.desc()).limit(limit)).all()


def points_history(member: Member, page: int = 1, per_page: int = 50) -> Page:
    query = (select(PointsEntry).where(PointsEntry.member_id == member.id)
             .options(joinedload(PointsEntry.actor))
             .order_by(PointsEntry.created_at.desc(), PointsEntry.id.desc()))
    count = select(func.count()).select_from(PointsEntry).where(PointsEntry.member_id == member.id)
    return paginate(query, page, per_page, count=count)


def redemptions(status: str | None = None, page: int = 1, per_page: int = 50) -> Page:
    """Return every member's redemptions for staff, newest first, optionally of one status."""
    query = (select(Redemption).options(joinedload(Redemption.reward), joinedload(Redemption.member),
                                        joinedload(Redemption.handled_by))
             .order_by(Redemption.created_at.desc(), Redemption.id.desc()))
    count = select(func.count()).select_from(Redemption)
    if status:
        query = query.where(Redemption.status == RedemptionStatus(status))
        count = count.where(Redemption.status == RedemptionStatus(status))
    return paginate(query, page, per_page, count=count)


def points_ledger_total(member_id: int) -> int:
    """Return the sum of a member's points ledger (equal to Member.points)."""
    flush_points()
    return int(db.session.scalar(select(func.coalesce(func.sum(PointsEntry.delta), 0))
                                 .where(PointsEntry.member_id == member_id)) or 0)

