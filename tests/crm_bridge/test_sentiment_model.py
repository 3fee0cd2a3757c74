"""The sentiment model behind crm_bridge/sentiment.py: explanations, retraining, staff corrections, rescoring."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from community.extensions import db as _db
from community.forum import services as forum
from community.members.models import Role
from crm_bridge import moods
from crm_bridge.models import CrmProfile, PostSentiment
from crm_bridge.scores import compute
from crm_bridge.sentiment import Model, read
from crm_bridge.sentiment_model import train


@pytest.mark.parametrize("text", [
    "The battery died after two days and support never answered. Useless.",
    "Absolutely love the new dashboard, setup was quick and painless!",
    "It is not good at all, the app keeps crashing",
    "客服态度很差，等了三天都没人回复，非常失望。",
    "房间干净，服务热情，早餐也很丰富，下次还会再来。",
])
def test_every_reason_names_words_that_occur_in_the_text(text):
    reading = read(text)
    assert reading.reasons, reading
    lowered = text.lower()
    for phrase, _push in reading.reasons:
        words = phrase.removeprefix("not ").split(" ")
        assert all(word in lowered for word in words), (phrase, text)


def test_reasons_point_the_way_the_label_goes():
    bad = read("Terrible update, my router is broken and useless.")
    assert bad.label == "negative" and bad.reasons[0][1] < 0
    good = read("Great support, they fixed it fast. Thank you!")
    assert good.label == "positive" and good.reasons[0][1] > 0


def test_negation_and_contrast_change_the_reading():
    assert read("The new firmware is good").label == "positive"
    assert read("The new firmware is not good").label == "negative"
    # what comes after "but" weighs more than what comes before
    assert read("The box looked nice but the device is broken and useless").label == "negative"


def test_a_plain_question_reads_neutral_in_both_languages():
    assert read("Which firmware version should I install on the X6?").label == "neutral"
    assert read("请问 X6 路由器的固件在哪里下载？").label == "neutral"


def test_a_retrained_model_file_is_loaded(app, tmp_path):
    rows = [("zorblax works", "positive"), ("zorblax again", "positive"), ("so zorblax", "positive"),
            ("quuxly broken", "negative"), ("quuxly again", "negative"), ("so quuxly", "negative")] * 3
    bias, weights = train.fit(rows, "en", c=10)
    Model("en", "en-test-1", bias, weights, neutral_below=0.01).save(tmp_path / "en.json.gz")
    shipped = read("zorblax")
    app.config["SENTIMENT_MODEL_DIR"] = str(tmp_path)
    try:
        retrained = read("zorblax")
    finally:
        app.config.pop("SENTIMENT_MODEL_DIR")
    assert shipped.version != "en-test-1" and "zorblax" not in dict(shipped.reasons)  # a word it never learned
    assert retrained.version == "en-test-1" and retrained.label == "positive"
    assert retrained.reasons[0][0] == "zorblax"


def test_training_parts_never_overlap():
    texts = [text for rows in train.english_reviews().values() for text, _label in rows]
    parts = {text: train.part(text) for text in texts}
    assert set(parts.values()) == {"train", "tune", "test"}
    assert all(train.part(text) == part for text, part in list(parts.items())[:200])  # stable across calls


def _risk_reasons(member):
    _db.session.expire_all()
    profile = _db.session.scalars(select(CrmProfile).where(CrmProfile.member_id == member.id)).one()
    return " ".join(compute(profile).risk.reasons)


def test_a_staff_correction_overrides_the_model_in_every_figure(client, auth, make):
    ivy = make.member("ivy")
    thread = make.thread(author=ivy, body="This router is terrible and broken, I hate it.")
    make.post(thread, author=ivy, body="Still awful, the update made it useless.")
    rows = _db.session.scalars(select(PostSentiment).where(PostSentiment.thread_id == thread.id)
                               .order_by(PostSentiment.post_id)).all()
    assert [r.label for r in rows] == ["negative", "negative"]
    assert moods.member_summary(ivy.id)["negative"] == 2
    assert "2 of their last five posts read negative" in _risk_reasons(ivy)
    staffer = make.member("sam", role=Role.staff)
    auth.login(staffer)
    post_id = rows[0].post_id
    response = client.post(f"/crm/posts/{post_id}/sentiment", data={"label": "positive"})
    assert response.status_code == 302
    _db.session.expire_all()
    row = _db.session.get(PostSentiment, post_id)
    assert (row.label, row.score, row.model_label, row.corrected_by_id) == ("positive", 1.0, "negative", staffer.id)
    assert moods.member_summary(ivy.id)["positive"] == 1 and moods.member_summary(ivy.id)["negative"] == 1
    assert "read negative" not in _risk_reasons(ivy)
    page = client.get("/crm/members/ivy").get_data(as_text=True)
    assert "Sentiment corrections (1)" in page and "corrected to positive" in page
    thread_page = client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert "Reads positive" in thread_page and "corrected by staff" in thread_page
    # taking the correction back restores the model's reading
    client.post(f"/crm/posts/{post_id}/sentiment", data={"label": ""})
    _db.session.expire_all()
    assert _db.session.get(PostSentiment, post_id).label == "negative"
    assert "2 of their last five posts read negative" in _risk_reasons(ivy)


def test_an_edit_keeps_the_staff_correction(make):
    thread = make.thread()
    reply = make.post(thread, body="Awful, broken, useless.")
    row = _db.session.get(PostSentiment, reply.id)
    moods.correct(row, "neutral", make.member("sam", role=Role.staff))
    _db.session.commit()
    forum.edit_post(reply.author, reply, "Still awful and broken, even worse now.")
    _db.session.commit()
    _db.session.expire_all()
    row = _db.session.get(PostSentiment, reply.id)
    assert (row.label, row.model_label) == ("neutral", "negative")


@pytest.mark.parametrize("role", [None, Role.member, Role.moderator])
def test_only_staff_correct_or_export(client, auth, make, role):
    thread = make.thread(body="Terrible and broken.")
    row = _db.session.scalars(select(PostSentiment).where(PostSentiment.thread_id == thread.id)).one()
    if role is not None:
        auth.login(make.member("someone", role=role))
    answer = client.post(f"/crm/posts/{row.post_id}/sentiment", data={"label": "positive"})
    assert answer.status_code in (302, 404) and (answer.status_code == 404 or "/login" in answer.location)
    assert client.get("/crm/sentiment/corrections.tsv").status_code in (302, 404)
    _db.session.expire_all()
    assert _db.session.get(PostSentiment, row.post_id).corrected_label is None


def test_a_bad_label_is_refused_and_nothing_changes(client, auth, make):
    thread = make.thread(body="Terrible and broken.")
    row = _db.session.scalars(select(PostSentiment).where(PostSentiment.thread_id == thread.id)).one()
    auth.login(make.member("sam", role=Role.staff))
    answer = client.post(f"/crm/posts/{row.post_id}/sentiment", data={"label": "furious"})
    assert answer.status_code == 422 and "Choose positive, neutral or negative" in answer.get_data(as_text=True)
    _db.session.expire_all()
    assert _db.session.get(PostSentiment, row.post_id).corrected_label is None
    assert client.post("/crm/posts/999999/sentiment", data={"label": "positive"}).status_code == 404


def test_corrections_export_as_labelled_data(client, auth, make, app):
    thread = make.thread(body="Terrible and broken.")
    row = _db.session.scalars(select(PostSentiment).where(PostSentiment.thread_id == thread.id)).one()
    staffer = make.member("sam", role=Role.staff)
    moods.correct(row, "positive", staffer)
    _db.session.commit()
    auth.login(staffer)
    body = client.get("/crm/sentiment/corrections.tsv").get_data(as_text=True)
    assert body == "en\tpositive\tTerrible and broken.\n"
    result = app.test_cli_runner().invoke(args=["crm", "export-sentiment-labels"])
    assert result.exit_code == 0 and "en\tpositive\tTerrible and broken." in result.output


def test_rescore_is_resumable_and_keeps_old_scores_until_rewritten(make, app):
    threads = [make.thread(body=f"Thread {n}: awful, broken, useless.") for n in range(5)]
    _db.session.execute(update(PostSentiment).values(model_version="old-model", score=0.5, label="positive"))
    _db.session.commit()

    class Stop(Exception):
        pass

    def stop_after_first_batch(_count):
        raise Stop

    with pytest.raises(Stop):
        moods.rescore(progress=stop_after_first_batch, batch=2)
    _db.session.expire_all()
    rows = _db.session.scalars(select(PostSentiment).order_by(PostSentiment.post_id)).all()
    assert [r.label for r in rows] == ["negative", "negative", "positive", "positive", "positive"]
    assert moods.pending_rescore() == 3
    result = app.test_cli_runner().invoke(args=["crm", "rescore", "--batch", "2"])
    assert result.exit_code == 0 and "Rescored 3 posts." in result.output
    _db.session.expire_all()
    assert {r.label for r in _db.session.scalars(select(PostSentiment))} == {"negative"}
    assert moods.pending_rescore() == 0 and len(threads) == 5


def test_rescore_leaves_staff_corrections_alone(make):
    thread = make.thread(body="Awful, broken, useless.")
    row = _db.session.scalars(select(PostSentiment).where(PostSentiment.thread_id == thread.id)).one()
    moods.correct(row, "positive", make.member("sam", role=Role.staff))
    row.model_version = "old-model"
    _db.session.commit()
    moods.rescore()
    _db.session.expire_all()
    row = _db.session.get(PostSentiment, row.post_id)
    assert (row.label, row.model_label) == ("positive", "negative")
