"""/admin/gamification: points, badges and idea status labels. Thin: predicate (404) -> load (404) ->
service -> commit -> redirect, or the page again (422 with the form's errors)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..admin.sections import sections_for
from ..extensions import db, limiter
from ..forms import submit
from ..forum.models import IdeaStatus
from ..ideas.labels import BUILT_IN
from ..permissions import can_manage_gamification
from ..reputation import badges
from ..reputation.models import Badge
from . import services
from .forms import BadgeForm, IdeaLabelsForm, PointsForm

bp = Blueprint("gamification", __name__, url_prefix="/admin/gamification")


@bp.before_request
@login_required
def _admins_only():
    if not can_manage_gamification(current_user):
        abort(404)  # the pages do not exist for anyone else


def _render(template: str, status: int = 200, **context):
    return render_template(f"community/admin/gamification/{template}", sections=sections_for(current_user),
                           section="gamification", **context), status


@bp.route("/points", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def points():
    form = PointsForm(data=None if request.method == "POST" else
                      {name: str(value) for name, value in services.point_values().items()})
    if request.method == "POST" and form.validate():
        if submit(form, services.save_points, current_user, form.data):
            flash(_("Points saved. They apply to what members do from now on."), "success")
            return redirect(url_for(".points"))
    return _render("points.html", 422 if request.method == "POST" else 200, form=form)


@bp.route("/idea-statuses", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def idea_labels():
    form = IdeaLabelsForm(data=None if request.method == "POST" else services.label_values())
    for status in IdeaStatus:  # an empty field shows the built-in label, in that field's language
        for language, locale in (("en", "en"), ("zh", "zh_CN")):
            with force_locale(locale):
                form[f"{status.value}_{language}"].render_kw = {"placeholder": str(BUILT_IN[status])}
    if request.method == "POST" and form.validate():
        if submit(form, services.save_idea_labels, current_user, form.data):
            flash(_("Idea status labels saved."), "success")
            return redirect(url_for(".idea_labels"))
    return _render("idea_labels.html", 422 if request.method == "POST" else 200, form=form,
                   statuses=list(IdeaStatus), built_in=BUILT_IN)


# ---- badges ------------------------------------------------------------------------------------------

def _custom_badge(slug: str) -> Badge:
    badge = db.session.scalar(select(Badge).where(Badge.slug == slug))
    if badge is None or not badge.custom:
        abort(404)
    return badge


@bp.route("/badges")
def badge_list():
    built_in, custom = services.badge_overview()
    return _render("badges.html", built_in=built_in, custom=custom, rules=badges.RULES, form=FlaskForm())


@bp.route("/badges/new", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def new_badge():
    form = BadgeForm(data=None if request.method == "POST" else {"icon": badges.ICONS[0], "level": "bronze",
                                                                   "rule": "posts_count", "threshold": "10"})
    if request.method == "POST" and form.validate():
        created = submit(form, services.create_badge, current_user, services.BadgeInput(**form.values()))
        if created:
            flash(_("Badge %(name)s created.", name=created.value.name), "success")
            return redirect(url_for(".badge_list"))
    return _render("badge_form.html", 422 if request.method == "POST" else 200, form=form, badge=None)


@bp.route("/badges/<slug>/edit", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def edit_badge(slug: str):
    badge = _custom_badge(slug)
    form = BadgeForm(data=None if request.method == "POST" else {
        "name": badge.name, "name_zh": badge.name_zh, "description": badge.description,
        "description_zh": badge.description_zh, "icon": badge.icon, "level": badge.level.value, "rule": badge.rule,
        "threshold": str(badge.threshold or "")})
    if request.method == "POST" and form.validate():
        if submit(form, services.update_badge, current_user, badge, services.BadgeInput(**form.values())):
            flash(_("Badge %(name)s saved.", name=badge.name), "success")
            return redirect(url_for(".badge_list"))
    return _render("badge_form.html", 422 if request.method == "POST" else 200, form=form, badge=badge)


@bp.route("/badges/<slug>/enabled", methods=["POST"])
@limiter.limit("60 per minute", methods=["POST"])
def enable_badge(slug: str):
    if slug not in badges.REGISTRY:
        _custom_badge(slug)
    form = FlaskForm()
    if not form.validate():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    services.set_badge_enabled(current_user, slug, enabled)
    db.session.commit()
    flash(_("Badge enabled: members who meet its rule earn it again.") if enabled
          else _("Badge disabled: nobody new earns it; those who hold it keep it."), "success")
    return redirect(url_for(".badge_list"))


@bp.route("/badges/<slug>/delete", methods=["GET", "POST"])
@limiter.limit("60 per minute", methods=["POST"])
def delete_badge(slug: str):
    badge = _custom_badge(slug)
    form = FlaskForm()
    holders = services.holder_count(badge)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate():
            name = badge.name
            done = submit(form, services.delete_badge, current_user, badge)
            if done:
                flash(_("Badge %(name)s deleted.", name=name), "success")
                return redirect(url_for(".badge_list"))
            status = done.error.status
    return _render("badge_delete.html", status, form=form, badge=badge, holders=holders)
