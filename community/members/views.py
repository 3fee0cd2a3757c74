"""Pages for registering, signing in and out, profiles and settings."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from ..auth_loader import identity_confirmed, sign_in, sign_out
from ..errors import ServiceError
from ..extensions import csrf, db, limiter
from ..forms import (
    ConfirmForm,
    ConsentForm,
    DeleteAccountForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    submit,
)
from ..forum.models import Thread
from ..i18n import LANGUAGE_COOKIE, select_locale
from ..permissions import is_suspended, public_thread_clause, readable_board_clause
from ..registry import password_sign_in_refusal, sign_in_steps
from ..signals import registration_attempted_for_existing_email
from ..site.branding import brand
from . import passwords, registration, services
from . import sessions as member_sessions
from .models import Member, username_key
from .throttle import account_sign_in_limit

bp = Blueprint("members", __name__)


def _safe_next(default: str) -> str:
    target = request.args.get("next") or request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc and "\\" not in target:
        return target
    return default


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour; 3 per minute", methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    try:
        registration.check_open()
    except ServiceError as exc:  # closed, or by invitation only: say so instead of showing a form
        return render_template("community/members/registration_closed.html", message=exc.message), exc.status
    return _registration_page(RegisterForm())


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("10 per hour; 3 per minute", methods=["POST"])
def invite(token: str):
    """An invitation link: the registration form, or a page saying why the link cannot be used."""
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    try:
        found = registration.check_open(token)
    except ServiceError as exc:
        return render_template("community/members/registration_closed.html", message=exc.message,
                               invite_problem=True), exc.status
    form = RegisterForm(data=None if request.method == "POST" or not found.email else {"email": found.email})
    return _registration_page(form, invite=found, token=token)


def _registration_page(form, invite=None, token=None):
    site = brand()
    needs_approval = invite is None and registration.mode() == "approval"
    if form.validate_on_submit() and form.website.data:  # the honeypot: only bots fill it in
        form.form_errors.append(_("We could not create the account. Please try again."))
    elif form.validate_on_submit() and site.has_terms and not form.accept_terms.data:
        form.accept_terms.errors = [_("Please read and accept the terms of service to join.")]
    elif form.validate_on_submit():
        created = submit(form, _register, form, token)
        if isinstance(created.error, registration.InviteProblem):  # the last use went to someone else meanwhile
            return render_template("community/members/registration_closed.html", message=created.error.message,
                                   invite_problem=True), created.error.status
        taken = created.error if isinstance(created.error, services.EmailTaken) else None
        if taken is not None:
            # Answer as for a new account: whether an address is registered is the owner's business.
            registration_attempted_for_existing_email.send(taken.owner)
            db.session.commit()
        if (created and created.value.pending) or (taken is not None and needs_approval):
            return render_template("community/members/awaiting_approval.html")  # signs in once approved
        if created or taken is not None:
            name = created.value.member.username if created else form.username.data.strip()
            flash(_("Welcome, %(name)s! Your account is ready.", name=name), "success")
            return redirect(_safe_next(url_for("site.home")))
    return render_template("community/members/register.html", form=form, invite=invite, token=token,
                           needs_approval=needs_approval), (422 if form.errors or form.form_errors else 200)


def _register(form: RegisterForm, token: str | None) -> registration.Registered:
    """Make the account under the registration mode and sign it in unless it waits for approval: one
    transaction, which `submit` commits whole or not at all."""
    done = registration.register_visitor(form.username.data, form.email.data, form.password.data,
                                         invite_token=token, locale=_browser_locale())
    if not done.pending:
        sign_in(done.member)
    return done


def _browser_locale():
    """Return the language the browser asked for at registration (kept for mail), else None."""
    return select_locale() if request.accept_languages else None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("6 per minute", methods=["POST"])
@account_sign_in_limit
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(url_for("site.home")))
    form = LoginForm()
    if form.validate_on_submit():
        member = services.authenticate(form.login.data, form.password.data)
        if member is None:
            form.form_errors.append(_("That username or email and password do not match."))
        elif refusal := registration.sign_in_refusal(member) or password_sign_in_refusal(member):
            db.session.commit()  # a rehashed password
            form.form_errors.append(str(refusal))
        elif is_suspended(member):
            form.form_errors.append(_("Your account is suspended until %(when)s. Reason: %(reason)s",
                                      when=format_datetime(member.suspended_until, "short"),
                                      reason=member.suspended_reason or "-"))
        else:
            for step in sign_in_steps():  # a second factor, say: it takes the sign-in over
                taken = step(member, remember=bool(form.remember.data), next_url=_safe_next(url_for("site.home")))
                if taken is not None:
                    db.session.commit()  # a rehashed password
                    return taken
            sign_in(member, remember=bool(form.remember.data))
            db.session.commit()  # the session, and a rehashed password
            return redirect(_safe_next(url_for("site.home")))
    return render_template("community/members/login.html", form=form), (422 if form.errors or form.form_errors else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    ConfirmForm()  # CSRF is checked globally; the form only documents the intent
    sign_out()  # this session ends on the server: a copied cookie of it stops working
    db.session.commit()
    flash(_("You have signed out."), "info")
    response = redirect(url_for("site.home"))
    response.headers["Clear-Site-Data"] = '"cache"'  # and the service worker forgets the pages it kept (seo)
    return response


@bp.route("/language", methods=["POST"])
@csrf.exempt  # checked below: a member's form carries the token; a guest's has none (see _same_origin)
@limiter.limit("30 per minute")
def language():
    """The language switcher: a member's choice is their setting, a guest's the `lang` cookie; back to `next`."""
    choice = request.form.get("language", "")
    if choice not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # a member's language is account state: the usual token
        services.set_language(current_user, choice)
        db.session.commit()
    elif not _same_origin():
        abort(400)
    response = redirect(_safe_next(url_for("site.home")))
    # kept for signed-in members too: after signing out the site stays in the language they chose
    response.set_cookie(LANGUAGE_COOKIE, choice, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


def _same_origin() -> bool:
    """A guest's switch carries no CSRF token (a token would make every guest page personal and defeat the
    guests' page cache, community/pagecache.py); the browser's Origin, or else its Referer, must be this
    site, so another site cannot change a guest's language."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return request.headers.get("Sec-Fetch-Site") in (None, "same-origin")
    return urlsplit(claimed).netloc == request.host


@bp.route("/u/<username>")
def profile(username: str):
    member = db.session.scalar(select(Member).where(Member.username_key == username_key(username)))
    if member is None:
        abort(404)
    recent = db.session.scalars(
        select(Thread).join(Thread.board)
        .where(Thread.author_id == member.id, public_thread_clause(),
               readable_board_clause(current_user))
        .order_by(Thread.created_at.desc()).limit(10)
    ).all()
    return render_template("community/members/profile.html", member=member, recent=recent)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    member = current_user._get_current_object()
    profile_form = ProfileForm(prefix="profile", obj=None if request.method == "POST" else _profile_data(member))
    password_form = PasswordForm(prefix="password")
    status = 200
    if request.method == "POST":
        which = request.form.get("form")
        form = profile_form if which == "profile" else password_form
        if form.validate_on_submit():
            if form is profile_form:
                saved = submit(form, services.update_profile, member, display_name=form.display_name.data or "",
                               bio=form.bio.data or "", locale=form.locale.data or None)
            else:
                saved = submit(form, services.change_password, member, form.old_password.data,
                               form.new_password.data, keep=member.session_key)
            if saved:
                if form is password_form:  # this session goes on, every other one has ended
                    flash(_("Your password has been changed. Other sessions have been signed out."), "success")
                else:
                    flash(_("Your settings have been saved."), "success")
                return redirect(url_for("members.settings"))
        status = 422
    return render_template("community/members/settings.html", profile_form=profile_form,
                           password_form=password_form, sessions=member_sessions.active_sessions(member),
                           sign_ins=member_sessions.sign_in_history(member, 10),
                           current_session=member.session_key, session_form=ConfirmForm(prefix="session"),
                           consent_form=ConsentForm(prefix="consent", formdata=None,
                                                    data={"marketing": member.consent_marketing,
                                                          "research": member.consent_research})), status


@bp.route("/settings/consent", methods=["POST"])
@login_required
def save_consent():
    """Save my consent to marketing and research (both off until I tick them)."""
    member = current_user._get_current_object()
    form = ConsentForm(prefix="consent")
    if not form.validate_on_submit():
        abort(400)
    services.set_consent(member, marketing=bool(form.marketing.data), research=bool(form.research.data))
    db.session.commit()
    flash(_("Your choices about marketing and research have been saved."), "success")
    return redirect(url_for("members.settings", _anchor="consent"))


@bp.route("/settings/sessions/<key>/end", methods=["POST"])
@login_required
def end_session(key: str):
    """Sign out one of my sessions (another device); ending this one is signing out."""
    member = current_user._get_current_object()
    if not ConfirmForm(prefix="session").validate_on_submit():
        abort(400)
    if key == member.session_key:
        sign_out()
        db.session.commit()
        flash(_("You have signed out."), "info")
        return redirect(url_for("site.home"))
    if not member_sessions.end_session(member, key):
        abort(404)
    db.session.commit()
    flash(_("That session has been signed out."), "success")
    return redirect(url_for("members.settings", _anchor="sessions"))


@bp.route("/settings/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    """Sign out every session of mine but this one."""
    member = current_user._get_current_object()
    if not ConfirmForm(prefix="session").validate_on_submit():
        abort(400)
    member_sessions.end_sessions(member, "signed_out_others", keep=member.session_key)
    db.session.commit()
    flash(_("Every other session has been signed out."), "success")
    return redirect(url_for("members.settings", _anchor="sessions"))


@bp.route("/settings/delete-account", methods=["GET", "POST"])
@login_required
@limiter.limit("6 per minute", methods=["POST"])
def delete_account():
    """Delete my account: posts stay under "Deleted member"; name, email and the brand's records go."""
    member = current_user._get_current_object()
    with_password = passwords.has_password(member.password_hash)  # else: made through single sign-on
    confirmed = not with_password and identity_confirmed(member)
    form = DeleteAccountForm() if with_password else ConfirmForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            deleted = submit(form, services.delete_account, member, form.password.data if with_password else "",
                             identity_confirmed=confirmed)
            if deleted:  # committed: every session of the account ended with it
                logout_user()
                flash(_("Your account has been deleted. Your posts stay, without your name."), "success")
                return redirect(url_for("site.home"))
            if not deleted.error.fields:
                status = deleted.error.status
    return render_template("community/members/delete_account.html", form=form, with_password=with_password,
                           confirmed=confirmed), status


class _ProfileData:
    def __init__(self, member):
        self.display_name, self.bio, self.locale = member.display_name, member.bio, member.locale or ""


def _profile_data(member):
    return _ProfileData(member)
