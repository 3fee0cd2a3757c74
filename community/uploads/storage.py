"""The one storage of uploaded files, under `UPLOADS_PATH` (default `<instance>/uploads`), and image checks.

Images are never trusted by their name or Content-Type: `prepare_image` decodes the bytes with Pillow and
refuses what is not a PNG, JPEG, GIF, WebP or ICO image, what is larger than `max_bytes`, and what would
decode to more than `MAX_PIXELS` (a decompression bomb: a small file that expands to gigabytes). What
passes is re-encoded (EXIF, comments and every other piece of metadata dropped; animations reduced to
their first frame), shrunk to `max_side` pixels on its longer side, and written as PNG (drawings,
transparency, favicons) or WebP (photos) under a random name.

    stored = save_image(request.files["logo"], kind="logo", max_bytes=2 * 1024 * 1024, max_side=1024)
    stored.id, stored.url, stored.width, stored.height, stored.bytes

`save_image` is `prepare_image` then `store`: a caller that must check other input first prepares,
checks, and stores only when everything is right, so a refused form leaves no file behind. The id is
the file's name (`<32 hex>.<ext>`); members' uploads key their rows (owner, visibility) by it
(community/uploads/models.py).

Members' other files go through `prepare_file(file, extension, max_bytes)`: only the extensions of
FILE_TYPES, each checked against its bytes (text must decode as UTF-8 and not look like HTML; a PDF starts
with %PDF-; a zip opens as a zip; JSON parses). `make_thumbnail(prepared, side)` shrinks a prepared image.
"""
from __future__ import annotations

import io
import json
import re
import secrets
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import ValidationFailed

ACCEPTED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP", "ICO"}
MAX_PIXELS = 25_000_000  # decoded size refused beyond this (about 100 MB of RGBA)
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp"}
# Members' attachments (not images): extension -> the Content-Type they are served with (always as a download).
FILE_TYPES = {"txt": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8",
              "csv": "text/csv; charset=utf-8", "json": "application/json", "pdf": "application/pdf",
              "zip": "application/zip"}
CONTENT_TYPES.update(FILE_TYPES)
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "webp"}
# What browsers sniff as markup in the first bytes of a file: refused in text attachments.
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|svg|object|embed|img|a\s|\?xml|meta|style)",
                     re.IGNORECASE)
MAX_ZIP_ENTRIES = 10_000
MAX_ZIP_EXPANDED = 1024 * 1024 * 1024  # a zip that claims to expand beyond this is a zip bomb
_ID_CHARS = set("0123456789abcdef")


@dataclass(frozen=True)
class StoredImage:
    """An image as stored: its id (the file name), where it is served, its size in pixels and bytes."""

    id: str
    url: str
    width: int | None
    height: int | None
    bytes: int
    content_type: str


@dataclass(frozen=True)
class PreparedImage:
    """A checked, re-encoded image not yet written (`store` writes it)."""

    id: str
    data: bytes
    width: int | None
    height: int | None
    content_type: str


def _refuse(field: str, message) -> None:
    raise ValidationFailed(message, {field: message})


def _read(file, max_bytes: int, field: str) -> bytes:
    stream = getattr(file, "stream", file)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        _refuse(field, _l("The file is too large: at most %(size)s.", size=_size(max_bytes)))
    if not data:
        _refuse(field, _l("The file is empty."))
    return data


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def prepare_image(file, max_bytes: int, max_side: int, *, field: str = "file",
                  force_png: bool = False) -> PreparedImage:
    """Decode, check and re-encode an uploaded image; raise ValidationFailed (on `field`) when it is not one."""
    data = _read(file, max_bytes, field)
    not_image = _l("This file is not an image we can use: upload a PNG, JPEG, GIF or WebP picture.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    _refuse(field, not_image)
                width, height = probe.size
                if width * height > MAX_PIXELS or width < 1 or height < 1:
                    _refuse(field, _l("The picture has too many pixels (%(w)d × %(h)d).", w=width, h=height))
                source_format = probe.format
                probe.seek(0)
                image = probe.copy()  # decodes the first frame (the largest picture of an ICO)
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(field, _l("The picture has too many pixels."))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError, TypeError):
        _refuse(field, not_image)
    image = ImageOps.exif_transpose(image)  # keep what the camera meant, then drop the EXIF itself
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha or image.mode == "P" else "RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    as_png = force_png or source_format != "JPEG" or has_alpha
    out = io.BytesIO()
    if as_png:
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="WEBP", quality=88, method=4)
    extension = "png" if as_png else "webp"
    return PreparedImage(id=f"{secrets.token_hex(16)}.{extension}", data=out.getvalue(), width=image.width,
                         height=image.height, content_type=CONTENT_TYPES[extension])


def make_thumbnail(prepared: PreparedImage, side: int) -> PreparedImage | None:
    """A smaller copy of a prepared image fitting `side` pixels (None when it is that small already)."""
    if prepared.width is None or max(prepared.width, prepared.height or 0) <= side:
        return None
    with Image.open(io.BytesIO(prepared.data)) as source:  # our own re-encoded bytes
        image = source.copy()
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    as_png = prepared.content_type == "image/png"
    image.save(out, format="PNG" if as_png else "WEBP", **({"optimize": True} if as_png else {"quality": 85}))
    extension = "png" if as_png else "webp"
    return PreparedImage(id=f"{secrets.token_hex(16)}.{extension}", data=out.getvalue(), width=image.width,
                         height=image.height, content_type=CONTENT_TYPES[extension])


def prepare_file(file, extension: str, max_bytes: int, *, field: str = "file") -> PreparedImage:
    """Check an attachment's bytes against its `extension` (one of FILE_TYPES); raise ValidationFailed if they differ."""
    extension = extension.lower()
    if extension not in FILE_TYPES:
        _refuse(field, _l("Files of this type cannot be attached."))
    data = _read(file, max_bytes, field)
    problem = _FILE_CHECKS[extension](data)
    if problem:
        _refuse(field, problem)
    return PreparedImage(id=f"{secrets.token_hex(16)}.{extension}", data=data, width=None, height=None,
                         content_type=FILE_TYPES[extension])


def _text_problem(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _l("This file is not plain text (UTF-8), as its name says.")
    if "\x00" in text:
        return _l("This file is not plain text (UTF-8), as its name says.")
    if _MARKUP.search(data[:4096]):
        return _l("This file looks like a web page, not plain text: it cannot be attached.")
    return None


def _json_problem(data: bytes):
    problem = _text_problem(data)
    if problem:
        return problem
    try:
        json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return _l("This file is not valid JSON, as its name says.")
    return None


def _pdf_problem(data: bytes):
    return None if data.startswith(b"%PDF-") else _l("This file is not a PDF document, as its name says.")


def _zip_problem(data: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return _l("This file is not a zip archive, as its name says.")
    if len(entries) > MAX_ZIP_ENTRIES or sum(entry.file_size for entry in entries) > MAX_ZIP_EXPANDED:
        return _l("This zip archive would expand to too much.")
    return None


_FILE_CHECKS = {"txt": _text_problem, "log": _text_problem, "csv": _text_problem, "json": _json_problem,
                "pdf": _pdf_problem, "zip": _zip_problem}


def root() -> Path:
    """The folder uploads are kept in (UPLOADS_PATH)."""
    return Path(current_app.config["UPLOADS_PATH"])


def valid_id(upload_id: str) -> bool:
    """Whether `upload_id` has the shape of an id `store` makes (no path tricks can pass)."""
    name, dot, extension = (upload_id or "").partition(".")
    return bool(dot) and len(name) == 32 and set(name) <= _ID_CHARS and extension in CONTENT_TYPES


def path_of(upload_id: str) -> Path | None:
    """The file of a stored upload, or None when the id is malformed or nothing is stored under it."""
    if not valid_id(upload_id):
        return None
    path = root() / upload_id[:2] / upload_id
    return path if path.is_file() else None


def url_of(upload_id: str) -> str:
    """Where an upload is served (the id alone: no query to build it)."""
    return url_for("uploads.serve", upload_id=upload_id)


def content_type_of(upload_id: str) -> str:
    return CONTENT_TYPES[upload_id.rpartition(".")[2]]


def store(prepared: PreparedImage) -> StoredImage:
    """Write a prepared image (atomically: a reader never sees half a file) and return what was stored."""
    folder = root() / prepared.id[:2]
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{prepared.id}.part"
    partial.write_bytes(prepared.data)
    partial.replace(folder / prepared.id)
    return StoredImage(id=prepared.id, url=url_of(prepared.id), width=prepared.width, height=prepared.height,
                       bytes=len(prepared.data), content_type=prepared.content_type)


def save_image(file, kind: str, max_bytes: int, max_side: int, *, field: str = "file") -> StoredImage:
    """Check and store an uploaded image in one step (`kind` names its use: logo, favicon, avatar ...).

    PNG out for favicons, drawings and transparency; WebP for photos. Raises ValidationFailed on `field`.
    """
    return store(prepare_image(file, max_bytes, max_side, field=field, force_png=kind == "favicon"))


def delete(upload_id: str) -> None:
    """Remove a stored upload (nothing happens for an unknown id)."""
    delete_file(path_of(upload_id))


def delete_file(path: Path | None) -> None:
    """Remove a stored file found with `path_of` (for `after_commit`, which passes plain data)."""
    if path is not None:
        path.unlink(missing_ok=True)
