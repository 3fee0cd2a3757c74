"""Admins set what members may upload; unused uploads are pruned; the OpenAPI document shows the endpoint."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import literal, select, update

from community import settings
from community.dbtypes import utcnow
from community.extensions import db
from community.forum import services as forum
from community.registry import scheduled_jobs
from community.uploads import register_upload_reader
from community.uploads.models import Upload
from community.uploads.services import _IN_USE_KEY, _READERS_KEY, prune_orphans

from .conftest import png, stored_path


def test_admin_sets_upload_rules_and_a_boards_rule(client, auth, make, upload):
    board = make.board(name="Screenshots")
    auth.login(make.member(role="admin"))
    page = client.get("/admin/uploads")
    assert page.status_code == 200 and "Screenshots" in page.get_data(as_text=True)
    response = client.post("/admin/uploads", data={
        "file_extensions": "txt pdf", "max_image_mb": "2", "max_file_mb": "1", "max_image_side": "1024",
        "images_min_trust": "0", "files_min_trust": "2", "daily_count": "10", "daily_mb": "20",
        f"board-{board.id}": "images"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert settings.get("uploads.file_extensions") == "txt pdf"
    assert settings.get("uploads.max_file_bytes") == 1024 * 1024
    assert settings.get("uploads.files_min_trust") == 2
    assert settings.get("uploads.board_policies") == {str(board.id): "images"}
    assert "Uploads" in client.get("/admin").get_data(as_text=True)
    # the admin (staff) may upload; a zip is no longer an allowed type
    assert "Allowed" in upload(b"PK", "a.zip").get_json()["error"]["message"]


def test_an_unknown_type_is_refused_on_the_admin_form(client, auth, make):
    auth.login(make.member(role="admin"))
    response = client.post("/admin/uploads", data={
        "file_extensions": "exe", "max_image_mb": "2", "max_file_mb": "1", "max_image_side": "1024",
        "images_min_trust": "0", "files_min_trust": "2", "daily_count": "10", "daily_mb": "20"})
    assert response.status_code == 422 and "Unknown file types: exe" in response.get_data(as_text=True)


def test_members_cannot_open_the_upload_settings(client, auth, make):
    auth.login(make.member())
    assert client.get("/admin/uploads").status_code == 404


def test_uploads_unused_after_a_day_are_pruned_and_used_ones_kept(app, upload, member_in, make):
    author = member_in()
    used = upload(png(), "used.png").get_json()
    unused = upload(png(), "unused.png").get_json()
    fresh = upload(png(), "fresh.png").get_json()
    forum.start_thread(author, make.board(), "A picture for everyone", f"![pic]({used['url']})")
    db.session.execute(update(Upload).where(Upload.id.in_([used["id"], unused["id"]]))
                       .values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    assert "uploads.prune_orphans" in scheduled_jobs(app)
    assert prune_orphans() == 1
    db.session.commit()
    assert stored_path(unused["id"]) is None and db.session.get(Upload, unused["id"]) is None
    assert stored_path(used["id"]) is not None and stored_path(fresh["id"]) is not None


def test_openapi_documents_the_multipart_upload(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/uploads"]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == ["file"]
    assert set(operation["responses"]["201"]["content"]["application/json"]["schema"]["required"]) == {
        "id", "url", "kind", "width", "height", "bytes"}


def test_admin_sets_a_boards_upload_rule_on_its_edit_form(client, auth, make):
    board = make.board("screens", name="Screens")
    auth.login(make.member(role="admin"))
    assert "Pictures and files in posts" in client.get("/admin/boards/screens/edit").get_data(as_text=True)
    form = {"slug": "screens", "name": "Screens", "kind": "discussion", "visibility": "public",
            "default_sort": "latest", "start_policy": "members", "start_min_trust": "0"}
    assert client.post("/admin/boards/screens/edit", data={**form, "uploads": "none"}).status_code == 302
    assert settings.get("uploads.board_policies") == {str(board.id): "none"}
    page = client.get("/admin/boards/screens/edit").get_data(as_text=True)
    assert '<option selected value="none">' in page or 'value="none" selected' in page
    assert client.post("/admin/boards/screens/edit", data={**form, "uploads": "all"}).status_code == 302
    assert settings.get("uploads.board_policies") == {}


def test_an_upload_another_area_uses_is_not_pruned(app, upload, member_in):
    member_in()
    kept = upload(b"shared in a conversation", "note.txt").get_json()
    db.session.execute(update(Upload).values(created_at=utcnow() - timedelta(days=2)))
    db.session.commit()

    def conversation_reader(member, row):
        return False

    def conversation_uploads():
        return select(literal(kept["id"]))

    register_upload_reader(app, conversation_reader, in_use=conversation_uploads)
    try:
        assert prune_orphans() == 0
    finally:
        app.extensions[_READERS_KEY].remove(conversation_reader)
        app.extensions[_IN_USE_KEY].remove(conversation_uploads)
    assert prune_orphans() == 1


def test_admin_caps_upload_sizes_by_trust_level(client, auth, make, upload, member_in):
    auth.login(make.member(role="admin"))
    form = {"file_extensions": "txt log", "max_image_mb": "8", "max_file_mb": "8", "max_image_side": "2048",
            "images_min_trust": "0", "files_min_trust": "0", "daily_count": "50", "daily_mb": "100"}
    refused = client.post("/admin/uploads", data={**form, "mb_by_trust": "1 2"})
    assert refused.status_code == 422 and "Five sizes in MB" in refused.get_data(as_text=True)
    assert client.post("/admin/uploads", data={**form, "mb_by_trust": "1 0 0 0 0"}).status_code == 302
    assert settings.get("uploads.max_mb_by_trust") == [1, 0, 0, 0, 0]
    assert 'value="1 0 0 0 0"' in client.get("/admin/uploads").get_data(as_text=True)
    log = b"router log line, all fine\n" * 60_000  # about 1.5 MB of text
    auth.logout()
    member_in(trust_level=0)
    answer = upload(log, "router.log")
    assert answer.status_code in (413, 422) and answer.get_json()["error"]["message"]
    assert db.session.scalar(select(literal(1)).select_from(Upload)) is None  # nothing stored
    auth.logout()
    member_in(trust_level=1)
    assert upload(log, "router.log").status_code == 201  # level 1: the site-wide 8 MB
