"""Questions and answers: the asker (or a moderator) marks one reply as the accepted answer."""


def init_app(app) -> None:
    """Register the accept/unaccept routes, the accepted-answer template helper and the subscribers."""
    from ..signals import post_deleted
    from . import services, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals["accepted_answer"] = views.accepted_answer
    post_deleted.connect(services.forget_deleted_answer)
