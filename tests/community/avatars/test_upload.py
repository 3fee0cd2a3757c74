"""Uploading an avatar in settings: what the member sees beside their posts, and what bad files get."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from community.extensions import db
from community.members.models import Member

from .conftest import image_bytes, stored_files, upload


def _avatar_id(member) -> str | None:
    db.session.expire_all()
    return db.session.get(Member, member.id).avatar_upload_id


def test_an_uploaded_photo_is_cropped_square_shrunk_and_loses_its_exif(app, client, auth, make):
    member = make.member("ann")
    auth.login(member)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    response = upload(client, image_bytes("JPEG", size=(1200, 600), exif=exif.tobytes()), "holiday.jpg")
    assert response.status_code == 302 and response.headers["Location"].endswith("/settings#avatar")
    avatar_id = _avatar_id(member)
    assert avatar_id and avatar_id.endswith(".webp")
    served = make_guest(app).get(f"/uploads/{avatar_id}")  # avatars are public
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert b"SecretCam" not in served.data
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.size == (256, 256) and not image.getexif()
        image = image.convert("RGB")
        # the centred square of a 1200x600 picture whose middle third is white: white in the middle,
        # red at the edges (a squashed picture would have the white band narrower than half)
        assert image.getpixel((128, 128))[1] > 200
        assert image.getpixel((5, 128))[1] < 80 and image.getpixel((250, 128))[1] < 80
        assert image.getpixel((70, 128))[1] > 200  # the band covers 400 of the 600 px kept


def test_a_transparent_png_stays_png(client, auth, make):
    member = make.member()
    auth.login(member)
    assert upload(client, image_bytes("PNG", size=(300, 500), colour=(10, 20, 30, 0))).status_code == 302
    assert _avatar_id(member).endswith(".png")


def test_the_avatar_shows_beside_the_members_posts_for_everyone(app, client, auth, make):
    author = make.member("poster")
    thread = make.thread(author=author)
    make.post(thread, author=author, body="My reply with a picture beside it.")
    auth.login(author)
    upload(client, image_bytes())
    avatar_id = _avatar_id(author)
    page = make_guest(app).get(f"/t/{thread.id}").get_data(as_text=True)
    heads = re.findall(r'<header class="post-head">(.*?)</header>', page, re.S)
    assert len(heads) == 2
    for head in heads:
        assert f'<img class="avatar avatar-40" src="/uploads/{avatar_id}" width="40" height="40"' in head
        assert head.index("avatar") < head.index("poster")
    board = make_guest(app).get(f"/b/{thread.board.slug}").get_data(as_text=True)
    assert f'src="/uploads/{avatar_id}"' in board  # the thread list shows the starter's avatar
    profile = make_guest(app).get("/u/poster").get_data(as_text=True)
    assert f'src="/uploads/{avatar_id}"' in profile


def test_a_new_avatar_replaces_the_old_file_and_remove_goes_back_to_the_letter(app, client, auth, make):
    member = make.member("bob")
    auth.login(member)
    upload(client, image_bytes())
    first = _avatar_id(member)
    upload(client, image_bytes(colour=(0, 0, 200)))
    second = _avatar_id(member)
    assert second != first and stored_files(app) == [second]
    assert client.get(f"/uploads/{first}").status_code == 404
    response = client.post("/settings/avatar/remove")
    assert response.status_code == 302 and _avatar_id(member) is None
    assert stored_files(app) == []
    page = client.get("/settings").get_data(as_text=True)
    assert 'avatar-letter' in page and ">B</span>" in page and "Remove my picture" not in page


HTML_AS_PNG = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize("data, name, message", [
    (b"just some words, not a picture", "me.png", "not an image"),
    (HTML_AS_PNG, "me.png", "not an image"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "me.svg", "not an image"),
    (image_bytes()[:40], "cut.png", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024 + 10), "big.png", "too large: at most 5 MB"),
])
def test_bad_files_get_a_clear_error_and_change_nothing(app, client, auth, make, data, name, message):
    member = make.member()
    auth.login(member)
    response = upload(client, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="avatar-file-error"' in page and message in page
    assert _avatar_id(member) is None and stored_files(app) == []


def test_a_decompression_bomb_is_refused(app, client, auth, make):
    member = make.member()
    auth.login(member)
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    response = upload(client, out.getvalue(), "bomb.png")
    assert response.status_code == 422 and "too many pixels" in response.get_data(as_text=True)
    assert _avatar_id(member) is None and stored_files(app) == []


def test_no_file_chosen_says_so(client, auth, make):
    auth.login(make.member())
    response = client.post("/settings/avatar", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Please choose a picture." in response.get_data(as_text=True)


def test_guests_cannot_upload_and_the_form_needs_its_csrf_token(app, client, auth, make):
    response = upload(client, image_bytes())
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    member = make.member()
    auth.login(member)
    app.config["WTF_CSRF_ENABLED"] = True
    assert upload(client, image_bytes()).status_code == 400
    assert _avatar_id(member) is None and stored_files(app) == []


def test_deleting_the_account_deletes_the_avatar(app, client, auth, make):
    member = make.member()
    auth.login(member)
    upload(client, image_bytes())
    assert stored_files(app)
    response = client.post("/settings/delete-account", data={"password": make.PASSWORD})
    assert response.status_code == 302
    assert _avatar_id(member) is None and stored_files(app) == []


def make_guest(app):
    return app.test_client()
