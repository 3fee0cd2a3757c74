"""Bookmarks (placeholder while being written)."""
from . import models  # noqa: F401


def init_app(app) -> None:
    """Nothing yet."""
