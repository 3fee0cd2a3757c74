"""Everything the forum announces. crm_bridge, realtime and search subscribe here.

Each signal is sent inside the transaction that made the change (subscribers that only write rows
join it); anything leaving the process must wait for the commit (see `community.aftercommit`).

When it happened: a subscriber that records an event (the CRM) dates it at the event's own time, never
at the time it writes. That time is the sender's timestamp where the sender is the row of the event
(a Post's `created_at`, a Flag's `created_at`, a BadgeGrant's `granted_at`, a Redemption's `created_at`,
a Member's `created_at` for member_registered); where it is not, the signal carries it as `at`: a
timezone-aware UTC datetime, the time the service stamped on the change (`community.dbtypes.utcnow`).
Subscribers fall back to the current time only when a sender outside this package leaves `at` out.
"""
from blinker import Namespace

_signals = Namespace()

member_registered = _signals.signal("member-registered", doc="""\
Sent when a member has registered. sender: the Member.""")

member_updated = _signals.signal("member-updated", doc="""\
Sent when a member changed their profile. sender: the Member; fields: names of changed fields.""")

member_deleting = _signals.signal("member-deleting", doc="""\
Sent when a member is deleting their account, before their personal data is removed, in the same
transaction: subscribers erase what they keep about the member. sender: the Member.""")

thread_created = _signals.signal("thread-created", doc="""\
Sent when a thread was started. sender: the Thread; post: its opening Post.""")

post_created = _signals.signal("post-created", doc="""\
Sent when a reply was posted. sender: the Post; mentioned: list of mentioned Members;
reply_to: the Post replied to or None.""")

post_edited = _signals.signal("post-edited", doc="""\
Sent when a post was edited. sender: the Post; editor: the Member; revision: the PostRevision that
keeps the previous version.""")

post_deleted = _signals.signal("post-deleted", doc="""\
Sent when a post was soft-deleted. sender: the Post; by: the Member who deleted it.
A deleted opening post deletes its thread: thread_deleted follows.""")

thread_deleted = _signals.signal("thread-deleted", doc="""\
Sent when a thread was soft-deleted. sender: the Thread; by: the Member.""")

# ---- participation --------------------------------------------------------------------------

vote_cast = _signals.signal("vote-cast", doc="""\
Sent when a member voted on a post, changed or retracted a vote. sender: the Post; voter: the Member;
value: the new value (1, -1, or 0 for retracted); previous: the value before (1, -1 or 0);
at: when the vote was cast or changed (the vote row's updated_at).""")

vote_settled = _signals.signal("vote-settled", doc="""\
Sent after a vote's transaction committed, once per vote_cast, in id order, by the vote effects drain
(community/votes/effects.py) inside its own transaction: the place for what may lag behind a vote
(reputation, reward points, badges, trust likes). Same arguments as vote_cast. A subscriber writes in the
session and never commits; the drain commits the effects together with the removal of the vote's marker.""")

answer_accepted = _signals.signal("answer-accepted", doc="""\
Sent when a reply was marked as the accepted answer of a question thread. sender: the Post;
thread: the Thread; by: the Member who accepted it; previous: the Post accepted before, or None;
at: when it was accepted (threads keep no acceptance time).""")

answer_unaccepted = _signals.signal("answer-unaccepted", doc="""\
Sent when an accepted answer was undone (not when it was replaced). sender: the Post; thread; by.""")

poll_created = _signals.signal("poll-created", doc="""\
Sent when a poll was attached to a thread. sender: the Poll; thread: the Thread.""")

poll_voted = _signals.signal("poll-voted", doc="""\
Sent when a member cast or changed a ballot. sender: the Poll; voter: the Member; option_ids: list;
at: when the ballot was cast or changed (the ballot row's updated_at).""")

idea_status_changed = _signals.signal("idea-status-changed", doc="""\
Sent when staff changed an idea's public status. sender: the Thread; by: the Member; previous: the
old IdeaStatus; status: the new one; reason: str; duplicate_of: the Thread merged into, or None;
at: when it changed (the IdeaStatusEvent's created_at).""")

reputation_changed = _signals.signal("reputation-changed", doc="""\
Sent when a reputation ledger entry was written. sender: the Member; entry: the ledger row.""")

badge_granted = _signals.signal("badge-granted", doc="""\
Sent when a member earned a badge. sender: the Member; badge: the Badge; grant: the grant row.""")

trust_level_changed = _signals.signal("trust-level-changed", doc="""\
Sent when a member's trust level changed. sender: the Member; previous: int; level: int;
by: the staff Member who set it by hand, or None when computed; at: when it changed.""")

reward_redeemed = _signals.signal("reward-redeemed", doc="""\
Sent when a member redeemed a reward with points. sender: the Redemption; member; reward.""")

notification_created = _signals.signal("notification-created", doc="""\
Sent when a notification was stored for a member. sender: the Notification.""")

mail_queued = _signals.signal("mail-queued", doc="""\
Sent when a mail was added to the outbox (`mail_messages`), in the transaction that caused it.
sender: the MailMessage. The mail sender wakes on it once that transaction commits.""")

thread_locked = _signals.signal("thread-locked", doc="""\
Sent when a thread was closed to new replies or reopened. sender: the Thread; by: the Member;
locked: bool; reason: str.""")

thread_pinned = _signals.signal("thread-pinned", doc="""\
Sent when a thread was pinned or unpinned. sender: the Thread; by: the Member; pinned: bool;
globally: bool; until: datetime or None.""")

thread_moved = _signals.signal("thread-moved", doc="""\
Sent when a thread moved to another board (recategorized). sender: the Thread; by: the Member;
previous_board: the Board it left.""")

thread_retagged = _signals.signal("thread-retagged", doc="""\
Sent when a thread's tags changed. sender: the Thread; by: the Member; previous: list of tag names.""")

thread_viewed = _signals.signal("thread-viewed", doc="""\
Sent when a page of a thread was shown to a signed-in member (reading progress, trust levels).
sender: the Thread; viewer: the Member; last_number: the number of the last post on the page.
Subscribers may write rows; the trust area commits them after a successful response.""")

# ---- moderation (community/moderation) -------------------------------------------------------
# Every moderation service sends exactly one of these; `moderation_logged` follows for each line
# written to the moderation log (whatever area acted), for the CRM timeline.

content_flagged = _signals.signal("content-flagged", doc="""\
Sent when a member flagged a post or reported a member. sender: the Flag; item: the ReviewItem;
hidden: bool, whether this flag hid the post.""")

review_resolved = _signals.signal("review-resolved", doc="""\
Sent when a moderator resolved a review item. sender: the ReviewItem; by: the Member;
outcome: "agreed", "disagreed", "ignored", "approved" or "rejected"; note: str.""")

post_hidden = _signals.signal("post-hidden", doc="""\
Sent when a post was hidden (by flags or a moderator). sender: the Post; by: the Member or None
(hidden by the community's flags); reason: str; at: when it was hidden (the post's hidden_at).""")

post_unhidden = _signals.signal("post-unhidden", doc="""\
Sent when a hidden post was shown again. sender: the Post; by: the Member.""")

post_restored = _signals.signal("post-restored", doc="""\
Sent when a soft-deleted post was restored (an opening post restores its thread). sender: the Post; by.""")

post_approved = _signals.signal("post-approved", doc="""\
Sent when a post waiting for approval was approved and published. sender: the Post; by: the Member.""")

threads_merged = _signals.signal("threads-merged", doc="""\
Sent when a thread's posts were moved into another thread. sender: the target Thread; source: the
merged Thread (now deleted, pointing at the target); by: the Member; post_ids: list of moved post ids.""")

thread_split = _signals.signal("thread-split", doc="""\
Sent when posts were moved out of a thread into a new one. sender: the new Thread; source: the
Thread they came from; by: the Member; post_ids: list of moved post ids.""")

member_silenced = _signals.signal("member-silenced", doc="""\
Sent when a member was silenced (may read, may not post). sender: the Member; by; until: datetime;
reason: str; at: when.""")

member_suspended = _signals.signal("member-suspended", doc="""\
Sent when a member was suspended (signed out everywhere, may not sign in). sender: the Member; by;
until: datetime; reason: str; at: when.""")

member_restriction_lifted = _signals.signal("member-restriction-lifted", doc="""\
Sent when a silence or suspension was lifted early. sender: the Member; by; restriction:
"silence" or "suspension"; reason: str; at: when.""")

moderation_logged = _signals.signal("moderation-logged", doc="""\
Sent when a line was written to the moderation log. sender: the ModerationAction.""")

sessions_ended = _signals.signal("sessions-ended", doc="""\
Sent when sign-in sessions of a member were ended (sign-out, password change or reset, suspension,
account deletion, removal of a second factor), in the same transaction. sender: the Member; reason:
str; keys: list of the ended session keys; every: bool, all of the member's sessions (but one kept) ended,
so API sign-in tokens end too; revoke_tokens: bool, also revoke personal access tokens.""")

registration_attempted_for_existing_email = _signals.signal("registration-attempted-for-existing-email", doc="""\
Sent when someone tried to register with the address of an existing account (the form answered as for a
new account, so as not to tell that the address is in use). sender: the existing Member.""")

# ---- administration (community/admin) ----------------------------------------------------------

board_changed = _signals.signal("board-changed", doc="""\
Sent when an admin (or a `flask community board` command) created, edited, reordered, archived,
unarchived or deleted a board. sender: the Board (for "deleted", the row just removed); by: the Member,
or None from the command line; action: "created", "updated", "reordered", "archived", "unarchived" or
"deleted"; fields: names of the changed fields (for "updated"; "groups" when the list of groups that may
read a `groups` board changed). Search rewrites the board's documents when `visibility` is among them (a
change of "groups" needs no rewrite: the reader's filter reads the groups at query time); the guests' page
cache drops every page.""")

member_role_changed = _signals.signal("member-role-changed", doc="""\
Sent when a member's role changed (admin page, API or `flask community member set-role`), after the
moderation log line was written, in the same transaction. sender: the Member; by: the Member who changed
it, or None from the command line; previous: the old Role; role: the new Role. crm_bridge writes it to
the staff audit log.""")

site_settings_changed = _signals.signal("site-settings-changed", doc="""\
Sent when an admin saved site settings (community/settings.py), in the transaction, after the rows were
flushed. sender: None; keys: the keys whose value changed; by: the Member, or None from the command line.
The guests' page cache drops every page (the name, logo, colours and footer are on all of them).""")

# ---- groups (community/groups) ---------------------------------------------------------------------

group_changed = _signals.signal("group-changed", doc="""\
Sent when staff created, edited or deleted a group of members. sender: the Group (for "deleted", the row
just removed; its memberships and board grants go with it); by: the Member, or None from the command line;
action: "created", "updated" or "deleted"; fields: names of the changed fields. The guests' page cache
drops every page (badges beside names); group-visible boards readable through it change for its members.""")

group_members_changed = _signals.signal("group-members-changed", doc="""\
Sent when members were added to or removed from a group (admin page, CSV upload), in the transaction.
sender: the Group; by: the Member, or None; added: list of member ids; removed: list of member ids.
Who reads the group's boards changes at once (pages, search, API, feeds, mails, sockets all ask
`permissions.can_view_board` / `readable_board_clause`, which read memberships at read time); the
per-request cache of `permissions.group_board_ids` is dropped; the guests' page cache drops every page
(badges beside names).""")
registration_reviewed = _signals.signal("registration-reviewed", doc="""\
Sent when staff approved or rejected an account waiting in the approval queue (registration mode
`approval`, community/admin/registration.py), after the moderation log line was written, in the same
transaction. sender: the Member who applied; by: the staff Member; decision: "approved" or "rejected";
reason: the reason given (mailed to the applicant; "" for an approval). The mail area mails the decision;
the staff counter of pending approvals moves.""")

# ---- reactions (community/reactions) -----------------------------------------------------------

reaction_added = _signals.signal("reaction-added", doc="""\
Sent when a member reacted to a post, or changed their reaction. sender: the Post; member: the Member
who reacted; kind: the reaction's code (like, thanks, laugh, wow, sad); previous: the code it replaced,
or None; at: when it was chosen (the reaction row's updated_at).""")

reaction_removed = _signals.signal("reaction-removed", doc="""\
Sent when a member took back their reaction to a post (choosing the same one again). sender: the Post;
member: the Member; kind: the code taken back; at: when.""")
# ---- private conversations (community/conversations) -------------------------------------------------

conversation_started = _signals.signal("conversation-started", doc="""\
Sent when a member started a private conversation, in the transaction, after its first message was
flushed (message_sent is not sent for that first message). sender: the Conversation; message: its first
Message; by: the Member who started it; at: the time it was started. `sender.is_staff` is true for a
conversation with the staff inbox ("Message the team"): crm_bridge puts those (and only those) on the
member's CRM timeline; member-to-member conversations never leave the conversations area.""")

message_sent = _signals.signal("message-sent", doc="""\
Sent when a message was written in an existing conversation, in the transaction. sender: the Message;
conversation: its Conversation; by: the author; staff_answer: true when staff answered a staff-inbox
conversation for the brand; at: the message's time. Realtime tells the other participants (ids only,
after commit); crm_bridge records staff-inbox messages (the brand's first answer counts in response times).""")

# ---- a member's choices (issue 17) ----------------------------------------------------------------

consent_changed = _signals.signal("consent-changed", doc="""\
Sent when a member saved their marketing and research consent in /settings, in the transaction.
sender: the Member; marketing: bool; research: bool; marketing_at / research_at: when each choice was
last made (None when never). crm_bridge copies them onto the CRM profile, whose exports respect them.""")

# ---- two-factor authentication (community/twofactor) ----------------------------------------------

second_factor_changed = _signals.signal("second-factor-changed", doc="""\
Sent when a member's second factor changed, in the transaction. sender: the Member; action: "enrolled",
"removed", "recovery_code_used" or "recovery_codes_renewed"; kind: "totp"; address: the client address
of the request ("" outside one); at: when; remaining: unused recovery codes left. The member is mailed
(community/twofactor/notify.py) and crm_bridge writes it to the staff audit log.""")
