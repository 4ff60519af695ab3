"""Plone's review queue: the items waiting for the user's roles, and what the user may see."""

from __future__ import annotations

from .. import policy, redact, workflow
from ..models import CONTENT_TYPES


def waiting_for(user, limit: int = 20) -> list[dict]:
    """Items in a worklist state of one of ``user``'s roles that ``user`` may view."""
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
        items = [redact.for_item(user, item).item(item) for item in
                 model.objects(__raw__=query).order_by("-modified_at").limit(limit)]
        if items:
            groups.append({"type_key": type_key, "label": model.type_label, "items": items})
    return groups
