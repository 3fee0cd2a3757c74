"""The world of the leak truth table (test_leak_table.py): roles, restricted items with their marker words,
and `build_world`, which plants them through the real services once per module."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from community import settings as site_settings
from community.conversations import mail as conversation_mail
from community.conversations import services as conversations
from community.conversations.models import Message
from community.dbtypes import utcnow
from community.extensions import db as _db
from community.follows import services as member_follows
from community.forum import services as forum
from community.groups import services as groups
from community.mail import delivery
from community.mail.models import PendingNotificationMail
from community.members.models import Member, Role
from community.moderation import flags as moderation
from community.moderation import thread_tools
from community.notifications.services import follow_thread
from crm_bridge import cases, leads, moods, segments
from crm_bridge import services as crm
from crm_bridge.models import CrmProfile, PostSentiment
from tests import factories
from tests.conftest import _quiet_search_writer

_DEBUG = bool(__import__("os").environ.get("LEAK_TABLE_DEBUG"))
ROLES = ["guest", "newbie", "member", "grouped", "author", "moderator", "staff", "admin"]
USERS = {"newbie": "lt_newbie", "member": "lt_max", "grouped": "lt_gus", "author": "lt_ann", "moderator": "lt_mona",
         "staff": "lt_sam", "admin": "lt_ada"}
SIGNED_IN = set(USERS)
STAFF = {"staff", "admin"}
MODS = {"moderator", "admin"}


@dataclass(frozen=True)
class Item:
    """One kind of restricted content: its marker word and the roles that may see its source."""

    name: str
    marker: str
    see: frozenset
    locate: frozenset | None = None  # roles that may learn the post's id (default: `see`)
    owner: str | None = None          # the role whose own words these are (their own data export)

    @property
    def locators(self) -> frozenset:
        return self.see if self.locate is None else self.locate


ITEMS = [
    Item("staff board thread title", "zqstafftitle", frozenset(STAFF)),
    Item("staff board thread body", "zqstaffbody", frozenset(STAFF)),
    Item("staff board tag", "zqstafftag", frozenset(STAFF)),
    Item("members-only board thread", "zqmembersonly", frozenset(SIGNED_IN), owner="author"),
    # A board visible to one group ("grouped" is in it; "member" is not, though mentioned in it).
    Item("group board thread", "zqgroupboard", frozenset({"grouped"} | STAFF)),
    Item("whisper", "zqwhisper", frozenset(STAFF | MODS)),
    Item("whisper posted while the sockets listen", "zqlivewhisper", frozenset(STAFF | MODS)),
    Item("pending post", "zqpending", frozenset({"newbie"} | MODS), owner="newbie"),
    Item("hidden (flagged) post", "zqhidden", frozenset({"author"} | MODS), locate=frozenset(ROLES),
         owner="author"),
    Item("deleted post", "zqdeleted", frozenset(MODS), locate=frozenset(ROLES), owner="author"),
    Item("thread moved to the staff board", "zqmovedtitle", frozenset(STAFF), owner="author"),
    Item("staff reply in a thread moved to the staff board", "zqmovedreply", frozenset(STAFF)),
    Item("staff flag note", "zqflagnote", frozenset(MODS)),
    Item("lock reason on the staff board", "zqlockreason", frozenset(STAFF)),
    Item("staff private CRM note", "zqcrmnote", frozenset(STAFF)),
    # Staff's tags on a member's CRM profile: the member's own data export lists them, nobody else's page.
    Item("CRM profile tag", "zqcrmtag", frozenset(STAFF), owner="author"),
    # Cases, leads, segments (crm_bridge/cases.py, leads.py, segments.py): staff only, never moderators. The
    # member sees only that the brand looks into their thread ("... is looking into this"), no note, no order.
    Item("case internal note", "zqcasenote", frozenset(STAFF)),
    Item("case order number", "zqcaseorder", frozenset(STAFF)),
    Item("lead order number", "zqleadorder", frozenset(STAFF)),
    Item("segment name", "zqsegment", frozenset(STAFF)),
    # Private conversations: member-to-member ones only for their participants (never moderators, staff or
    # the CRM); a reported message (that one only) also for moderators; the staff inbox for staff.
    Item("member-to-member private message", "zqdirectmsg", frozenset({"author", "member"}), owner="author"),
    Item("reported private message", "zqreportedmsg", frozenset({"author", "member"} | MODS)),
    Item("message to the staff inbox", "zqteammsg", frozenset({"author"} | STAFF), owner="author"),
]


@dataclass
class World:
    boards: dict = field(default_factory=dict)     # slug -> id
    threads: dict = field(default_factory=dict)    # name -> id
    posts: dict = field(default_factory=dict)      # item marker -> post id
    usernames: list = field(default_factory=list)
    profiles: list = field(default_factory=list)   # CRM profile ids
    mail_folder: Path | None = None
    mails_before: set = field(default_factory=set)
    sockets: dict = field(default_factory=dict)    # role -> text of what its socket client received
    seen: dict = field(default_factory=dict)       # (role, channel name) -> text, fetched once per module
    uploads: list = field(default_factory=list)    # /uploads/<id> of a .txt attachment in each restricted post
    conversations: dict = field(default_factory=dict)  # conversation id -> its message ids
    crm_records: dict = field(default_factory=dict)  # "case", "lead", "segment" -> id


# ---- the world ------------------------------------------------------------------------------------

def _member(username, role=Role.member, trust=2):
    member = factories.member(username, role=role)
    row = _db.session.get(Member, member.id)
    row.email_verified_at = utcnow()
    row.trust_level, row.trust_level_locked = trust, True
    _db.session.commit()
    return row


def build_world(app) -> World:
    world = World()
    world.mail_folder = Path(app.config["MAIL_FOLDER"])
    world.mails_before = set(world.mail_folder.glob("*.eml")) if world.mail_folder.exists() else set()
    people = {role: _member(name, role={"moderator": Role.moderator, "staff": Role.staff,
                                        "admin": Role.admin}.get(role, Role.member),
                            trust=0 if role == "newbie" else 2)
              for role, name in USERS.items()}
    sue = _member("lt_sue", Role.staff)
    world.usernames = [*USERS.values(), "lt_sue"]
    ann, newbie = people["author"], people["newbie"]
    public = factories.board("lt-pub", name="Public talk")
    members = factories.board("lt-mem", name="Members lounge", visibility="members")
    staff = factories.board("lt-staff", name="Staff room", visibility="staff")
    beta = groups.create_group(None, {"name": "Beta testers", "show_badge": True})
    groups.add_members(None, beta, [USERS["grouped"]])
    grouped = factories.board("lt-grp", name="Beta lab", visibility="groups")
    groups.set_board_groups(None, grouped, [beta])
    _db.session.commit()
    world.boards = {b.slug: b.id for b in (public, members, staff, grouped)}
    for who in people.values():  # everyone follows the authors: each new thread is news to them (follows)
        for author in (sue, ann):
            if who.id != author.id:
                member_follows.follow(who, author)
    _db.session.commit()

    secret = forum.start_thread(sue, staff, "Roadmap zqstafftitle", "Body zqstaffbody for @lt_max, @lt_ann and @lt_sam",
                                tags=["zqstafftag"])
    lounge = forum.start_thread(ann, members, "Lounge zqmembersonly", "Members only zqmembersonly text.")
    beta_thread = forum.start_thread(sue, grouped, "Beta zqgroupboard build",
                                     "Beta zqgroupboard notes for @lt_gus, @lt_max and @lt_ann", tags=["zqgrouptag"])
    open_thread = forum.start_thread(ann, public, "Router keeps rebooting", "The public opening post.")
    moving = forum.start_thread(ann, public, "Question zqmovedtitle", "Asked in public zqmovedtitle.")
    _db.session.commit()
    for who in people.values():  # everyone follows the public threads: every reply is news to them
        if who.role is not Role.admin:
            follow_thread(who, open_thread)
    _db.session.commit()

    public_reply = forum.reply(people["member"], open_thread, "A public reply everyone may read.")
    whisper = forum.reply(sue, open_thread, "Whisper zqwhisper about @lt_max @lt_ann @lt_newbie", whisper=True)
    hidden = forum.reply(ann, open_thread, "Reply zqhidden that gets flagged.")
    deleted = forum.reply(ann, open_thread, "Reply zqdeleted that its author withdraws.")
    moved_reply = forum.reply(sue, moving, "Staff answer zqmovedreply before the move.")
    _db.session.commit()
    approve_first = app.config["MODERATION_APPROVE_FIRST_POSTS"]
    app.config["MODERATION_APPROVE_FIRST_POSTS"] = 1
    try:
        with app.test_request_context():  # the approval rule holds members' own posts, not operator scripts
            pending = forum.reply(newbie, open_thread, "First post zqpending awaiting approval, hi @lt_max")
            _db.session.commit()
    finally:
        app.config["MODERATION_APPROVE_FIRST_POSTS"] = approve_first
    assert pending.pending

    moderation.flag_post(sue, hidden, "other", "Note zqflagnote: looks like a leaked licence key")
    forum.delete_post(ann, deleted)
    thread_tools.lock_thread(people["admin"], secret, "Closed zqlockreason pending legal review")
    thread_tools.move_thread(people["admin"], moving, staff)
    crm.add_note(sue, crm.ensure_profile(ann), "CRM note zqcrmnote: renewal at risk")
    crm.update_profile(sue, crm.ensure_profile(ann), tags="zqcrmtag")
    case = cases.open_case(ann, open_thread.title, threads=[open_thread], by=sue, order_ref="zqcaseorder-1")
    cases.add_case_note(case, sue, "Case note zqcasenote: refund approved")
    lead = leads.create_lead(ann, thread=open_thread, by=sue, value="120", order_ref="zqleadorder-2")
    segment = segments.save_segment("VIP zqsegment", {"tag": "zqcrmtag"}, sue)
    for row in _db.session.scalars(select(PostSentiment)):  # every post, marked ones too, in the corrections export
        moods.correct(row, "neutral", sue)
    _db.session.commit()
    world.crm_records = {"case": case.id, "lead": lead.id, "segment": segment.id}
    world.conversations = _plant_conversations(ann, people["member"], people["staff"])
    assert _db.session.get(type(hidden), hidden.id).hidden_at is not None

    world.profiles = list(_db.session.scalars(select(CrmProfile.id)))
    world.threads = {"secret": secret.id, "lounge": lounge.id, "open": open_thread.id, "moved": moving.id,
                     "beta": beta_thread.id}
    world.posts = {"zqwhisper": whisper.id, "zqpending": pending.id, "zqhidden": hidden.id,
                   "zqdeleted": deleted.id, "zqmovedreply": moved_reply.id, "public": public_reply.id}

    # Mails: notifications fall due at once, digests are forced, the queue is delivered to files.
    delay = app.config["MAIL_NOTIFICATION_DELAY_MINUTES"]
    app.config["MAIL_NOTIFICATION_DELAY_MINUTES"] = 0
    try:
        _db.session.execute(update(PendingNotificationMail).values(due_at=utcnow()))
        site_settings.save({"conversations.mail_delay_minutes": 0})
        _db.session.commit()
        conversation_mail.mail_unseen()
        delivery.send_due_notifications()
        delivery.send_digests("daily", force=True)
        delivery.deliver_due()
    finally:
        app.config["MAIL_NOTIFICATION_DELAY_MINUTES"] = delay
    _quiet_search_writer(app)
    return world


def _plant_conversations(ann, max_, sam) -> dict:
    """ann writes to max (who answers; ann reports the answer) and to the staff inbox (sam answers)."""
    direct = conversations.start_conversation(ann, [max_], "", "Private zqdirectmsg between two members")
    rude = conversations.reply(max_, direct, "Rude zqreportedmsg answer")
    team = conversations.message_staff(ann, "", "Team zqteammsg question about my contract")
    conversations.reply(sam, team, "The team answers in private.")
    _db.session.commit()
    moderation.flag_message(ann, rude, "abusive", "")
    _db.session.commit()
    return {c.id: list(_db.session.scalars(select(Message.id).where(Message.conversation_id == c.id)))
            for c in (direct, team)}
