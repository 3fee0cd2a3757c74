"""Moderation and community self-management: flags, the review queue, post/thread tools, member
restrictions, the moderation log and the public transparency page.

Modules by job: `log` (the log, transparency counts), `labels`, `inputs`, `posts` (new posts, counts,
hide/restore/approve), `flags`, `review` (the queue), `restrictions` (silence, suspend) and
`thread_tools` (every thread tool: retag, move, close, pin; pin globally, merge, split). `views` holds
the routes of all of them.

Settings (each can be given as COMMUNITY_<NAME>):

MODERATION_HIDE_WEIGHT            the flag weight (sum of the flags' weights, see TRUST_FLAG_WEIGHTS)
    at which a post is hidden until a moderator reviews it (3.0). A staff or moderator flag hides at once.
MODERATION_APPROVE_FIRST_POSTS    hold the first N posts of new members (trust level 0) for approval (0: off).
MODERATION_DUPLICATE_WINDOW_SECONDS  the same text twice from one member within this time is refused (300).
MODERATION_SECONDS_BETWEEN_THREADS, MODERATION_SECONDS_BETWEEN_POSTS  per-member pause between new
    threads (15) and replies (5), as Discourse does; moderators and staff are not held to them.
MODERATION_FLAG_LIMIT             rate limit of flags and reports per member ("10 per minute; 50 per day").

Hidden, pending and whispered posts: `community.permissions.can_view_post` decides per post and
`public_post_clause` / `visible_post_clause` / `public_thread_clause` filter SQL (lists, search, API).
"""
from __future__ import annotations

from flask import Flask

from ..permissions import is_moderator
from ..registry import register_new_post_check, register_staff_counter, register_template_slot
from . import (
    appeal_views,  # noqa: F401  (adds the appeal page to the moderation blueprint)
    appeals,
    flags,
    models,  # noqa: F401  (makes the tables known to create_all and Alembic)
    posts,
    review,
    subscribers,
    thread_tools,
    views,
)


def init_app(app: Flask) -> None:
    """Register the moderation area: settings, routes, the new-post check, log subscribers, helpers."""
    app.config.setdefault("MODERATION_HIDE_WEIGHT", 3.0)
    app.config.setdefault("MODERATION_APPROVE_FIRST_POSTS", 0)
    app.config.setdefault("MODERATION_DUPLICATE_WINDOW_SECONDS", 300)
    app.config.setdefault("MODERATION_SECONDS_BETWEEN_THREADS", 15)
    app.config.setdefault("MODERATION_SECONDS_BETWEEN_POSTS", 5)
    app.config.setdefault("MODERATION_FLAG_LIMIT", "10 per minute; 50 per day")

    def review_queue(member) -> int | None:
        """The live staff counter of the review queue's size, for moderators (None: not shown)."""
        return review.pending_review_count(member) if is_moderator(member) else None

    register_new_post_check(app, posts.check_new_post)
    register_staff_counter(app, "review_queue", review_queue)
    app.register_blueprint(views.bp)
    register_template_slot(app, "post_actions", "community/moderation/_post_actions.html", order=30)
    register_template_slot(app, "profile_extra", "community/moderation/_profile.html", order=40)
    register_template_slot(app, "thread_before_posts", "community/moderation/_notice.html", order=40)
    register_template_slot(app, "thread_head", "community/moderation/thread_tools/_menu.html", order=30)
    register_template_slot(app, "thread_row_badges", "community/moderation/thread_tools/_row_badges.html", order=20)
    register_template_slot(app, "nav_staff", "community/moderation/_header.html", order=20)
    register_template_slot(app, "post_before_body", "community/moderation/_post_marks.html")
    subscribers.connect()
    appeals.connect()
    views.init_app(app)
    app.add_template_global(thread_tools.is_pinned, "thread_is_pinned")
    app.add_template_global(flags.shows_under_review, "thread_under_review")
    app.add_template_global(thread_tools.move_targets, "thread_move_targets")
