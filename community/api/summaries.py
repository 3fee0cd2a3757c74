"""The API operations' summaries as messages, so /developers/api reads in the reader's language.

The OpenAPI document (/api/v1/openapi.json) stays in English, for machines; the page translates each
summary at render time (`_(op.summary)`). Each `summary=` of an `@operation` is listed here for the
extraction; tests/community/api/test_developers_page.py fails when one is missing.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SUMMARIES = (
    _l("A conversation and a page of its messages (oldest first; by default the last page); marks it read"),
    _l("A member's CRM timeline, newest first (staff)"),
    _l("A member's public profile"),
    _l("A page of a board's threads"),
    _l("A thread with a page of its posts"),
    _l("Bookmark a thread or a post (again: update its note and reminder)"),
    _l("CRM profiles, most recently active first (staff)"),
    _l("Change a board: names, kind, visibility, who may start threads, archived, position (admins)"),
    _l("Change a bookmark's reminder or note"),
    _l("Create a board (admins)"),
    _l("Decide a review item"),
    _l("Delete a board: an empty one, or after moving its threads to `move_to` (admins)"),
    _l("Delete a post (an opening post deletes its thread)"),
    _l("Discard your draft for a place"),
    _l("Edit a post (and the title, for an opening post)"),
    _l("Every board, of every visibility, archived ones too (admins)"),
    _l("Exchange a username or email and password for a bearer token"),
    _l("Feedback items: ideas, bugs, complaints, questions, praise (staff)"),
    _l("Flag a post for the moderators"),
    _l("Keep what you typed for a place (an empty body discards it)"),
    _l("List your sign-in and personal tokens (never their secrets)"),
    _l("Mark a reply as the accepted answer of a question (post_id null clears it)"),
    _l("Members whose username or display name starts with q"),
    _l("Moderate a post: hide, unhide, delete, restore"),
    _l("Moderate a thread: pin, lock, move, retag, hide, delete, restore..."),
    _l("One CRM profile: identity, stage, scores, tags (staff)"),
    _l("One post"),
    _l("React to a post (the same reaction again takes it back)"),
    _l("Register a member (the same rules as the sign-up page)"),
    _l("Record a social interaction (idempotent by external_id; staff)"),
    _l("Remove a bookmark"),
    _l("Render a post body exactly as it would be saved"),
    _l("Reply in a conversation"),
    _l("Reply to a thread"),
    _l("Revoke a token (your own; admins: any)"),
    _l("Search posts (the same as the /search page)"),
    _l("Set a member's role: member, moderator, staff or admin (admins)"),
    _l("Set an idea's public status (staff)"),
    _l("Start a conversation with members, or with the staff inbox"),
    _l("Start a thread (optionally with tags and a poll)"),
    _l("Tags starting with q on threads you may read"),
    _l("The boards you may read"),
    _l("The calling member, with private fields"),
    _l("The review queue (moderators): flagged and pending posts, reported members"),
    _l("This document"),
    _l("Upload a picture or a file for a post"),
    _l("Vote on a post: 1 up, -1 down, 0 takes the vote back"),
    _l("Your bookmarks, newest first"),
    _l("Your draft for a place (an empty body when there is none)"),
    _l("Your notifications, newest first"),
    _l("Your private conversations, unread first, then most recent"),
)
