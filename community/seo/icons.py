"""The app icons (manifest, favicon, apple-touch-icon), drawn with Pillow from the admin's logo.

Each size is drawn once per logo and kept under `<instance>/icons/` named by the logo's id (a new logo is
a new id, so a changed logo draws new icons; the old files are left to be overwritten by nobody and are
tiny). Without a logo the icon is the community's initial, white on the primary colour.
"""
from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw, ImageFont, ImageOps
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..site import branding
from ..uploads import storage

SIZES = (192, 512)
FAVICON_SIZE = 48
DEFAULT_PRIMARY = "#2456c8"  # --accent in static/css/site.css
BACKGROUND = "#ffffff"


def theme_colour() -> str:
    try:
        return branding.PRIMARY_COLOR.value or DEFAULT_PRIMARY
    except SQLAlchemyError:  # the database is down: the error page still renders
        db.session.rollback()
        return DEFAULT_PRIMARY


def version() -> str:
    """What the icons are drawn from (changes when the logo, the name or the colour does)."""
    source = f"{branding.LOGO.value}|{branding.community_name()}|{theme_colour()}"
    return hashlib.sha256(source.encode()).hexdigest()[:12]


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def icon_png(size: int) -> bytes:
    """The square PNG icon of `size` pixels (drawn and kept on first use)."""
    path = _folder() / f"{version()}-{size}.png"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = _draw(size)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(data)
    partial.replace(path)  # atomic: a concurrent reader never sees half a file
    return data


def _draw(size: int) -> bytes:
    logo = storage.path_of(branding.LOGO.value) if branding.LOGO.value else None
    image = None
    if logo is not None:
        try:
            with Image.open(logo) as source:
                image = _from_logo(source, size)
        except OSError:
            image = None
    if image is None:
        image = _default(size)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _from_logo(source: Image.Image, size: int) -> Image.Image:
    """The logo centred on a white square with a margin (the safe zone of maskable icons is 80%)."""
    logo = source.convert("RGBA")
    inner = int(size * 0.8)
    logo = ImageOps.contain(logo, (inner, inner), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (size, size), BACKGROUND)
    canvas.alpha_composite(logo, ((size - logo.width) // 2, (size - logo.height) // 2))
    return canvas.convert("RGB")


def _default(size: int) -> Image.Image:
    canvas = Image.new("RGB", (size, size), theme_colour())
    letter = (branding.community_name().strip()[:1] or "C").upper()
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=int(size * 0.55))
    fill = branding.text_on(theme_colour()) or branding.WHITE
    draw.text((size / 2, size / 2), letter, font=font, fill=fill, anchor="mm")
    return canvas
