"""The posting limits of new members: links, images and @mentions per post, posts per day.

`check_post_limits` is registered with the forum (`registry.register_post_content_check`), which
calls it on every new or edited post. The limits come from the permission predicates
`post_content_limits` and `daily_post_limit`; what is in a post is read from its rendered
(sanitized) HTML and its list of mentioned members.
"""
from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from flask import has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..dbtypes import utcnow
from ..errors import ValidationFailed
from ..extensions import db
from ..forum.models import Post
from ..permissions import daily_post_limit, post_content_limits


class _Counter(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = 0
        self.images = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "a" and "outside-image" in classes:
            self.images += 1  # a picture from another site, shown as a link (community/text.py): still a picture
        elif tag == "a" and attrs.get("href") and "mention" not in classes:
            self.links += 1  # a linked @mention is counted as a mention, not a link
        elif tag == "img" and attrs.get("src"):
            self.images += 1


def count_content(html: str, mentions) -> dict[str, int]:
    """Return how many links, images and mentions a rendered post carries."""
    counter = _Counter()
    counter.feed(html or "")
    counter.close()
    return {"links": counter.links, "images": counter.images, "mentions": len(mentions or [])}


def _too_many(kind: str, n: int, m: int):
    if kind == "links":
        return _l("At your trust level a post may contain at most %(n)d links; this one has %(m)d. "
                  "The limit goes up as you take part in the community.", n=n, m=m)
    if kind == "images":
        return _l("At your trust level a post may contain at most %(n)d images; this one has %(m)d. "
                  "The limit goes up as you take part in the community.", n=n, m=m)
    return _l("At your trust level a post may mention at most %(n)d members; this one mentions %(m)d. "
              "The limit goes up as you take part in the community.", n=n, m=m)


def check_post_limits(member, rendered, *, new: bool) -> None:
    """Refuse a post that breaks the member's limits, with a message naming the limit.

    Limits hold for what members do through a request (web, API, sockets); operator commands such as
    `seed-demo` or imports run outside a request and are not limited.
    """
    if not has_request_context():
        return
    limits = post_content_limits(member)
    if limits:
        found = count_content(rendered.html, rendered.mentions)
        for kind in ("links", "images", "mentions"):
            limit = limits.get(kind)
            if limit is not None and found[kind] > int(limit):
                message = _too_many(kind, int(limit), found[kind])
                raise ValidationFailed(message, {"body": message})
    if new:
        per_day = daily_post_limit(member)
        if per_day is not None:
            since = utcnow() - timedelta(days=1)
            written = db.session.scalar(select(func.count()).select_from(Post)
                                        .where(Post.author_id == member.id, Post.created_at >= since))
            if written >= per_day:
                raise ValidationFailed(_l("At your trust level you may write %(n)d posts a day, and you have "
                                          "reached that. Please try again later; the limit goes up as you "
                                          "take part in the community.", n=per_day))

