"""How a request finds its member: the Flask-Login loader, with sessions that can be ended."""
from flask import flash, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, login_manager
from .members.models import Member
from .permissions import is_suspended


def init_app(app):
    login_manager.login_view = "members.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_member(ident: str):
        try:
            member_id, version = (int(part) for part in ident.split(":", 1))
        except ValueError:
            return None
        member = db.session.get(Member, member_id)
        # A bumped session_version (password change, suspension) ends every older session.
        if member is None or member.session_version != version:
            return None
        if member.suspended_until is not None and is_suspended(member):  # moderation: may not sign in
            return None
        return member

    @app.after_request
    def _seen(response):
        if current_user.is_authenticated and request.method == "GET" and response.status_code < 400:
            from .members.services import touch_last_seen

            before = current_user.last_seen_at
            touch_last_seen(current_user)
            if current_user.last_seen_at != before:
                db.session.commit()
        return response
