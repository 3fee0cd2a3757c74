"""What every search backend shares: the answer of a search, the error of an index that cannot answer."""
from __future__ import annotations

from dataclasses import dataclass, field


class IndexUnavailable(Exception):
    """The index is missing, unreadable or being rebuilt."""


@dataclass
class Found:
    post_ids: list[int] = field(default_factory=list)  # the top hits, best first
    total: int = 0  # every hit the reader may find
    partial: bool = False  # time ran out collecting
