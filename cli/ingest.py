"""`lif ingest FOLDER`: move a partnership's existing Word and PDF reports into LIF."""

from __future__ import annotations

from pathlib import Path

import click

from documents.errors import DocumentError
from documents.reader import first_heading
from documents.uploads import check_upload
from lif.actors import SYSTEM
from lif.errors import LIFError
from lif.services import ingest

from .core import fail, lif_cli

SUFFIXES = {".docx", ".pdf"}


@lif_cli.command("ingest")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--type", "kind", type=click.Choice(sorted(ingest.KINDS)), default="review",
              show_default=True, help="What each file becomes.")
def ingest_command(folder: Path, kind: str):
    """Make one item per .docx/.pdf file in FOLDER, attach the file and keep its text.

    Files already in LIF (same content) are skipped, so running it twice creates nothing new.
    """
    if not folder.is_dir():
        fail(f"'{folder}' is not a folder.")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    created, skipped, refused = [], [], []
    with click.progressbar(files, label="Ingesting", show_pos=True) as bar:
        for path in bar:
            try:
                data = path.read_bytes()
                checked = check_upload(path.name, data)
                title = first_heading(data) if path.suffix.lower() == ".docx" else None
                item = ingest.ingest_file(checked.name, checked.data, checked.media_type,
                                          checked.text, title, kind, SYSTEM)
            except (DocumentError, LIFError, OSError) as error:
                refused.append((path.name, str(getattr(error, "message", error))))
                continue
            (created if item else skipped).append((path.name, item))
    click.echo(f"Created {len(created)}, already present {len(skipped)}, refused {len(refused)}.")
    for name, item in created:
        click.echo(f"  created  {name}: {item.title}")
    for name, _ in skipped:
        click.echo(f"  present  {name}")
    for name, reason in refused:
        click.echo(f"  refused  {name}: {reason}")
