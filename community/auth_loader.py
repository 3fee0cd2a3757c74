"""How a request finds its member: the Flask-Login loader, with sessions that can be ended."""
import time
from datetime import timedelta

from flask import request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from .extensions import db, login_manager
from .members import registration, sessions
from .members.services import touch_last_seen
from .permissions import is_suspended
from .signals import member_suspended


def init_app(app):
    login_manager.login_view = "members.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    app.config.setdefault("REMEMBER_DAYS", 30)  # a remember cookie and an unused session live this long
    app.config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=int(app.config["REMEMBER_DAYS"])))

    app.add_template_global(sessions.describe_agent, "describe_agent")

    member_suspended.connect(_on_suspended)

    @login_manager.user_loader
    def load_member(ident: str):
        # One query: the member and their server-side session row (gone once the session was ended).
        member = sessions.load(ident)
        if member is None:
            return None
        if member.suspended_until is not None and is_suspended(member):  # moderation: may not sign in
            return None
        return member

    @app.after_request
    def _seen(response):
        if current_user.is_authenticated and request.method == "GET" and response.status_code < 400:
            before = current_user.last_seen_at
            touch_last_seen(current_user)
            if sessions.touch_session(current_user) or current_user.last_seen_at != before:
                db.session.commit()
        return response


def _on_suspended(member, **_extra) -> None:
    """A suspension ends every session (and socket) of the member, in the suspension's transaction."""
    sessions.end_sessions(member, "suspended")


def sign_in(member, *, remember: bool = False) -> bool:
    """Open a server-side session for `member` and put it in this browser's cookies (the caller commits).

    An account waiting for approval (or rejected) gets none: False (the pages say why before calling)."""
    if registration.sign_in_refusal(member):
        return False
    sessions.start_session(member, user_agent=request.headers.get("User-Agent", ""), remember=remember,
                           address=request.remote_addr or "")
    login_user(member, remember=remember, duration=sessions.lifetime())
    return True


CONFIRMED_KEY = "identity_confirmed"
CONFIRMED_SECONDS = 600  # how long "it is really you" counts for a step that needs it (deleting the account)


def confirm_identity(member) -> None:
    """This browser's member proved again who they are (signed in again with their provider): note it in the
    session, for CONFIRMED_SECONDS, for the steps a member without a password confirms that way."""
    session[CONFIRMED_KEY] = {"member": member.id, "at": time.time()}


def identity_confirmed(member) -> bool:
    found = session.get(CONFIRMED_KEY) or {}
    return found.get("member") == member.id and 0 <= time.time() - found.get("at", 0) <= CONFIRMED_SECONDS


def sign_out() -> None:
    """End this browser's session on the server and forget it here (the caller commits)."""
    if current_user.is_authenticated and current_user.session_key:
        sessions.end_session(current_user._get_current_object(), current_user.session_key)
    session.pop(CONFIRMED_KEY, None)
    logout_user()
