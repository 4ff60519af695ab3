"""The append-only audit trail: who did what, to which item, when, from where."""

from __future__ import annotations

import datetime as dt

from bson import ObjectId

from . import clock, db
from .actors import actor_email
from .models import AuditEvent


def _plain(value):
    """Return ``value`` in a form that stores and reads back the same (for ``changes``)."""
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "to_mongo"):
        return _plain(value.to_mongo().to_dict())
    if hasattr(value, "pk") and value.pk is not None:
        return str(value.pk)
    return value


def event(
    action: str,
    actor=None,
    item=None,
    *,
    changes: dict | None = None,
    detail: str = "",
    address: str = "",
    object_type: str = "",
    object_id: str = "",
    object_title: str = "",
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Build (not store) one event of the audit trail."""
    if item is not None:
        object_type = object_type or getattr(item, "type_key", "") or type(item).__name__.lower()
        object_id = object_id or str(item.pk)
        object_title = object_title or str(item)[:300]
    return AuditEvent(
        at=at or clock.now(),
        actor=actor_email(actor) if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_title=object_title[:300],
        changes=_plain(changes or {}),
        detail=detail[:2000],
        address=address or getattr(actor, "address", "") or "",
    )


def record(action: str, actor=None, item=None, **details) -> AuditEvent:
    """Append one event to the audit trail and return it (``details`` as :func:`event`).

    :raises StorageFull: the disk has not even the last megabyte free (what is recorded,
        such as a download, must not happen unrecorded, nor break the database).
    """
    db.require_room(floor=True)
    entry = event(action, actor, item, **details)
    entry.save()
    return entry


def history(item, limit: int = 200):
    return AuditEvent.objects(object_type=item.type_key, object_id=str(item.pk)).order_by(
        "-at"
    )[:limit]
