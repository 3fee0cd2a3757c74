"""Marketing segments: saved member filters, live counts, consent-respecting CSV, messages with unsubscribe."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.mail.models import MailMessage
from community.members.models import Role
from community.members.services import set_consent
from crm_bridge.models import CrmProfile, ProfileTag, TimelineEvent
from crm_bridge.segments import Segment, SegmentMessage, save_segment, segment_count, segment_members


def verified(member):
    member.email_verified_at = utcnow()
    return member


def tagged(member, tag):
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member.id))
    profile.tags.append(ProfileTag(name=tag))
    return member


@pytest.mark.parametrize("role,status", [(None, 302), (Role.member, 404), (Role.moderator, 404),
                                         (Role.staff, 200), (Role.admin, 200)])
def test_only_staff_and_admins_reach_the_segment_pages(client, auth, make, role, status):
    segment = save_segment("Everyone", {})
    _db.session.commit()
    if role is not None:
        auth.login(make.member("viewer", role=role))
    for path in ("/crm/segments", "/crm/segments/new?stage=engaged", f"/crm/segments/{segment.id}",
                 f"/crm/segments/{segment.id}/edit", f"/crm/segments/{segment.id}.csv"):
        assert client.get(path).status_code == status, path
    for path, data in ((f"/crm/segments/{segment.id}/message", {"channel": "mail", "subject": "Hi", "body": "News"}),
                       ("/crm/segments", {"name": "Fans", "stage": "advocate"}),
                       (f"/crm/segments/{segment.id}/edit", {"name": "Everyone", "tag": "vip"}),
                       (f"/crm/segments/{segment.id}/delete", {})):
        assert client.post(path, data=data).status_code in ((303,) if status == 200 else (status,)), path
    assert (_db.session.scalar(select(func.count()).select_from(SegmentMessage)) == 1) == (status == 200)


def test_counts_stay_live_and_the_export_holds_consenting_members_with_safe_cells(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    yes = tagged(make.member("yana", display_name="=HYPERLINK(\"http://evil\")"), "vip")
    no = tagged(make.member("nora"), "vip")
    set_consent(yes, marketing=True, research=False)
    _db.session.commit()
    auth.login(staffer)
    created = client.post("/crm/segments", data={"name": "VIPs", "tag": "vip"})
    assert created.status_code == 303
    segment = _db.session.scalar(select(Segment).where(Segment.name == "VIPs"))
    assert segment_count(segment) == 2 and "2 members now, 1 who said yes to marketing" in \
        client.get(f"/crm/segments/{segment.id}").get_data(as_text=True)
    tagged(make.member("vic"), "vip")
    _db.session.commit()
    assert "<td class=\"segment-count\">3</td>" in client.get("/crm/segments").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get(f"/crm/segments/{segment.id}.csv").get_data(as_text=True))))
    assert [r[0] for r in rows[1:]] == ["yana"] and rows[1][1].startswith("'=")
    assert no.username not in {r[0] for r in rows}
    clash = client.post("/crm/segments", data={"name": "vips", "tag": "x"})
    assert clash.status_code == 409 and "exists already" in clash.get_data(as_text=True)
    bad = client.post("/crm/segments", data={"name": "Bad", "min_risk": "lots"})
    assert bad.status_code == 422 and "whole numbers from 0 to 100" in bad.get_data(as_text=True)


def test_filters_for_board_sentiment_and_last_active(make):
    board, other = make.board(), make.board()
    poster, elsewhere = make.member("pia"), make.member("eli")
    make.thread(board=board, author=poster, body="Love it, works great, thank you!")
    make.thread(board=other, author=elsewhere, body="Terrible update, my camera is broken and useless.")
    segment = save_segment("Board fans", {"board": board.slug, "active": "30"})
    _db.session.commit()
    ids = set(_db.session.scalars(segment_members(segment)).all())
    assert poster.id in ids and elsewhere.id not in ids
    with pytest.raises(Exception, match="No board"):
        save_segment("Nope", {"board": "no-such-board"})
    negative = save_segment("Unhappy", {"sentiment": "negative"})
    unhappy = set(_db.session.scalars(segment_members(negative)).all())
    assert poster.id not in unhappy and elsewhere.id in unhappy


def test_messaging_by_mail_and_private_message_with_unsubscribe_and_limits(client, auth, make, app):
    staffer = make.member("sam", role=Role.staff)
    fan, quiet, unverified = verified(make.member("fay")), verified(make.member("quinn")), make.member("uma")
    for m in (fan, unverified):
        tagged(m, "fans")
        set_consent(m, marketing=True, research=False)
    tagged(quiet, "fans")
    _db.session.commit()
    segment = save_segment("Fans", {"tag": "fans"})
    _db.session.commit()
    auth.login(staffer)
    sent = client.post(f"/crm/segments/{segment.id}/message",
                       data={"channel": "mail", "subject": "Beta invite", "body": "Join the beta."})
    assert sent.status_code == 303
    mails = _db.session.scalars(select(MailMessage).where(MailMessage.kind == "segment")).all()
    assert [m.to_address for m in mails] == [fan.email]  # no consent, no mail; no verified address, no mail
    assert mails[0].headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = mails[0].headers["List-Unsubscribe"].strip("<>")
    events = _db.session.scalars(select(TimelineEvent).where(TimelineEvent.kind == "segment_message")).all()
    assert {e.member_id for e in events} == {fan.id, unverified.id} - {unverified.id}
    again = client.post(f"/crm/segments/{segment.id}/message",
                        data={"channel": "message", "subject": "Reminder", "body": "Beta closes soon."})
    assert again.status_code == 403 and "less than 24 hours ago" in again.get_data(as_text=True)
    _db.session.execute(SegmentMessage.__table__.update().values(created_at=utcnow() - timedelta(days=2)))
    _db.session.commit()
    assert client.post(f"/crm/segments/{segment.id}/message",
                       data={"channel": "message", "subject": "Reminder", "body": "Beta closes soon."}).status_code == 303
    auth.logout()
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200  # a link scanner's GET changes nothing
    _db.session.refresh(fan)
    assert fan.consent_marketing
    assert client.post("/" + path).status_code == 200  # one click, no form, no session
    _db.session.refresh(fan)
    assert not fan.consent_marketing
    assert client.post("/crm/unsubscribe/forged-token").status_code == 404
