"""`lif search` and `lif reindex`: the search index from the command line."""

from __future__ import annotations

import json

import click

from lif.actors import SYSTEM
from lif.search import SearchQueryError, SearchUnavailable
from lif.services import searching, users

from .core import fail, lif_cli


@lif_cli.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--as", "as_email", default=None, help="Search as this user (default: as admin).")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def search_command(query, as_email, limit, as_json):
    """Search everything LIF holds (as a user: only what they may see)."""
    user = SYSTEM
    if as_email:
        user = users.find_by_email(as_email)
        if user is None:
            fail(f"No user with email {as_email}.")
    try:
        results = searching.search(user, " ".join(query), pagelen=limit)
    except SearchQueryError as error:
        fail(str(error))
    except SearchUnavailable:
        fail("The search index is missing or damaged: run `flask --app app lif reindex`.")
    if as_json:
        click.echo(json.dumps([
            {"id": h.id, "type": h.type, "title": h.title, "score": h.score,
             "snippet": h.snippet, "url": h.url, "parent_id": h.parent_id or None,
             "date": h.date.isoformat() if h.date else None}
            for h in results.hits
        ], indent=2))
        return
    click.echo(f"{results.total} result(s)")
    for hit in results.hits:
        score = f"{hit.score:.2f}" if hit.score is not None else "—"
        click.echo(f"{score:>6}  {hit.type:<20} {hit.title}  ({hit.url})")


@lif_cli.command("reindex")
@click.option("--procs", default=1, show_default=True, type=click.IntRange(1, 8),
              help="Processes to build with: 2 is about twice as fast on two cores, and "
                   "leaves one index segment per process (searches somewhat slower until "
                   "updates merge them).")
def reindex_command(procs):
    """Rebuild the search index from the database (searches use the old one until done)."""
    total = searching.count_documents()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        count = searching.reindex(progress=lambda done, *_: bar.update(done - bar.pos),
                                  procs=procs)
    click.echo(f"Indexed {count} documents.")
