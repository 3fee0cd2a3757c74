"""/admin: the index of sections, boards and members' roles. Thin: load (404) -> predicate (404) -> service ->
commit -> redirect or page (422 with the form's errors)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from .. import settings
from ..errors import NotPermitted, ServiceError
from ..extensions import db
from ..forms import submit
from ..groups import services as group_services
from ..mail import services as mail_services
from ..members import sessions as member_sessions
from ..permissions import (
    can_administer,
    can_manage_boards,
    can_manage_members,
    can_manage_site_settings,
    can_resend_verification,
    can_set_role,
    can_set_trust_level,
    can_view_sign_ins,
)
from ..site import branding
from ..uploads import services as upload_services
from ..web import page_arg, paged
from . import services
from .forms import BoardForm, DeleteBoardForm, RoleForm, SiteSettingsForm
from .sections import sections_for

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _require(predicate) -> None:
    """Someone who may not use a section gets 404: the page does not exist for them."""
    if not predicate(current_user):
        abort(404)


def _render(template: str, section: str, status: int = 200, **context):
    return render_template(template, sections=sections_for(current_user), section=section, **context), status


@bp.route("/")
@bp.route("")
@login_required
def index():
    _require(can_administer)
    return _render("community/admin/index.html", "index")


# ---- site settings and branding ----------------------------------------------------------------------

# A 20 MB logo must reach the view to be refused with a clear message on the form (not the 413 page);
# the images' own limits (branding.LOGO_MAX_BYTES ...) are checked on the bytes read.
SITE_FORM_MAX_BYTES = 32 * 1024 * 1024


@bp.url_value_preprocessor
def _larger_body_for_site_settings(endpoint, values):
    # runs before every before_request hook (CSRF and the hostile-input check read the body); only an
    # admin's request may be that large
    if endpoint == "admin.site_settings" and can_manage_site_settings(current_user):
        request.max_content_length = SITE_FORM_MAX_BYTES
        request.max_form_memory_size = 512 * 1024  # the markdown pages are long text fields


@bp.route("/site", methods=["GET", "POST"])
@login_required
def site_settings():
    _require(can_manage_site_settings)
    current = {name: settings.get(f"site.{name}") for name in SiteSettingsForm.TEXT_FIELDS}
    form = SiteSettingsForm(data=None if request.method == "POST" else current)
    status = 200
    if request.method == "POST":
        if form.validate() and submit(form, branding.save_branding, current_user, form.values(),
                                      logo=form.logo.data, favicon=form.favicon.data,
                                      remove_logo=form.remove_logo.data, remove_favicon=form.remove_favicon.data):
            flash(_("The site settings have been saved."), "success")
            return redirect(url_for("admin.site_settings"))
        status = 422
    return _render("community/admin/site_settings.html", "site", status, form=form, site=branding.brand())


# ---- boards -------------------------------------------------------------------------------------

def _board(slug: str):
    _require(can_manage_boards)
    board = services.find_board(slug)
    if board is None:
        abort(404)
    return board


@bp.route("/boards")
@login_required
def boards():
    _require(can_manage_boards)
    boards = services.ordered_boards()
    return _render("community/admin/boards.html", "boards", boards=boards,
                   board_groups=group_services.groups_by_board(b.id for b in boards))


def _group_choices(form) -> None:
    form.groups.choices = [SelectChoice(g.name, g.local_name) for g, _count in group_services.all_groups()]


def _board_form_page(form, board=None, status: int = 200):
    return _render("community/admin/board_form.html", "boards", status, form=form, board=board)


@bp.route("/boards/new", methods=["GET", "POST"])
@login_required
def new_board():
    _require(can_manage_boards)
    form = BoardForm(data=None if request.method == "POST" else {"kind": "discussion", "visibility": "public",
                                                                   "default_sort": "latest",
                                                                   "start_policy": "members", "start_min_trust": "0"})
    _group_choices(form)
    if request.method == "POST" and form.validate():
        created = submit(form, services.create_board, current_user, form.values())
        if not created:
            return _board_form_page(form, status=422)
        flash(_("Board %(name)s created.", name=created.value.name))
        return redirect(url_for("admin.boards"))
    return _board_form_page(form, status=422 if request.method == "POST" else 200)


def _update_board(admin, board, values: dict, uploads_policy: str | None) -> None:
    services.update_board(admin, board, values)
    upload_services.set_board_policy(admin, board, uploads_policy or "all")


@bp.route("/boards/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_board(slug: str):
    board = _board(slug)
    form = BoardForm(data=None if request.method == "POST" else {
        "slug": board.slug, "name": board.name, "name_zh": board.name_zh, "description": board.description,
        "description_zh": board.description_zh, "kind": board.kind.value, "visibility": board.visibility.value,
        "default_sort": board.default_sort, "start_policy": board.start_policy.value,
        "start_min_trust": str(board.start_min_trust), "groups": [g.name for g in group_services.board_groups(board)],
        "uploads": upload_services.board_policy(board)})
    _group_choices(form)
    if request.method == "POST" and form.validate():
        if not submit(form, _update_board, current_user, board, form.values(), form.uploads.data):
            return _board_form_page(form, board, 422)
        flash(_("Board %(name)s saved.", name=board.name))
        return redirect(url_for("admin.boards"))
    return _board_form_page(form, board, 422 if request.method == "POST" else 200)


@bp.route("/boards/<slug>/move", methods=["POST"])
@login_required
def move_board(slug: str):
    board = _board(slug)
    services.move_board(current_user, board, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for("admin.boards"))


@bp.route("/boards/<slug>/archive", methods=["POST"])
@login_required
def archive_board(slug: str):
    board = _board(slug)
    archived = request.form.get("archived") != "0"
    services.set_archived(current_user, board, archived)
    db.session.commit()
    flash(_("Board %(name)s archived: it is read-only now.", name=board.name) if archived
          else _("Board %(name)s is open again.", name=board.name))
    return redirect(url_for("admin.boards"))


@bp.route("/boards/<slug>/delete", methods=["GET", "POST"])
@login_required
def delete_board(slug: str):
    board = _board(slug)
    others = [b for b in services.ordered_boards() if b.id != board.id]
    form = DeleteBoardForm()
    form.move_to.choices = [SelectChoice("", _("(choose a board)"))] + [SelectChoice(b.slug, b.name) for b in others]
    status = 200
    if request.method == "POST" and form.validate():
        move_to = services.find_board(form.move_to.data) if form.move_to.data else None
        if form.move_to.data and (move_to is None or move_to.id == board.id):
            form.move_to.errors = [_("Choose another board to move the threads to.")]
            status = 422
        else:
            name = board.name
            deleted = submit(form, services.delete_board, current_user, board, move_to)
            if deleted:
                flash(_("Board %(name)s deleted; %(n)d threads moved.", name=name, n=deleted.value) if deleted.value
                      else _("Board %(name)s deleted.", name=name))
                return redirect(url_for("admin.boards"))
            status = 422
    elif request.method == "POST":
        status = 422
    return _render("community/admin/board_delete.html", "boards", status, form=form, board=board)


# ---- members and roles -----------------------------------------------------------------------------

@bp.route("/members")
@login_required
def members():
    _require(can_manage_members)
    query = (request.args.get("q") or "").strip()[:100]
    found = paged(services.search_members, query, page_arg())
    return _render("community/admin/members.html", "members", found=found, query=query, form=RoleForm(),
                   labels=services.ROLE_LABELS)


@bp.route("/members/<username>/role", methods=["POST"])
@login_required
def set_role(username: str):
    _require(can_manage_members)
    target = services.find_member(username)
    if target is None:
        abort(404)
    form = RoleForm()
    back = url_for("admin.members", q=request.form.get("q") or target.username)
    if not can_set_role(current_user, target):
        abort(403)
    try:
        changed = services.set_role(current_user, target, form.role.data, form.reason.data or "")
    except NotPermitted:
        db.session.rollback()
        abort(403)
    except ServiceError as exc:
        db.session.rollback()
        flash(" ".join([str(exc.message)] + [str(m) for m in exc.fields.values()]), "error")
        return redirect(back)
    db.session.commit()
    if changed:
        flash(_("%(name)s is now %(role)s.", name=target.username, role=services.ROLE_LABELS[target.role]))
    return redirect(back)


@bp.route("/members/<username>")
@login_required
def member(username: str):
    """One member for staff: role, trust level (and its lock), address verification, groups, sign-ins."""
    _require(can_manage_members)
    target = services.find_member(username)
    if target is None or target.deleted_at is not None:
        abort(404)
    return _render("community/admin/member.html", "members", target=target, form=RoleForm(),
                   labels=services.ROLE_LABELS, groups=group_services.groups_of(target),
                   sign_ins=member_sessions.sign_in_history(target) if can_view_sign_ins(current_user, target) else [],
                   may_set_trust=can_set_trust_level(current_user, target),
                   may_resend=can_resend_verification(current_user, target))


@bp.route("/members/<username>/verification", methods=["POST"])
@login_required
def resend_verification(username: str):
    _require(can_manage_members)
    target = services.find_member(username)
    if target is None or target.deleted_at is not None:
        abort(404)
    if not can_resend_verification(current_user, target):
        abort(403)
    sent = mail_services.send_verification(target, throttle=True)
    db.session.commit()
    if sent:
        flash(_("A new verification link is on its way to %(email)s.", email=target.email), "success")
    else:
        flash(_("No link was sent: one went out a moment ago, or verification mails are turned off."), "error")
    return redirect(url_for("admin.member", username=target.username))
