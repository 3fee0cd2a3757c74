"""Helpers for the sharing/SEO/offline tests: a real logo stored as the admin stores it, and tag readers."""
from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path

import pytest
from flask import current_app, g
from PIL import Image
from werkzeug.datastructures import FileStorage

from community import settings
from community.extensions import db
from community.uploads import storage


@pytest.fixture(autouse=True)
def own_folders(app, tmp_path):
    """Each test stores uploads and drawn icons in its own folders."""
    before = app.config["UPLOADS_PATH"]
    app.config["UPLOADS_PATH"] = str(tmp_path / "uploads")
    yield
    app.config["UPLOADS_PATH"] = before


def png(size=(300, 100), colour=(11, 107, 92)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def set_logo(data: bytes | None = None) -> str:
    """Store a logo as the admin's form does and make it the site's; return its upload id."""
    with current_app.test_request_context():
        stored = storage.save_image(FileStorage(io.BytesIO(data or png()), "logo.png"), kind="logo",
                                    max_bytes=2 * 1024 * 1024, max_side=1024)
    settings.save({"site.logo": stored.id})
    db.session.commit()
    g.pop("site_settings", None)
    g.pop("_brand", None)
    return stored.id


def meta_tags(html: str) -> dict:
    """{name or property: content} of the page's <meta> tags, and "canonical" for the canonical link."""
    found = {}
    for _attr, key, content in re.findall(r'<meta (name|property)="([^"]+)" content="([^"]*)"', html):
        found[key] = unescape(content)
    canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html)
    if canonical:
        found["canonical"] = unescape(canonical.group(1))
    return found


def image_of(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def instance_icons(app) -> list[Path]:
    folder = Path(app.instance_path) / "icons"
    return sorted(folder.glob("*.png")) if folder.exists() else []
