"""Plone's review queue: the items waiting for the user's roles, and what the user may see."""

from __future__ import annotations

from .. import list_pages, policy, redact, workflow
from ..models import CONTENT_TYPES


def waiting_for(user, limit: int = 20) -> list[dict]:
    """Items in a worklist state of one of ``user``'s roles that ``user`` may view, the
    last changed first (``limit`` of each type)."""
    groups = []
    wanted: dict[str, set[str]] = {}
    for role in policy.roles_of(user):
        for type_key, states in workflow.worklist_states(role).items():
            wanted.setdefault(type_key, set()).update(states)
    for type_key, states in wanted.items():
        flt = policy.view_filter(user, type_key)
        if flt is None:
            continue
        model = CONTENT_TYPES[type_key]
        query = {"$and": [flt, {"state": {"$in": sorted(states)}}]}
        # The latest changed first, read window by window (lif/list_pages.py): the plain
        # query would decode every item the filter selects to sort them.
        found = list_pages.read(model, query, "modified_at", descending=True, limit=limit)
        items = [redact.for_item(user, item).item(item)
                 for item in list_pages.in_order(model, found.ids)]
        if items:
            groups.append({"type_key": type_key, "label": model.type_label, "items": items})
    return groups
