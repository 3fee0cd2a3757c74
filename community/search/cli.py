"""`flask community search reindex`: rebuild the index from the database, with a progress bar."""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..cli import community_cli
from .index import count_posts, rebuild, service

search_cli = AppGroup("search", help="Manage the search index.")


@search_cli.command("reindex")
def reindex() -> None:
    """Rebuild the search index from the database (searches keep working until it is swapped in)."""
    path = service(current_app._get_current_object()).path
    total = count_posts()
    started = time.monotonic()
    with click.progressbar(length=total, label="Indexing posts", show_pos=True, show_percent=True) as bar:
        count = rebuild(path, progress=bar.update)
    elapsed = max(time.monotonic() - started, 1e-6)
    click.echo(f"Indexed {count} posts in {elapsed:.1f} s ({count / elapsed:.0f} posts/s) into {path}.")


def init_app(app) -> None:
    if "search" not in community_cli.commands:
        community_cli.add_command(search_cli)
