"""Wire the behaviours that follow content changes (blinker receivers), once per process."""

from __future__ import annotations

from .. import events
from . import dashboard

_DASHBOARD_TYPES = ("action", "action_plan")
_registered = False


def _dashboard_changed(item, **_kwargs) -> None:
    if getattr(item, "type_key", None) in _DASHBOARD_TYPES:
        dashboard.bump_generation()


def _dashboard_created(items, **_kwargs) -> None:
    if any(getattr(item, "type_key", None) in _DASHBOARD_TYPES for item in items):
        dashboard.bump_generation()


def register_handlers() -> None:
    """Connect the receivers; safe to call more than once."""
    global _registered
    if _registered:
        return
    events.content_changed.connect(_dashboard_changed)
    events.content_removed.connect(_dashboard_changed)
    events.contents_created.connect(_dashboard_created)
    _registered = True
