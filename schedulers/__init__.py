"""APScheduler set-up: each job is a thin call to one idempotent sweep in ``lif/``."""

from __future__ import annotations


def init_scheduler(app):
    """Start the in-process scheduler (filled in with the sweeps of the deadlines issue)."""
    return None
