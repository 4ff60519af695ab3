"""`lif backup` and `lif restore`: the whole install in one file, and back."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lif.services import backup, searching

from .core import fail, lif_cli


def _secret_key() -> str:
    """The key in the data dir's file, else the configured one (``LIF_SECRET_KEY``)."""
    path = current_app.config["LIF_DATA_DIR"] / "secret_key"
    if path.exists():
        return path.read_text().strip()
    return current_app.config["SECRET_KEY"]


@lif_cli.command("backup")
@click.option("-o", "--output", "output", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="The archive to write (a new .zip file).")
def backup_command(output: Path):
    """Write every collection, the attachments, the secret key and a settings summary to one
    archive, with a manifest of counts and SHA-256 checksums."""
    settings = backup.settings_summary(current_app.config,
                                       version=current_app.config.get("LIF_VERSION", ""))
    total = backup.estimated_total()
    try:
        with click.progressbar(length=total, label="Backing up", show_pos=True) as bar:
            summary = backup.create_backup(output, secret_key=_secret_key(), settings=settings,
                                           progress=bar.update)
    except backup.BackupError as error:
        fail(error.message)
    click.echo(f"Backed up {summary.documents} documents in {summary.collections} collections "
               f"to {summary.path} ({summary.bytes / 1024 / 1024:.1f} MB).")


@lif_cli.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace a database that already holds content (everything in it is lost).")
def restore_command(archive: Path, force: bool):
    """Restore a backup into an empty database, after checking every checksum, then rebuild
    the search index."""
    try:
        if not force:
            backup.require_empty()
        opened = backup.open_archive(archive)
        total = opened.total
        opened.zip.close()
        # Every document is read twice: once to check it, once to write it.
        with click.progressbar(length=2 * total, label="Checking, then restoring",
                               show_pos=True) as bar:
            summary = backup.restore_backup(
                archive, data_dir=current_app.config["LIF_DATA_DIR"], force=force,
                verify_progress=bar.update, progress=bar.update)
    except backup.BackupError as error:
        fail(error.message)
    click.echo(f"Restored {summary.documents} documents in {summary.collections} collections"
               + (" and the secret key." if summary.secret_key else "."))
    total = searching.count_documents()
    with click.progressbar(length=total, label="Indexing", show_pos=True) as bar:
        count = searching.reindex(progress=lambda done, *_: bar.update(done - bar.pos))
    click.echo(f"Indexed {count} documents for search.")
