"""POST /api/v1/uploads as a member's composer uses it: what comes back, and what is refused (no 500, clear JSON)."""
from __future__ import annotations

import io

from PIL import Image

from community import settings
from community.api import services as tokens
from community.extensions import db
from community.uploads.models import Upload
from tests.conftest import csrf_token_from

from .conftest import jpeg_with_gps, png, stored_path, zip_bytes


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"]["message"] and body["error"]["code"]
    return body["error"]


def test_member_uploads_a_picture_and_gets_its_address_and_size(upload, member_in, client):
    member_in()
    response = upload(png(40, 30), "holiday.png")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["kind"] == "image" and (body["width"], body["height"]) == (40, 30)
    assert body["url"] == f"/uploads/{body['id']}" and body["bytes"] > 0 and body["thumbnail_url"] is None
    shown = client.get(body["url"])
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"


def test_a_large_picture_is_shrunk_and_gets_a_thumbnail(upload, member_in, client):
    member_in()
    body = upload(png(3000, 1000), "panorama.png").get_json()
    assert (body["width"], body["height"]) == (2048, 683)
    thumb = client.get(body["thumbnail_url"])
    with Image.open(io.BytesIO(thumb.data)) as image:
        assert image.size == (800, 267)


def test_a_text_file_is_an_attachment_downloaded_not_shown(upload, member_in, client):
    member_in()
    body = upload("Error at line 3\nné\n".encode(), "server.log").get_json()
    assert body["kind"] == "file" and body["width"] is None and body["height"] is None
    served = client.get(body["url"])
    assert served.status_code == 200 and served.data == "Error at line 3\nné\n".encode()
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "server.log" in served.headers["Content-Disposition"]
    assert served.mimetype == "text/plain"


def test_pdf_zip_csv_and_json_that_are_what_they_say_are_accepted(upload, member_in):
    member_in()
    for data, name in ((b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n", "manual.pdf"), (zip_bytes(), "logs.zip"),
                       (b"a,b\n1,2\n", "table.csv"), (b'{"ok": true}', "config.json")):
        response = upload(data, name)
        assert response.status_code == 201, (name, response.get_data(as_text=True))


def test_exif_and_gps_are_removed_from_a_photo(upload, member_in):
    member_in()
    body = upload(jpeg_with_gps(), "photo.jpg").get_json()
    data = stored_path(body["id"]).read_bytes()
    assert b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif() and "exif" not in image.info


def test_a_gif_that_is_also_javascript_is_refused_or_defused(upload, member_in):
    member_in()
    # GIF89a/*...*/=alert(1)//: a real GIF whose logical screen size bytes open a JS comment
    out = io.BytesIO()
    Image.new("P", (2, 2)).save(out, format="GIF")
    gif = bytearray(out.getvalue())
    gif[6:10] = b"/*\x00\x00"
    polyglot = bytes(gif) + b"*/=alert(1)//"
    response = upload(polyglot, "funny.gif")
    if response.status_code == 201:
        data = stored_path(response.get_json()["id"]).read_bytes()
        assert b"alert" not in data and data.startswith(b"\x89PNG")
    else:
        _error(response, 422)


def test_an_svg_with_a_script_is_never_accepted(upload, member_in):
    member_in()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert "SVG" in _error(upload(svg, "logo.svg"), 422)["message"]


def test_html_renamed_png_and_a_zip_renamed_png_are_refused(upload, member_in):
    member_in()
    assert "not an image" in _error(upload(b"<html><script>alert(1)</script></html>", "cat.png"), 422)["message"]
    assert "not an image" in _error(upload(zip_bytes(), "cat.png"), 422)["message"]


def test_text_that_is_a_web_page_or_binary_is_refused(upload, member_in):
    member_in()
    assert "web page" in _error(upload(b"<!DOCTYPE html><html><body>hi", "notes.txt"), 422)["message"]
    assert "plain text" in _error(upload(b"\xff\xfe\x00\x01binary", "notes.log"), 422)["message"]
    assert "PDF" in _error(upload(b"<html>", "manual.pdf"), 422)["message"]
    assert "zip" in _error(upload(b"PK not really", "logs.zip"), 422)["message"]
    assert "JSON" in _error(upload(b"{nope", "config.json"), 422)["message"]


def test_a_decompression_bomb_is_refused(upload, member_in):
    member_in()
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")  # 400 megapixels in a few kilobytes
    assert len(out.getvalue()) < 200_000
    assert "pixels" in _error(upload(out.getvalue(), "bomb.png"), 422)["message"]


def test_a_truncated_picture_is_refused(upload, member_in):
    member_in()
    data = jpeg_with_gps(400, 300)
    _error(upload(data[: len(data) // 2], "half.jpg"), 422)


def test_a_50_mb_body_is_refused_before_it_is_read(upload, member_in):
    member_in()
    error = _error(upload(b"\0" * (50 * 1024 * 1024), "huge.png"), 413)
    assert error["code"] == "payload_too_large"


def test_a_file_over_the_size_limit_is_refused_with_the_limit(upload, member_in, make):
    member_in()
    settings.save({"uploads.max_file_bytes": 1024})
    db.session.commit()
    assert "at most" in _error(upload(b"x" * 5000, "big.txt"), 422)["message"]


def test_types_not_allowed_wrong_field_and_no_file(upload, member_in, client):
    member_in()
    assert "Allowed" in _error(upload(b"MZ\x90\x00", "setup.exe"), 422)["message"]
    assert _error(upload(png(), "a.png", field="picture"), 422)["fields"]["file"]
    response = client.post("/api/v1/uploads", data={}, content_type="multipart/form-data",
                           headers={"Accept": "application/json"})
    assert _error(response, 422)["fields"]["file"]
    assert Upload.query.count() == 0


def test_a_guest_cannot_upload(upload):
    assert _error(upload(png(), "a.png"), 401)["code"] == "unauthorized"


def test_a_cookie_session_upload_needs_the_csrf_token(app, upload, member_in, client):
    member_in()
    app.config["WTF_CSRF_ENABLED"] = True
    assert _error(upload(png(), "a.png"), 400)["code"] == "csrf_failed"
    page = client.get("/settings")
    token = csrf_token_from(page.get_data(as_text=True))
    assert upload(png(), "a.png", headers={"X-CSRFToken": token}).status_code == 201


def test_new_members_may_upload_pictures_but_not_attach_files(upload, member_in):
    member_in(trust_level=0)
    assert upload(png(), "a.png").status_code == 201
    assert "attach files" in _error(upload(b"hello", "a.txt"), 403)["message"]


def test_the_daily_quota_stops_a_member_and_not_staff(upload, member_in, auth):
    settings.save({"uploads.daily_count": 2})
    db.session.commit()
    member_in()
    assert upload(png(), "1.png").status_code == 201
    assert upload(png(), "2.png").status_code == 201
    assert "limit" in _error(upload(png(), "3.png"), 429)["message"]
    auth.logout()
    member_in(role="staff")
    assert all(upload(png(), f"{n}.png").status_code == 201 for n in range(3))


def test_a_board_that_takes_only_pictures_refuses_a_file_at_upload(upload, member_in, make):
    board = make.board()
    closed = make.board()
    settings.save({"uploads.board_policies": {str(board.id): "images", str(closed.id): "none"}})
    db.session.commit()
    member_in()
    assert upload(png(), "a.png", board_id=str(board.id)).status_code == 201
    assert "only pictures" in _error(upload(b"hi", "a.txt", board_id=str(board.id)), 403)["message"]
    assert "not accept" in _error(upload(png(), "a.png", board_id=str(closed.id)), 403)["message"]
    assert _error(upload(png(), "a.png", board_id="nope"), 422)["fields"]["board_id"]
    staff_board = make.board(visibility="staff")
    assert _error(upload(png(), "a.png", board_id=str(staff_board.id)), 422)["fields"]["board_id"]


def test_a_bearer_token_with_write_scope_may_upload_without_csrf(app, client, make):
    person = make.member()
    person.trust_level = 1
    _token, secret = tokens.create_personal_token(person, "t", ["read", "write"])
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(png()), "a.png")},
                           headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"})
    assert response.status_code == 201
