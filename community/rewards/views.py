"""Reward pages: the catalogue, redeeming, my points, and the staff pages. Thin: load, permission, service, commit."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from ..errors import ServiceError
from ..extensions import db, limiter
from ..forms import submit
from ..members.models import Member, username_key
from ..pages import abort_with, error_response, wants_json
from ..permissions import can_manage_rewards, can_redeem_reward
from ..web import page_arg, paged
from . import services
from .models import Redemption, RedemptionStatus, Reward

bp = Blueprint("rewards", __name__, url_prefix="/rewards")


class RewardForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired()])
    description = TextAreaField(_l("Description"), validators=[Optional()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("gift", _l("Gift (staff hand it over)")),
                                            SelectChoice("coupon", _l("Coupon (a code shown at once)"))])
    cost = StringField(_l("Cost in points"), validators=[InputRequired()])
    stock = StringField(_l("Stock"), validators=[Optional()],
                        description=_l("How many may still be redeemed. For a coupon with codes, the number of unused codes."))
    codes = TextAreaField(_l("Coupon codes to add (optional)"), validators=[Optional()],
                          description=_l("One per line. Each redemption hands out one code, never the same twice."))
    per_member_limit = StringField(_l("Limit per member"), validators=[Optional()], default="1",
                                   description=_l("How many times one member may redeem it. Leave empty for no limit."))
    active = BooleanField(_l("Offered to members"), default=True)
    needs_shipping = BooleanField(_l("Needs a shipping address"), default=False,
                                  description=_l("Redeeming it asks the member for a name, postal address and phone."))


class RedeemForm(FlaskForm):
    """The confirmation step of redeeming; the address fields are used only for rewards that need shipping."""

    shipping_name = StringField(_l("Name of the recipient"), validators=[Optional()])
    shipping_address = TextAreaField(_l("Postal address"), validators=[Optional()])
    shipping_phone = StringField(_l("Phone number"), validators=[Optional()])


class GrantForm(FlaskForm):
    username = StringField(_l("Member's username"), validators=[InputRequired()])
    amount = StringField(_l("Points (negative to take away)"), validators=[InputRequired()])
    note = StringField(_l("Reason (the member sees it)"), validators=[InputRequired()])


class CancelForm(FlaskForm):
    note = StringField(_l("Reason (optional)"), validators=[Optional()])


@bp.app_template_global()
def points_rates() -> dict:
    """Return the points one earns now per upvote, accepted answer and silver/gold badge (and per reputation)."""
    return services.points_rates()


def require_staff() -> None:
    # The staff pages are an admin section: for anyone else they do not exist.
    if not can_manage_rewards(current_user):
        abort(404)


def _redemption_json(r: Redemption) -> dict:
    return {"id": r.id, "reward_id": r.reward_id, "reward": r.reward.name, "cost": r.cost, "code": r.code,
            "status": r.status.value, "created_at": r.created_at.isoformat(), "url": url_for("rewards.mine", _anchor=f"redemption-{r.id}")}


@bp.route("")
def index():
    return _index_page()


def _index_page(error=None, status=200):
    return render_template("community/rewards/index.html", rewards=services.offered_rewards(), error=error,
                           redeemed=services.redeemed_counts(current_user)), status


@bp.route("/<int:reward_id>/redeem", methods=["GET", "POST"])
@login_required
@limiter.limit("10 per minute; 100 per day", methods=["POST"])
def redeem(reward_id: int):
    """GET: the confirmation step (cost, balance, balance after, the address when needed); POST: redeem."""
    reward = db.get_or_404(Reward, reward_id)
    form = RedeemForm(formdata=None if request.method == "GET" else request.form)
    if request.method == "GET":
        if not can_redeem_reward(current_user, reward):
            abort_with(404, _("This reward is not on offer."))
        known = services.last_shipping(current_user)
        form.shipping_name.data = known.name or current_user.display_name
        form.shipping_address.data, form.shipping_phone.data = known.address, known.phone
        return render_template("community/rewards/confirm.html", reward=reward, form=form)
    shipping = services.Shipping(form.shipping_name.data or "", form.shipping_address.data or "",
                                 form.shipping_phone.data or "")
    try:
        redemption = services.redeem(current_user, reward_id, shipping)
    except ServiceError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.status, exc.message, code=exc.code, fields=exc.fields)
        if exc.fields and reward.needs_shipping:
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors = [str(message)]
            return render_template("community/rewards/confirm.html", reward=reward, form=form), exc.status
        return _index_page(exc.message, exc.status)
    db.session.commit()
    if wants_json():
        return jsonify(redemption=_redemption_json(redemption), points=current_user.points), 201
    if redemption.code:
        flash(_("You redeemed %(name)s. Your code: %(code)s", name=redemption.reward.name, code=redemption.code), "success")
    else:
        flash(_("You redeemed %(name)s. Staff will be in touch to hand it over.", name=redemption.reward.name), "success")
    return redirect(url_for("rewards.mine", _anchor=f"redemption-{redemption.id}"))


@bp.route("/mine/<int:redemption_id>/cancel", methods=["POST"])
@login_required
@limiter.limit("20 per minute", methods=["POST"])
def cancel_mine(redemption_id: int):
    """Take back my own redemption while it waits for staff; the points come back at once."""
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or redemption.member_id != current_user.id:
        abort_with(404, _("No such redemption of yours."))
    if not FlaskForm().validate():
        abort(400)
    try:
        services.cancel_my_redemption(current_user, redemption)
    except ServiceError as exc:
        db.session.rollback()
        if wants_json():
            return error_response(exc.status, exc.message, code=exc.code)
        flash(str(exc.message), "error")
        return redirect(url_for("rewards.mine", _anchor=f"redemption-{redemption_id}"))
    db.session.commit()
    if wants_json():
        return jsonify(redemption=_redemption_json(redemption), points=current_user.points)
    flash(_("Redemption cancelled: %(n)d points are back in your balance.", n=redemption.cost), "success")
    return redirect(url_for("rewards.mine", _anchor=f"redemption-{redemption_id}"))


@bp.route("/mine")
@login_required
def mine():
    ledger = paged(services.points_history, current_user, page_arg())
    return render_template("community/rewards/mine.html", redemptions=services.member_redemptions(current_user),
                           ledger=ledger, cancel_form=FlaskForm())


# ---- staff -------------------------------------------------------------------------------------

def _input(form: RewardForm) -> services.RewardInput:
    return services.RewardInput(name=form.name.data or "", description=form.description.data or "",
                                kind=form.kind.data or "", cost=form.cost.data, stock=form.stock.data,
                                active=bool(form.active.data), codes=form.codes.data or "",
                                per_member_limit=form.per_member_limit.data,
                                needs_shipping=bool(form.needs_shipping.data))


@bp.route("/manage", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def manage():
    require_staff()
    form = RewardForm(prefix="reward")
    grant_form = GrantForm(prefix="grant")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            done = submit(form, services.create_reward, current_user, _input(form))
            if done:
                flash(_("Reward %(name)s created.", name=done.value.name), "success")
                return redirect(url_for("rewards.manage"))
        status = 422
    return _manage_page(form, grant_form), status


def _manage_page(form, grant_form):
    rewards = services.all_rewards()
    return render_template("community/rewards/manage.html", rewards=rewards, form=form, grant_form=grant_form,
                           codes=services.code_counts([r.id for r in rewards]))


@bp.route("/manage/grant", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def grant():
    require_staff()
    grant_form = GrantForm(prefix="grant")
    if grant_form.validate_on_submit():
        member = db.session.scalar(select(Member).where(Member.username_key == username_key(grant_form.username.data)))
        if member is None:
            grant_form.username.errors = [_("No member has that username.")]
        else:
            if submit(grant_form, services.grant_points, current_user, member, grant_form.amount.data,
                      grant_form.note.data):
                flash(_("Points given to %(name)s.", name=member.name), "success")
                return redirect(url_for("rewards.manage"))
    return _manage_page(RewardForm(prefix="reward", formdata=None), grant_form), 422


def _load_reward(reward_id: int) -> Reward:
    return db.get_or_404(Reward, reward_id)


@bp.route("/manage/<int:reward_id>", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def edit(reward_id: int):
    require_staff()
    reward = _load_reward(reward_id)
    form = RewardForm(prefix="reward", obj=None if request.method == "POST" else reward,
                      data=None if request.method == "POST" else {"kind": reward.kind.value,
                                                                   "cost": str(reward.cost), "stock": str(reward.stock),
                                                                   "per_member_limit": str(reward.per_member_limit or "")})
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            if submit(form, services.update_reward, current_user, reward, _input(form)):
                flash(_("Reward %(name)s saved.", name=reward.name), "success")
                return redirect(url_for("rewards.edit", reward_id=reward.id))
        status = 422
    counts = services.code_counts([reward.id]).get(reward.id, (0, 0))
    return render_template("community/rewards/edit.html", reward=reward, form=form, codes=counts), status


@bp.route("/manage/<int:reward_id>/active", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def set_active(reward_id: int):
    require_staff()
    reward = _load_reward(reward_id)
    if not FlaskForm().validate():
        abort(400)
    active = request.form.get("active") == "1"
    services.set_reward_active(current_user, reward, active)
    db.session.commit()
    flash(_("%(name)s is offered to members.", name=reward.name) if active
          else _("%(name)s is no longer offered; redemptions already made stay.", name=reward.name), "success")
    return redirect(url_for("rewards.manage"))


@bp.route("/manage/<int:reward_id>/delete", methods=["GET", "POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def delete(reward_id: int):
    require_staff()
    reward = _load_reward(reward_id)
    form = FlaskForm()
    redeemed = services.redeemed_total(reward)
    status = 200
    if request.method == "POST":
        if form.validate():
            name = reward.name
            done = submit(form, services.delete_reward, current_user, reward)
            if done:
                flash(_("Reward %(name)s deleted.", name=name), "success")
                return redirect(url_for("rewards.manage"))
            status = done.error.status
        else:
            status = 422
    return render_template("community/rewards/delete.html", reward=reward, form=form, redeemed=redeemed), status


@bp.route("/manage/redemptions")
@login_required
def redemptions():
    require_staff()
    status = request.args.get("status") or None
    if status is not None and status not in {s.value for s in RedemptionStatus}:
        abort_with(400, _("Unknown status."))
    page = paged(services.redemptions, status, page_arg())
    return render_template("community/rewards/redemptions.html", redemptions=page, status=status, form=CancelForm())


def _load_redemption(redemption_id: int) -> Redemption:
    redemption = db.get_or_404(Redemption, redemption_id)
    return redemption


@bp.route("/manage/redemptions/<int:redemption_id>/fulfil", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def fulfil(redemption_id: int):
    require_staff()
    redemption = _load_redemption(redemption_id)
    try:
        services.fulfil_redemption(current_user, redemption)
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Marked as handed over."), "success")
    return redirect(url_for("rewards.redemptions"))


@bp.route("/manage/redemptions/<int:redemption_id>/cancel", methods=["POST"])
@login_required
@limiter.limit("60 per minute", methods=["POST"])
def cancel(redemption_id: int):
    require_staff()
    redemption = _load_redemption(redemption_id)
    form = CancelForm()
    try:
        services.cancel_redemption(current_user, redemption, form.note.data or "")
    except ServiceError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(_("Redemption cancelled; the points were refunded."), "success")
    return redirect(url_for("rewards.redemptions"))
