"""What people read for the moderation area's stored codes: flag reasons, log actions, reason codes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from .models import FlagReason

FLAG_REASON_LABELS = {
    FlagReason.spam: _l("Spam"),
    FlagReason.abusive: _l("Abusive or inappropriate"),
    FlagReason.off_topic: _l("Off-topic"),
    FlagReason.needs_staff: _l("Needs staff attention"),
    FlagReason.other: _l("Something else"),
}

# The actions of the moderation log, for people (the log, the transparency page).
ACTION_LABELS = {
    "flag": _l("Post flagged"),
    "report_member": _l("Member reported"),
    "flag_message": _l("Private message reported"),
    "auto_hide": _l("Post hidden by community flags"),
    "hide": _l("Post hidden"),
    "unhide": _l("Post shown again"),
    "delete": _l("Post deleted"),
    "restore": _l("Post restored"),
    "edit": _l("Post edited by a moderator"),
    "approve": _l("Post approved"),
    "reject": _l("Post rejected"),
    "agree": _l("Flags upheld"),
    "disagree": _l("Flags dismissed"),
    "ignore": _l("Flags ignored"),
    "lock": _l("Thread closed"),
    "unlock": _l("Thread reopened"),
    "pin": _l("Thread pinned"),
    "unpin": _l("Thread unpinned"),
    "move": _l("Thread moved"),
    "merge": _l("Threads merged"),
    "split": _l("Posts split into a new thread"),
    "silence": _l("Member silenced"),
    "unsilence": _l("Silence lifted"),
    "suspend": _l("Member suspended"),
    "unsuspend": _l("Suspension lifted"),
    "retag": _l("Thread retagged"),
    "role": _l("Role changed"),
    "approve_member": _l("Registration approved"),
    "reject_member": _l("Registration not approved"),
    "appeal": _l("Action appealed by the author"),
    "appeal_granted": _l("Appeal granted"),
    "appeal_upheld": _l("Appeal turned down"),
}

REASON_CODE_LABELS = {**{reason.value: label for reason, label in FLAG_REASON_LABELS.items()},
                      "manual": _l("A moderator's decision"), "flags": _l("Community flags"),
                      "new_member": _l("New member's first posts"), "duplicate": _l("Duplicate")}
