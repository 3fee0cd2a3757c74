"""Members' uploads: taking a file in (checks, quota, storage), linking it to the posts that use it, who may read
it, and pruning the ones nobody used.

Settings (admins change them on /admin/uploads):
uploads.file_extensions    the attachment types members may use (a subset of storage.FILE_TYPES), space-separated
uploads.max_image_bytes    the largest picture accepted (bytes, before re-encoding)
uploads.max_file_bytes     the largest attachment accepted
uploads.max_image_side     pictures are shrunk to this many pixels on their longer side
uploads.images_min_trust   the lowest trust level that may upload pictures (moderators and staff always)
uploads.files_min_trust    the lowest trust level that may attach other files
uploads.daily_count        uploads per member per 24 hours (0: no limit; staff are not limited)
uploads.daily_bytes        bytes per member per 24 hours (0: no limit)
uploads.board_policies     {board id: "none" | "images"}: a board that takes no uploads, or only pictures
uploads.max_mb_by_trust    [MB at trust level 0, ..., 4]: a smaller largest upload per level (0: the sizes above)

Who may read an upload (`may_read`): its owner while no post uses it; anyone who may see one of the posts that use it
(`can_view_post`, asked at read time); or whoever a reader hook registered with `register_upload_reader(app,
fn)` lets in: `fn(member, upload) -> bool` (private conversations add theirs there). Nothing else: a guessed
URL of an attachment in a staff-board post answers 404.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import joinedload

from .. import settings
from ..dbtypes import utcnow
from ..errors import NotPermitted, ServiceError, ValidationFailed
from ..extensions import db
from ..forum.models import Board, Post, Thread
from ..permissions import (
    board_accepts_upload,
    can_attach_files,
    can_upload_images,
    can_view_board,
    can_view_post,
    is_moderator,
    is_staff,
    trust_level_of,
)
from . import storage
from .models import PostUpload, Upload

MB = 1024 * 1024
THUMB_SIDE = 800  # posts show pictures at most this wide: larger ones get a thumbnail linking to the full one
ORPHAN_AGE = timedelta(days=1)
POLICIES = ("all", "images", "none")


def _extensions_problem(value: str):
    unknown = set(value.split()) - set(storage.FILE_TYPES)
    return _l("Unknown file types: %(names)s.", names=", ".join(sorted(unknown))) if unknown else None


def _positive(value: int):
    return None if value >= 1 else _l("Must be at least 1.")


def _not_negative(value: int):
    return None if value >= 0 else _l("Must be 0 or more.")


def _trust(value: int):
    return None if 0 <= value <= 5 else _l("A trust level from 0 to 4 (5: nobody).")


def _mb_by_trust(value: list):
    ok = isinstance(value, list) and len(value) == 5 and all(isinstance(n, int) and 0 <= n <= 100 for n in value)
    return None if ok else _l("Five sizes in MB, for trust levels 0 to 4, each from 0 (the limit above) to 100.")


def _board_policies(value: dict):
    ok = all(isinstance(k, str) and k.isdigit() and v in ("none", "images") for k, v in value.items())
    return None if ok else _l("Each board takes uploads, only pictures, or none.")


FILE_EXTENSIONS = settings.declare("uploads.file_extensions", "txt log pdf zip csv json", str,
                                   check=_extensions_problem)
MAX_IMAGE_BYTES = settings.declare("uploads.max_image_bytes", 8 * MB, int, check=_positive)
MAX_FILE_BYTES = settings.declare("uploads.max_file_bytes", 8 * MB, int, check=_positive)
MAX_IMAGE_SIDE = settings.declare("uploads.max_image_side", 2048, int, check=_positive)
IMAGES_MIN_TRUST = settings.declare("uploads.images_min_trust", 0, int, check=_trust)
FILES_MIN_TRUST = settings.declare("uploads.files_min_trust", 1, int, check=_trust)
DAILY_COUNT = settings.declare("uploads.daily_count", 50, int, check=_not_negative)
DAILY_BYTES = settings.declare("uploads.daily_bytes", 100 * MB, int, check=_not_negative)
BOARD_POLICIES = settings.declare("uploads.board_policies", {}, dict, check=_board_policies)
# The largest upload (MB) at each trust level 0-4, below the site-wide limits; 0: those limits alone.
MB_BY_TRUST = settings.declare("uploads.max_mb_by_trust", [0, 0, 0, 0, 0], list, check=_mb_by_trust)


class QuotaExceeded(ServiceError):
    code = "quota_exceeded"
    status = 429


def board_policy(board: Board) -> str:
    """The board's rule for uploads: "all", "images" or "none"."""
    return BOARD_POLICIES.value.get(str(board.id), "all")


def set_board_policy(by, board: Board, policy: str) -> None:
    """Set the board's rule for uploads (a ValidationFailed on `uploads` for an unknown one). No commit."""
    if policy not in POLICIES:
        raise ValidationFailed(_l("Each board takes uploads, only pictures, or none."),
                               {"uploads": _l("Each board takes uploads, only pictures, or none.")})
    policies = {key: value for key, value in BOARD_POLICIES.value.items() if key != str(board.id)}
    if policy != "all":
        policies[str(board.id)] = policy
    settings.save({BOARD_POLICIES.key: policies}, by=by)


def max_bytes_for(member, kind: str) -> int:
    """The largest `kind` upload ("image" or "file") `member` may send: the site's limit, or their trust level's."""
    limit = MAX_IMAGE_BYTES.value if kind == "image" else MAX_FILE_BYTES.value
    if is_staff(member) or is_moderator(member):
        return limit
    capped = MB_BY_TRUST.value[min(max(trust_level_of(member), 0), 4)]
    return min(limit, capped * MB) if capped else limit


def request_limit() -> int:
    """The largest request body the upload endpoint reads (the larger size limit and room for the form)."""
    return max(MAX_IMAGE_BYTES.value, MAX_FILE_BYTES.value) + 64 * 1024


def clean_name(name: str | None) -> str:
    """The file's own name without any folder, control characters or markdown brackets (at most 120 characters)."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if c.isprintable() and c not in "[]()<>`*_\"")
    return name.strip(" .")[-120:] or "file"


def kind_of(name: str) -> tuple[str, str]:
    """("image" | "file", extension) of an uploaded file's name; refuse SVG and types not allowed."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension in storage.IMAGE_EXTENSIONS:
        return "image", extension
    if extension in ("svg", "svgz"):
        raise ValidationFailed(_l("SVG pictures are not accepted (they can carry scripts): upload a PNG or JPEG."),
                               {"file": _l("SVG is not accepted.")})
    if extension and extension in FILE_EXTENSIONS.value.split():
        return "file", extension
    allowed = ", ".join(["png", "jpg", "gif", "webp", *FILE_EXTENSIONS.value.split()])
    message = _l("Files of this type cannot be uploaded. Allowed: %(types)s.", types=allowed)
    raise ValidationFailed(message, {"file": message})


def _unlimited(member) -> bool:
    return is_staff(member) or is_moderator(member)


def _check_quota(member, size: int) -> None:
    if _unlimited(member):
        return
    count_limit, bytes_limit = DAILY_COUNT.value, DAILY_BYTES.value
    if not (count_limit or bytes_limit):
        return
    count, used = db.session.execute(
        select(func.count(), func.coalesce(func.sum(Upload.bytes), 0))
        .where(Upload.owner_id == member.id, Upload.created_at > utcnow() - timedelta(days=1))).one()
    if (count_limit and count >= count_limit) or (bytes_limit and used + size > bytes_limit):
        raise QuotaExceeded(_l("You have reached today's upload limit. Please try again tomorrow."))


def upload(member, file, board: Board | None = None) -> Upload:
    """Check and store a member's file (`board`: where it will be posted, when known); return its row. No commit."""
    if file is None or not getattr(file, "filename", None):
        raise ValidationFailed(_l("Choose a file to upload (the form field is named 'file')."),
                               {"file": _l("This field is required.")})
    name = clean_name(file.filename)
    kind, extension = kind_of(name)
    if kind == "image" and not can_upload_images(member):
        raise NotPermitted(_l("You cannot upload pictures yet."))
    if kind == "file" and not can_attach_files(member):
        raise NotPermitted(_l("You cannot attach files yet."))
    if board is not None and not board_accepts_upload(board, kind):
        raise NotPermitted(_l("This board accepts only pictures.") if kind == "file"
                           else _l("This board does not accept uploads."))
    if kind == "image":
        prepared = storage.prepare_image(file, max_bytes_for(member, kind), MAX_IMAGE_SIDE.value)
        thumb = storage.make_thumbnail(prepared, THUMB_SIDE)
    else:
        prepared, thumb = storage.prepare_file(file, extension, max_bytes_for(member, kind)), None
    _check_quota(member, len(prepared.data))
    stored = storage.store(prepared)
    row = Upload(id=stored.id, owner_id=member.id, kind=kind, content_type=stored.content_type,
                 original_name=name, bytes=stored.bytes, width=stored.width, height=stored.height,
                 thumb_id=storage.store(thumb).id if thumb else None, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def find_board(member, board_id) -> Board | None:
    """The board a composer names (board_id form field), or None when absent; 422 when unknown or unreadable."""
    if board_id in (None, ""):
        return None
    board = db.session.get(Board, int(board_id)) if str(board_id).isdigit() and int(board_id) < 2**31 else None
    if board is None or not can_view_board(member, board):
        raise ValidationFailed(_l("There is no such board."), {"board_id": _l("There is no such board.")})
    return board


def as_json(row: Upload) -> dict:
    """The API's shape of an upload (width/height null for files; thumbnail_url for large pictures)."""
    return {"id": row.id, "url": storage.url_of(row.id), "kind": row.kind, "width": row.width,
            "height": row.height, "bytes": row.bytes, "name": row.original_name,
            "thumbnail_url": storage.url_of(row.thumb_id) if row.thumb_id else None}


# ---- which posts use which uploads -------------------------------------------------------------------

_UPLOAD_URL = re.compile(r"""(?:src|href)="(?:https?://[^/"]+)?/uploads/([0-9a-f]{32}\.[a-z]{2,4})["?#]""")


def ids_in(html: str) -> set[str]:
    """The upload ids a rendered body points at."""
    return set(_UPLOAD_URL.findall(html or ""))


def link_post(post: Post, by=None, *, new: bool = False) -> None:
    """Record which uploads `post` uses (its author's or the saving member's own only); refuse one its board forbids.

    `new`: the post was created in this transaction, so it has no links yet (their look-up is left out).

    Someone else's upload in a post (a quote, a guessed URL) is not linked: a post cannot make another
    member's private file readable.
    """
    ids = ids_in(post.body_html)
    owners = {post.author_id} | ({by.id} if by is not None and getattr(by, "id", None) else set())
    rows = list(db.session.scalars(select(Upload).where(
        or_(Upload.id.in_(ids), Upload.thumb_id.in_(ids)), Upload.owner_id.in_(owners)))) if ids else []
    board = post.thread.board
    for row in rows:
        if not board_accepts_upload(board, row.kind):
            message = (_l("This board accepts only pictures: remove the attached file.") if row.kind == "file"
                       else _l("This board does not accept uploads: remove the picture or file."))
            raise ValidationFailed(message, {"body": message})
    wanted = {row.id for row in rows}
    have = set() if new else set(db.session.scalars(select(PostUpload.upload_id).where(PostUpload.post_id == post.id)))
    if have - wanted:
        db.session.execute(delete(PostUpload).where(PostUpload.post_id == post.id,
                                                    PostUpload.upload_id.in_(have - wanted)))
    db.session.add_all(PostUpload(post_id=post.id, upload_id=upload_id) for upload_id in wanted - have)
    db.session.flush()


# ---- who may read an upload ----------------------------------------------------------------------------

_READERS_KEY = "community.upload_readers"


_IN_USE_KEY = "community.upload_uses"


def register_upload_reader(app: Flask, reader, *, in_use=None) -> None:
    """Let another area say who may read an upload: `reader(member, upload) -> bool` (True lets them in).

    `in_use()`, when given, returns a SQL select of the upload ids that area uses (its own link table), so
    the pruner keeps them: a file used only in a private conversation is not an orphan.
    """
    readers = app.extensions.setdefault(_READERS_KEY, [])
    if reader not in readers:
        readers.append(reader)
    uses = app.extensions.setdefault(_IN_USE_KEY, [])
    if in_use is not None and in_use not in uses:
        uses.append(in_use)


def find_for_serving(upload_id: str) -> Upload | None:
    """The upload row behind a stored file (its full picture or its thumbnail); None for the site's own files."""
    return db.session.scalar(select(Upload).where(or_(Upload.id == upload_id, Upload.thumb_id == upload_id)))


def readers_of(row: Upload):
    """The posts that use `row`, with their threads and boards loaded (one query)."""
    return db.session.scalars(
        select(Post).join(PostUpload, PostUpload.post_id == Post.id).where(PostUpload.upload_id == row.id)
        .options(joinedload(Post.thread).joinedload(Thread.board))).all()


class _Guest:
    is_authenticated = False
    id = None


def may_read(member, row: Upload) -> tuple[bool, bool]:
    """(may `member` read it, may a guest read it too): the owner, a reader of a post using it, or a hook."""
    posts = readers_of(row)
    public = any(can_view_post(_Guest(), post) for post in posts)
    if public:
        return True, True
    if not posts and getattr(member, "is_authenticated", False) and row.owner_id == member.id:
        return True, False  # its owner, before a post uses it (then the posts decide, for the owner too)
    if any(can_view_post(member, post) for post in posts):
        return True, False
    return any(reader(member, row) for reader in current_app.extensions.get(_READERS_KEY, ())), False


# ---- pruning -------------------------------------------------------------------------------------------

def prune_orphans(now=None) -> int:
    """Delete uploads no post has used a day after they were made, and their files; return how many."""
    cutoff = (now or utcnow()) - ORPHAN_AGE
    query = select(Upload).where(
        Upload.created_at < cutoff, ~select(PostUpload.post_id).where(PostUpload.upload_id == Upload.id).exists())
    for in_use in current_app.extensions.get(_IN_USE_KEY, ()):
        query = query.where(Upload.id.not_in(in_use()))
    rows = list(db.session.scalars(query.limit(1000)))
    for row in rows:
        # The file goes first, not after commit: a stored file without its row would be served as one of the
        # site's own (public) files, while a row without its file is only a 404.
        for upload_id in filter(None, (row.id, row.thumb_id)):
            storage.delete(upload_id)
        db.session.delete(row)
    db.session.flush()
    return len(rows)

