"""The command line: ``flask --app app lif <command>``; one module per area, each command
calling one service. Errors print one line to stderr and exit non-zero."""

from __future__ import annotations

from . import areas  # noqa: F401  (each area adds its commands to the group)
from .core import lif_cli


def register_cli(app) -> None:
    app.cli.add_command(lif_cli)
