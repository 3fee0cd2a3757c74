"""Scores and stages are current on their own; the response queue and the feedback list agree."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from community.dbtypes import utcnow
from community.extensions import db as _db
from community.forum import services as forum
from community.forum.models import BoardKind
from community.members.models import Role
from community.moderation import review
from community.moderation.flags import flag_post
from community.ops import scheduler
from community.registry import scheduled_jobs
from crm_bridge import feedback as fb
from crm_bridge.models import CrmProfile, FeedbackItem, FeedbackStatus, Stage
from crm_bridge.scores import compute


def profile_of(member) -> CrmProfile:
    member_id = member if isinstance(member, int) else member.id
    profile = _db.session.scalar(select(CrmProfile).where(CrmProfile.member_id == member_id))
    _db.session.refresh(profile)
    return profile


def test_posting_moves_the_members_scores_and_stage_without_a_refresh(client, auth, make):
    member = make.member("paz")
    board = make.board()
    assert profile_of(member).engagement == 0
    for n in range(6):
        make.thread(board=board, author=member, title=f"Sharing my setup, part {n + 1}",
                    body="Thanks everyone, the mesh works great now!")  # the scores, not a negative streak
    profile = profile_of(member)
    assert profile.engagement >= 30 and profile.stage is Stage.engaged  # no `crm refresh-stages` ran
    staffer = make.member("sam", role=Role.staff)
    auth.login(staffer)
    listed = client.get("/crm/members").get_data(as_text=True)
    assert "Engaged" in listed


def test_flags_raised_and_upheld_count_where_the_explanation_says(make):
    flagger, author = make.member("fern"), make.member("tobias")
    flagger.trust_level = 1
    moderator = make.member("moira", role=Role.moderator)
    board = make.board()
    posts = [make.post(make.thread(board=board, author=author), author=author, body=f"Buy cheap pills {n}")
             for n in range(3)]
    before = profile_of(flagger).engagement
    flags = [flag_post(flagger, post, "spam") for post in posts]
    _db.session.commit()
    profile = profile_of(flagger)
    assert profile.engagement > before
    assert "3 posts flagged for the moderators in 90 days." in compute(profile).engagement.reasons
    advocacy_before = profile.advocacy
    for flag in flags[:2]:
        review.resolve(moderator, flag.item, "agreed")
    review.resolve(moderator, flags[2].item, "disagreed")
    _db.session.commit()
    profile = profile_of(flagger)
    assert profile.advocacy == advocacy_before + 10
    assert "2 of their flags upheld by the moderators in 90 days." in compute(profile).advocacy.reasons


def test_the_scheduler_recomputes_everyone_so_silence_makes_members_dormant(app, make):
    assert "crm.refresh-stages" in scheduled_jobs(app)
    member = make.member("quiet")
    make.thread(board=make.board(), author=member)
    member_id = member.id
    long_ago = utcnow() - timedelta(days=120)
    _db.session.execute(update(CrmProfile).where(CrmProfile.member_id == member.id)
                        .values(first_seen_at=long_ago, last_active_at=long_ago, stage=Stage.active))
    _db.session.commit()
    outcome = scheduler.run_due(app)
    assert outcome.get("crm.refresh-stages") == "ok"
    assert profile_of(member_id).stage is Stage.dormant


def test_every_item_waiting_for_the_brand_past_the_target_is_in_the_queue(client, auth, make):
    staffer = make.member("sam", role=Role.staff)
    questions, ideas = make.board(kind=BoardKind.question), make.board(kind=BoardKind.idea)
    waiting = make.thread(board=questions, title="Still waiting about my warranty claim")
    idea = make.thread(board=ideas, title="Please add a dark mode to the router page")
    reopened = make.thread(board=questions, title="Answered but staff set it back to waiting")
    whispered = make.thread(board=questions, title="Only a staff whisper so far")
    fresh = make.thread(board=questions, title="Asked a minute ago about pairing")
    answered = make.thread(board=questions, title="Answered in time by the team")
    make.post(reopened, author=staffer, body="Try a reset first.")
    make.post(answered, author=staffer, body="Here is how to do it.")
    forum.reply(staffer, whispered, "internal: check the logs", whisper=True)
    fb.item_for(reopened.id).status = FeedbackStatus.open
    for thread in (waiting, idea, reopened, whispered, answered):
        _db.session.execute(update(FeedbackItem).where(FeedbackItem.thread_id == thread.id)
                            .values(created_at=utcnow() - timedelta(days=20)))
    _db.session.commit()
    auth.login(staffer)
    listed = client.get("/crm/feedback?status=open").get_data(as_text=True)
    queue = client.get("/crm/response-queue").get_data(as_text=True)
    for thread in (waiting, idea, reopened, whispered):
        assert thread.title in listed and thread.title in queue
    assert fresh.title in listed and fresh.title not in queue  # waiting, but not yet past the target
    assert answered.title not in listed and answered.title not in queue


def test_a_staff_whisper_is_no_answer_to_the_member(make):
    staffer, asker = make.member("sam", role=Role.staff), make.member("ana")
    thread = make.thread(board=make.board(kind=BoardKind.question), author=asker)
    forum.reply(staffer, thread, "internal: known issue", whisper=True)
    _db.session.commit()
    assert fb.item_for(thread.id).status is FeedbackStatus.open
