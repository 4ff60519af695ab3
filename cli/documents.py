"""Word documents: ``lif export`` writes the forms and reports, ``lif import-docx`` reads the
Learning and Improvement Index back in."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from documents.errors import DocumentError
from documents.index_import import iter_index
from documents.writers import KINDS, load_item, render
from lif import audit_trail
from lif.errors import LIFError
from lif.models import CONTENT_TYPES, User
from lif.services import learning_index, users

from .core import fail, lif_cli

# The index is read whole; a real one is a few MB. The zip checks bound what it unpacks to.
MAX_IMPORT_BYTES = 200 * 1024 * 1024


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"


def _type_name(type_key: str) -> str:
    label = CONTENT_TYPES[type_key].type_label
    return label if label[1:2].isupper() else label.lower()


def _kinds_help() -> str:
    width = max(len(key) for key in KINDS)
    lines = [f"  {key.ljust(width)}  {kind.description}"
             + ("" if kind.type_key is None else f" ID: the {_type_name(kind.type_key)}.")
             for key, kind in KINDS.items()]
    return "\b\nKINDS:\n" + "\n".join(lines)


def _actor(email: str | None):
    """Return the user to act as: ``email``, or the first administrator."""
    if email:
        user = users.find_by_email(email)
        if user is None:
            fail(f"No user with the email {email}.")
        if not user.active:
            fail(f"The account {email} is disabled.")
        return user
    user = User.objects(roles="admin", active=True).order_by("created_at", "id").first()
    if user is None:
        fail("There is no administrator yet; create one or give --as EMAIL.")
    return user


@lif_cli.command("export", epilog=_kinds_help())
@click.argument("kind", type=click.Choice(list(KINDS)), metavar="KIND")
@click.argument("item_id", required=False, metavar="[ID]")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False, writable=True),
              help="File to write (default: a name made from the kind and the date).")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Write the document as this user sees the data (default: the first "
                   "administrator).")
def export_command(kind: str, item_id: str | None, output: str | None, as_email: str | None):
    """Write a Word document from live data: KIND [ID] -o FILE.

    Each export is recorded in the audit trail. Personal data appears only in the restricted
    CIEC forms, and only for a user allowed to see it.
    """
    actor = _actor(as_email)
    try:
        item = load_item(kind, item_id, actor)
        with click.progressbar(length=1, label=f"Writing {KINDS[kind].label}",
                               file=sys.stderr) as bar:

            def step(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            filename, data = render(kind, item, actor, progress=step)
            bar.update(bar.length - bar.pos)
    except LIFError as error:
        fail(error.message)
    path = Path(output or filename)
    try:
        path.write_bytes(data)
    except OSError as error:
        fail(f"Cannot write {path}: {error.strerror or error}.")
    audit_trail.record("export", actor, item, object_type="" if item else "document",
                       object_title="" if item else KINDS[kind].label,
                       detail=f"{kind} -> {path.name} ({len(data):,} bytes)")
    click.echo(f"Wrote {path} ({len(data) / 1024:.1f} KB).")


@lif_cli.command("import-docx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Show what would be created; store nothing.")
@click.option("--as", "as_email", default=None, metavar="EMAIL",
              help="Import as this user (default: the first administrator).")
def import_docx_command(file: str, dry_run: bool, as_email: str | None):
    """Read a Learning and Improvement Index (.docx) into reviews and audits.

    Reads both the layout LIF exports and the framework's own Appendix One. An entry whose
    name and date are already in LIF is reported, not duplicated.
    """
    actor = _actor(as_email)
    path = Path(file)
    if path.stat().st_size > MAX_IMPORT_BYTES:
        fail(f"{path.name} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB.")
    label = "Checking entries" if dry_run else "Importing entries"
    shown = []

    def progress(done: int, total: int | None) -> None:
        if done % 50 == 0:
            click.echo(f"\r{label}: {done} of {total}", nl=False, err=True)
            shown.append(done)

    def end_progress() -> None:
        if shown:
            click.echo("", err=True)

    try:
        # The whole document is read before anything is stored: a file that breaks part-way
        # stores nothing.
        entries = list(iter_index(path.read_bytes()))
        report = learning_index.import_entries(entries, actor, dry_run=dry_run,
                                               progress=progress)
    except DocumentError as error:
        end_progress()
        fail(f"{path.name}: {error}")
    except LIFError as error:
        end_progress()
        fail(f"{path.name}: {error.message}")
    except OSError as error:
        fail(f"Cannot read {path}: {error.strerror or error}.")
    end_progress()
    _print_report(report)


def _print_report(report) -> None:
    dry_run = report.dry_run
    verb = "would be created" if dry_run else "created"
    for result in report.results:
        outcome = verb if result.outcome == learning_index.CREATED else result.label
        when = result.date_label or result.date or "no date"
        line = (f"{outcome:>16}  {result.kind or '?':6}  {result.name}  ({when}; "
                f"{_count(result.findings, 'finding')}, "
                f"{_count(result.activities, 'activity', 'activities')})")
        if result.message:
            line += f"  - {result.message}"
        click.echo(line)
    click.echo(report.summary())
