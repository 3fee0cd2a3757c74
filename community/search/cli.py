"""`flask community search reindex`: refill the search backend from the database, with a progress bar.

`--backend NAME` fills another backend than SEARCH_BACKEND's, to switch without a gap: the configured one
keeps answering while the other is filled; then set SEARCH_BACKEND and restart.
"""
from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import AppGroup

from ..cli import community_cli
from .backends import NAMES, backend, name_of
from .documents import count_posts

search_cli = AppGroup("search", help="Manage the search index.")


@search_cli.command("reindex")
@click.option("--backend", "name", type=click.Choice(NAMES), default=None,
              help="Fill this backend instead of SEARCH_BACKEND's (to switch: the configured one keeps answering).")
def reindex(name: str | None) -> None:
    """Rebuild the search index from the database (searches keep working until it is swapped in)."""
    app = current_app._get_current_object()
    name = name or name_of(app)
    try:
        search = backend(app, name)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    total = count_posts()
    started = time.monotonic()
    with click.progressbar(length=total, label=f"Indexing posts ({name})", show_pos=True,
                           show_percent=True) as bar:
        count = search.reindex(progress=bar.update)
    elapsed = max(time.monotonic() - started, 1e-6)
    where = getattr(search, "path", None) or "the database (search_documents)"
    click.echo(f"Indexed {count} posts in {elapsed:.1f} s ({count / elapsed:.0f} posts/s) into {where}.")


def init_app(app) -> None:
    if "search" not in community_cli.commands:
        community_cli.add_command(search_cli)
