"""Upload test helpers: real pictures and files built with Pillow and zipfile, and a member's upload call."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from community.extensions import db
from community.forum.models import Post
from community.uploads import storage
from community.uploads.models import PostUpload, Upload


def png(width: int = 40, height: int = 30, color=(200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps(width: int = 60, height: int = 40) -> bytes:
    """A JPEG whose EXIF names a camera and a place (GPS)."""
    image = Image.new("RGB", (width, height), (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Maker"  # Make
    exif[0x0110] = "SpyCam 3000"   # Model
    gps = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.9)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the test's own premise: the GPS is really in there
        assert check.getexif().get_ifd(0x8825)
    return data


def zip_bytes(files: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in (files or {"readme.txt": b"hello"}).items():
            archive.writestr(name, data)
    return out.getvalue()


def stored_path(upload_id: str):
    return storage.path_of(upload_id)


class Uploader:
    """POST /api/v1/uploads as the signed-in browser session does (multipart, field `file`)."""

    def __init__(self, client):
        self.client = client

    def __call__(self, data: bytes, name: str, field: str = "file", headers=None, **form):
        payload = {field: (io.BytesIO(data), name), **form}
        return self.client.post("/api/v1/uploads", data=payload, content_type="multipart/form-data",
                                headers={"Accept": "application/json", **(headers or {})})


@pytest.fixture
def upload(client):
    return Uploader(client)


@pytest.fixture
def member_in(make, auth):
    """A signed-in member (trust level 1: may upload pictures and attach files by default)."""
    def sign_in(trust_level: int = 1, **kwargs):
        person = make.member(**kwargs)
        person.trust_level = trust_level
        db.session.commit()
        auth.login(person)
        return person
    return sign_in


@pytest.fixture(autouse=True)
def _remove_stored_files(app):
    """Leave UPLOADS_PATH as it was (other tests count the files a backup takes)."""
    root = Path(app.config["UPLOADS_PATH"])
    before = set(root.rglob("*")) if root.exists() else set()
    yield
    for path in (set(root.rglob("*")) if root.exists() else set()) - before:
        if path.is_file():
            path.unlink()


def plant_attachments(posts: dict[str, int]) -> list[str]:
    """For each {marker: post id}: a .txt attachment holding the marker, owned by the post's author and used by
    that post (the leak table's uploads channel fetches the returned URLs)."""
    urls = []
    for marker, post_id in posts.items():
        post = db.session.get(Post, post_id)
        stored = storage.store(storage.prepare_file(io.BytesIO(f"Notes {marker}".encode()), "txt", 10_000))
        db.session.add(Upload(id=stored.id, owner_id=post.author_id, kind="file", content_type=stored.content_type,
                              original_name=f"{marker}.txt", bytes=stored.bytes))
        db.session.flush()
        db.session.add(PostUpload(post_id=post.id, upload_id=stored.id))
        urls.append(stored.url)
    db.session.commit()
    return urls
