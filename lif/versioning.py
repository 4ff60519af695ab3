"""Versions as a behaviour applied to every content type (plone.app.versioningbehavior's idea).

A version is a full snapshot of the item's own fields, numbered like the item's optimistic
lock: the item's ``version`` after a save is the number of the snapshot of that save, and a
unique index on (type, id, number) makes a duplicate impossible.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re

from bson import ObjectId

from . import clock
from .actors import actor_email
from .models import Version
from .models.base import Content

# Kept out of snapshots: the record of the workflow and the lock are not "content".
NOT_VERSIONED = ("_id", "_cls", "workflow_history", "version", "modified_at", "modified_by")
LONG_TEXT = 120


def snapshot(item: Content, stored: dict | None = None) -> dict:
    """What a version keeps of ``item`` (taken from ``stored``, its document, when given)."""
    data = stored if stored is not None else item.to_mongo().to_dict()
    return {key: value for key, value in data.items() if key not in NOT_VERSIONED}


def version_document(item: Content, stored: dict | None, actor, note: str = "",
                     at: dt.datetime | None = None) -> dict:
    """The stored form of ``item``'s version ``item.version``; ``stored`` is the item's
    document as just written, when the caller has it (an insert of many at once)."""
    return {"object_type": item.type_key, "object_id": str(item.pk), "number": item.version,
            "at": at or clock.now(), "author": actor_email(actor), "note": (note or "")[:2000],
            "snapshot": snapshot(item, stored)}


def store(item: Content, actor, note: str = "", at: dt.datetime | None = None) -> Version:
    """Store the snapshot of ``item`` as version ``item.version``."""
    version = Version(**version_document(item, None, actor, note, at))
    version.save(force_insert=True)
    return version


def versions_of(item: Content):
    return Version.objects(object_type=item.type_key, object_id=str(item.pk)).order_by("-number")


def get_version(item: Content, number: int) -> Version | None:
    return Version.objects(
        object_type=item.type_key, object_id=str(item.pk), number=number
    ).first()


def _display(value) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, list):
        return "\n".join(_display(v) for v in value)
    if isinstance(value, dict):
        for key in ("text", "description", "name", "title"):
            if key in value:
                prefix = f"{value['number']}. " if value.get("number") else ""
                return prefix + _display(value[key])
        return ", ".join(f"{k}: {_display(v)}" for k, v in value.items() if k != "uid")
    return str(value)


def word_diff(old: str, new: str) -> str:
    """Return HTML marking removed words with ``<del>`` and added words with ``<ins>``."""
    a = re.findall(r"\S+|\s+", old)
    b = re.findall(r"\S+|\s+", new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{html.escape(''.join(a[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{html.escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


def diff(old: dict, new: dict) -> list[dict]:
    """Field-by-field differences between two snapshots, long text as an inline word diff."""
    rows = []
    for field in sorted(set(old) | set(new)):
        if field in NOT_VERSIONED:
            continue
        a, b = _display(old.get(field)), _display(new.get(field))
        if a == b:
            continue
        long = len(a) > LONG_TEXT or len(b) > LONG_TEXT or "\n" in a or "\n" in b
        rows.append(
            {
                "field": field,
                "old": a,
                "new": b,
                "inline": word_diff(a, b) if long else None,
            }
        )
    return rows


def changed_fields(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the audit trail."""
    return {
        field: [_display(before.get(field)), _display(after.get(field))]
        for field in sorted(set(before) | set(after))
        if field not in NOT_VERSIONED and before.get(field) != after.get(field)
    }
