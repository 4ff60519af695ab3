"""Wire the behaviours that follow content changes (blinker receivers), once per process."""

from __future__ import annotations

from .. import dated_pages, events
from . import dashboard

_DASHBOARD_TYPES = ("action", "action_plan")
_registered = False


def _dashboard_changed(item, **_kwargs) -> None:
    if getattr(item, "type_key", None) in _DASHBOARD_TYPES:
        dashboard.bump_generation()


def _dashboard_created(items, **_kwargs) -> None:
    if any(getattr(item, "type_key", None) in _DASHBOARD_TYPES for item in items):
        dashboard.bump_generation()


def _note_dates(item, **_kwargs) -> None:
    _note_all_dates([item])


def _note_all_dates(items, **_kwargs) -> None:
    """Keep the bounds of dated lists (``lif/dated_pages.py``) around every saved date."""
    dates: dict[type, list] = {}
    for item in items:
        if getattr(item, "type_key", None) in dated_pages.DATED:
            dates.setdefault(type(item), []).append(
                getattr(item, dated_pages.DATED[item.type_key]))
    for model, values in dates.items():
        dated_pages.note_dates(model, dated_pages.DATED[model.type_key], values)


def register_handlers() -> None:
    """Connect the receivers; safe to call more than once."""
    global _registered
    if _registered:
        return
    events.content_changed.connect(_dashboard_changed)
    events.content_removed.connect(_dashboard_changed)
    events.contents_created.connect(_dashboard_created)
    events.content_changed.connect(_note_dates)
    events.contents_created.connect(_note_all_dates)
    _registered = True
