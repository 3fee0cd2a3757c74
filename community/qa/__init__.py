"""Questions and answers: the asker (or a moderator) marks one reply as the accepted answer."""
from ..registry import register_template_slot
from ..signals import post_deleted
from . import services, views


def init_app(app) -> None:
    """Register the accept/unaccept routes, the accepted-answer template helper and the subscribers."""
    app.register_blueprint(views.bp)
    register_template_slot(app, "post_actions", "community/qa/_actions.html", order=20)
    register_template_slot(app, "post_after_body", "community/qa/_post_marks.html", order=20)
    register_template_slot(app, "thread_head", "community/qa/_thread_head.html", order=40)
    register_template_slot(app, "thread_row_badges", "community/qa/_row_badges.html", order=30)
    register_template_slot(app, "board_before_threads", "community/qa/_board_filter.html")
    app.jinja_env.globals["accepted_answer"] = views.accepted_answer
    post_deleted.connect(services.forget_deleted_answer)
