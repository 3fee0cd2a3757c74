"""Avatars: each test stores uploads in its own folder; real images built with Pillow."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture(autouse=True)
def own_uploads(app, tmp_path):
    """Each test stores its uploads in its own folder."""
    before = app.config["UPLOADS_PATH"]
    app.config["UPLOADS_PATH"] = str(tmp_path / "uploads")
    yield
    app.config["UPLOADS_PATH"] = before


def image_bytes(fmt: str = "PNG", size=(64, 64), colour=(200, 30, 30), **save) -> bytes:
    """A real image: a solid colour with a white band in the middle third (to see the crop)."""
    mode = "RGBA" if len(colour) == 4 else "RGB"
    image = Image.new(mode, size, colour)
    width, height = size
    band = Image.new(mode, (max(1, width // 3), height), (255, 255, 255) + ((255,) if mode == "RGBA" else ()))
    image.paste(band, (width // 3, 0))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def stored_files(app) -> list[str]:
    root = Path(app.config["UPLOADS_PATH"])
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(client, data: bytes, name: str = "me.png"):
    return client.post("/settings/avatar", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")
