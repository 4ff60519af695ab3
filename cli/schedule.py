"""Deadlines: run the sweeps once (``lif sweep``), or the dedicated scheduler."""

from __future__ import annotations

import datetime as dt

import click
from flask import current_app

from config.deadlines import SWEEP_EVERY_MINUTES
from lif import clock
from lif.services import sweeps
from schedulers import configure_mail, jobs, run_dedicated

from .core import fail, lif_cli


def parse_now(text: str | None) -> dt.datetime:
    """Return the sweep time for ``--now YYYY-MM-DD`` (noon UTC; today: the current time).

    :raises ValueError: not a real date in that form.
    """
    current = clock.now()
    if not text:
        return current
    day = dt.datetime.strptime(text, "%Y-%m-%d").date()
    return current if day == current.date() else dt.datetime.combine(day, dt.time(12))


def format_summary(summary: dict[str, dict]) -> list[str]:
    width = max(len(name) for name in summary)
    lines = [f"{'Sweep'.ljust(width)}  Result"]
    for name, result in summary.items():
        text = ", ".join(f"{key}={value}" for key, value in result.items()) or "nothing to do"
        lines.append(f"{name.ljust(width)}  {text}")
    return lines


@lif_cli.command("sweep")
@click.option("--now", "now_text", default=None, metavar="YYYY-MM-DD",
              help="Sweep as if it were this date (default: now).")
@click.option("--dry-run", is_flag=True, help="Show what would be done; change nothing.")
def sweep_command(now_text, dry_run):
    """Run every deadline sweep once (safe to run from cron, and at the same time as others)."""
    try:
        now = parse_now(now_text)
    except ValueError:
        fail(f"--now must be a date as YYYY-MM-DD, not {now_text!r}", 2)
    configure_mail(current_app)
    hook = None if dry_run else jobs.attach_review_pack
    summary = sweeps.run_all(now, on_review_created=hook, dry_run=dry_run)
    note = " (dry run: nothing changed)" if dry_run else ""
    click.echo(f"Sweep at {now:%Y-%m-%d %H:%M} UTC{note}")
    for line in format_summary(summary):
        click.echo(line)
    errors = [f"{name}: {result['error']}" for name, result in summary.items()
              if "error" in result]
    if errors:
        fail("; ".join(errors))


@lif_cli.command("scheduler")
def scheduler_command():
    """Run the one scheduler of a multi-worker install (Ctrl-C stops it; the app factory has
    set up logging, so each sweep's line is shown)."""
    click.echo(f"LIF scheduler running: sweeps every {SWEEP_EVERY_MINUTES} minutes "
               "(Ctrl-C stops it).")
    run_dedicated(current_app._get_current_object())
