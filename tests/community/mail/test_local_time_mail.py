"""A mail names times in the recipient's zone, with the zone."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from community.dbtypes import utcnow
from community.extensions import db
from community.mail.models import PendingNotificationMail
from community.members.models import Member
from community.notifications.models import Notification
from tests.community.mail.conftest import parts


def test_a_notification_mail_names_the_local_time_in_the_members_zone(make, smtp, deliver):
    lihua = make.member("lihua", email="lihua@example.net")
    db.session.execute(update(Member).where(Member.id == lihua.id)
                       .values(email_verified_at=utcnow(), timezone="Asia/Shanghai"))
    db.session.commit()
    bob = make.member("bob")
    thread = make.thread(author=bob, title="Screen flickers at night")
    make.post(thread, author=bob, body="Any idea, @lihua?")
    mentioned = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)  # 18:00 in Shanghai
    db.session.execute(update(Notification).values(created_at=mentioned))
    db.session.execute(update(PendingNotificationMail).values(due_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    deliver()
    [message] = [m for m in smtp.inbox.to("lihua@example.net") if "/email/verify/" not in parts(m)[0]]
    text, html = parts(message)
    for body in (text, html):
        assert "6:00:00" in body and "PM (Asia/Shanghai)" in body and "10:00:00" not in body
