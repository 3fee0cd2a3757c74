"""/admin/groups: the groups of members, who is in them. Thin: load (404) -> predicate (404) -> service ->
commit -> redirect or page (422 with the form's errors)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..admin import services as admin_services
from ..admin.sections import sections_for
from ..errors import ValidationFailed
from ..extensions import db
from ..forms import apply_errors, submit
from ..permissions import can_manage_groups
from ..web import page_arg, paged
from . import services
from .forms import AddMembersForm, GroupForm, UploadForm
from .models import Group

bp = Blueprint("groups", __name__, url_prefix="/admin/groups")


def _require() -> None:
    if not can_manage_groups(current_user):
        abort(404)


def _render(template: str, status: int = 200, **context):
    return render_template(template, sections=sections_for(current_user), section="groups", **context), status


def _group(group_id: int) -> Group:
    _require()
    return db.get_or_404(Group, group_id)


@bp.route("")
@bp.route("/")
@login_required
def admin():
    _require()
    return _render("community/groups/list.html", groups=services.all_groups())


def _form_page(form, group=None, status: int = 200):
    return _render("community/groups/form.html", status, form=form, group=group)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require()
    form = GroupForm()
    if request.method == "POST" and form.validate():
        created = submit(form, services.create_group, current_user, form.values())
        if created:
            flash(_("Group %(name)s created.", name=created.value.name))
            return redirect(url_for("groups.show", group_id=created.value.id))
    return _form_page(form, status=422 if request.method == "POST" else 200)


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: int):
    group = _group(group_id)
    form = GroupForm(obj=None if request.method == "POST" else group)
    if request.method == "POST" and form.validate():
        if submit(form, services.update_group, current_user, group, form.values()):
            flash(_("Group %(name)s saved.", name=group.name))
            return redirect(url_for("groups.show", group_id=group.id))
    return _form_page(form, group, 422 if request.method == "POST" else 200)


@bp.route("/<int:group_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int):
    group = _group(group_id)
    name = group.name
    services.delete_group(current_user, group)
    db.session.commit()
    flash(_("Group %(name)s deleted.", name=name))
    return redirect(url_for("groups.admin"))


def _show(group, status: int = 200, add_form=None, upload_form=None):
    query = (request.args.get("q") or "").strip()[:100]
    found = admin_services.search_members(query, 1, 20) if query else None
    members = paged(services.group_members, group, page_arg())
    boards = services.boards_of_group(group)
    return _render("community/groups/show.html", status, group=group, members=members, query=query, found=found,
                   boards=boards, add_form=add_form or AddMembersForm(), upload_form=upload_form or UploadForm())


@bp.route("/<int:group_id>")
@login_required
def show(group_id: int):
    return _show(_group(group_id))


def _report(result) -> None:
    if result.added:
        flash(ngettext("%(num)d member added: %(names)s.", "%(num)d members added: %(names)s.", len(result.added),
                       names=", ".join(m.username for m in result.added[:20])
                       + (" ..." if len(result.added) > 20 else "")))
    if result.already:
        flash(ngettext("%(num)d was in the group already.", "%(num)d were in the group already.",
                       len(result.already)))


@bp.route("/<int:group_id>/members/add", methods=["POST"])
@login_required
def add_members(group_id: int):
    group = _group(group_id)
    form = AddMembersForm()
    if not form.validate():
        return _show(group, 422, add_form=form)
    return _add(group, form, "add_form", (form.members.data or "").splitlines())


@bp.route("/<int:group_id>/members/upload", methods=["POST"])
@login_required
def upload_members(group_id: int):
    group = _group(group_id)
    form = UploadForm()
    if not form.validate():
        return _show(group, 422, upload_form=form)
    data = form.file.data.read() if form.file.data else b""
    try:
        lines = services.parse_upload(data)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _show(group, 422, upload_form=form)
    return _add(group, form, "upload_form", lines, field_name="file")


def _add(group, form, form_name: str, lines: list[str], **options):
    """Add the members named in `lines` (all or nothing); show the form again with the problems otherwise."""
    added = submit(form, services.add_members, current_user, group, lines, **options)
    if not added:
        return _show(group, 422, **{form_name: form})
    _report(added.value)
    return redirect(url_for("groups.show", group_id=group.id))


@bp.route("/<int:group_id>/members/remove", methods=["POST"])
@login_required
def remove_member(group_id: int):
    group = _group(group_id)
    raw = request.form.get("member_id", "")
    if not raw.isdigit() or len(raw) > 12:
        abort(400)
    removed = services.remove_members(current_user, group, [int(raw)])
    db.session.commit()
    if removed:
        flash(_("Removed from the group."))
    return redirect(url_for("groups.show", group_id=group.id))
