"""Set, replace and remove a member's avatar; choose the letter avatar's colour.

An uploaded avatar goes through `uploads.storage.prepare_image` (decoded by Pillow, refused unless a
real PNG/JPEG/GIF/WebP/ICO, no bombs, metadata dropped), is then cropped to a centred square, shrunk
to `AVATAR_SIZE` (256) pixels and re-encoded (WebP, or PNG when it has transparency). The file is
written only once everything passed; the replaced file is deleted after the commit (a rollback keeps
the old one). Services flush; the caller commits.
"""
from __future__ import annotations

import io
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image
from sqlalchemy import select

from ..aftercommit import after_commit
from ..errors import ValidationFailed
from ..extensions import db
from ..members.models import Member
from ..signals import member_updated
from ..uploads import storage
from .markup import PALETTE

FIELD = "file"
_WORK_SIDE = 2048  # the checked image is shrunk to this first; the crop and final size come after


def _square(prepared: storage.PreparedImage, side: int) -> storage.PreparedImage:
    """Crop a prepared (already checked and re-encoded) image to a centred square of at most `side` px."""
    with Image.open(io.BytesIO(prepared.data)) as image:
        image.load()
        width, height = image.size
        edge = min(width, height)
        left, top = (width - edge) // 2, (height - edge) // 2
        image = image.crop((left, top, left + edge, top + edge))
        if edge > side:
            image = image.resize((side, side), Image.Resampling.LANCZOS)
        transparent = image.mode == "RGBA" and image.getextrema()[3][0] < 255
        out = io.BytesIO()
        if transparent:
            image.save(out, format="PNG", optimize=True)
            extension = "png"
        else:
            image.convert("RGB").save(out, format="WEBP", quality=88, method=4)
            extension = "webp"
        return storage.PreparedImage(id=f"{secrets.token_hex(16)}.{extension}", data=out.getvalue(),
                                     width=image.width, height=image.height,
                                     content_type=storage.CONTENT_TYPES[extension])


def prepare_avatar(file) -> storage.PreparedImage:
    """Check an uploaded picture and make the square avatar of it (not stored yet)."""
    if file is None or not getattr(file, "filename", "x"):
        raise ValidationFailed(_l("Please choose a picture."), {FIELD: _l("Please choose a picture.")})
    config = current_app.config
    prepared = storage.prepare_image(file, config["AVATAR_MAX_BYTES"], _WORK_SIDE, field=FIELD, force_png=True)
    return _square(prepared, config["AVATAR_SIZE"])


def set_avatar(member: Member, file) -> storage.StoredImage:
    """Make `file` the member's avatar (the previous picture is deleted once this commits)."""
    prepared = prepare_avatar(file)
    _replace(member, prepared.id)
    return storage.store(prepared)  # last: nothing before it may fail and leave the file unused


def remove_avatar(member: Member) -> bool:
    """Go back to the letter avatar; return whether there was a picture."""
    had = member.avatar_upload_id is not None
    _replace(member, None)
    return had


def set_colour(member: Member, colour) -> None:
    """Choose the letter avatar's colour (a palette index), or None for the one given by the member id."""
    if colour is not None and (type(colour) is not int or not 0 <= colour < len(PALETTE)):
        raise ValidationFailed(_l("Please choose one of the colours."), {"colour": _l("Please choose one of the colours.")})
    member.avatar_color = colour
    db.session.flush()
    member_updated.send(member, fields=["avatar"])


def _replace(member: Member, upload_id: str | None) -> None:
    old = member.avatar_upload_id
    member.avatar_upload_id = upload_id
    db.session.flush()
    if old and old != upload_id:
        after_commit(storage.delete_file, storage.path_of(old))
    member_updated.send(member, fields=["avatar"])


def on_member_deleting(member: Member, **_extra) -> None:
    """Account deletion: the picture goes (after the commit) and the colour choice with it."""
    _replace(member, None)
    member.avatar_color = None


def is_avatar(upload_id: str) -> bool:
    """Whether an upload id is some member's avatar: avatars are public, whoever reads them."""
    return db.session.scalar(select(Member.id).where(Member.avatar_upload_id == upload_id).limit(1)) is not None
