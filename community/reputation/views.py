"""Leaderboard, badge pages and a member's reputation history. Thin: load, permission, service, commit."""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import InputRequired

from ..extensions import db, limiter
from ..forms import submit
from ..members.models import Member, username_key
from ..pages import abort_with
from ..permissions import can_adjust_reputation, can_view_reputation_history
from ..web import page_arg, paged
from . import badges
from . import services as ledger

bp = Blueprint("reputation", __name__)


class AdjustForm(FlaskForm):
    delta = StringField(_l("Points of reputation (negative to take away)"), validators=[InputRequired()])
    note = StringField(_l("Reason (the member sees it)"), validators=[InputRequired()])


@bp.app_template_global()
def profile_badges(member):
    """Return the badges a member holds (for the profile)."""
    return badges.member_badges(member.id)


@bp.app_template_global()
def badge_definition(slug):
    """Return a badge's registry entry (name, icon, level) or None."""
    return badges.definition(slug or "")


@bp.route("/leaderboard")
def leaderboard():
    period = request.args.get("period", "week")
    if period not in ledger.PERIODS:
        abort_with(400, _("Choose a period: week, month, year or all."))
    page = page_arg()
    board = ledger.leaderboard(period, page, per_page=current_app.config["LEADERBOARD_PER_PAGE"])
    if page > 1 and not board.rows:
        abort_with(404, _("There is no such page."))
    return render_template("community/reputation/leaderboard.html", board=board, period=period)


@bp.route("/badges")
def badge_list():
    counts = badges.holder_counts()
    rows = [(spec, counts.get(spec.slug, 0)) for spec in badges.REGISTRY.values()]
    return render_template("community/reputation/badges.html", rows=rows)


@bp.route("/badges/<slug>")
def badge(slug: str):
    spec = badges.definition(slug)
    if spec is None:
        abort(404)
    page = page_arg()
    holders, has_next = badges.holders(slug, page)
    if page > 1 and not holders:
        abort_with(404, _("There is no such page."))
    return render_template("community/reputation/badge.html", spec=spec, holders=holders, page=page,
                           has_next=has_next, count=badges.holder_counts().get(slug, 0))


def _load_member(username: str) -> Member:
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None or not can_view_reputation_history(current_user, member):
        abort(404)  # someone else's history is private: not even its existence is shown
    return member


@bp.route("/u/<username>/reputation", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def history(username: str):
    member = _load_member(username)
    form = AdjustForm() if can_adjust_reputation(current_user, member) else None
    status = 200
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            if submit(form, ledger.adjust, current_user, member, form.delta.data, form.note.data):
                flash(_("Reputation adjusted."), "success")
                return redirect(url_for(".history", username=member.username))
        status = 422
    entries = paged(ledger.history, member, current_user, page_arg())
    return render_template("community/reputation/history.html", member=member, entries=entries, form=form), status
