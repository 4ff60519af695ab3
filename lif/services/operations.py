"""An operation of several writes: all of it, or (after a crash) none of it.

A plan made from findings (the plan, then each action), an import (hundreds of actions, an
index's reviews, an audit's cases) or an ingested file (its item, then the file) is several
writes, and a standalone server has no multi-document transactions (DESIGN.md). So such an
operation is run inside :func:`several_writes`:

1. before its first write a *note* is stored: what the operation is, who runs it, which
   process (``lif.processes``), and what it will make;
2. if it fails with an error, what it made is removed at once, and the note with it;
3. after its last write the note is removed.

A process killed in between (SIGKILL, a power cut, the OOM killer) leaves its note behind.
:func:`repair` — run at every start and by every sweep — finishes the job: it removes what
such an operation made (content items are purged, so each leaves a line in the audit trail)
and records one "repair" event saying what was interrupted. It acts once the process is
known to be gone: at once for a process of this machine (its pid no longer runs), after
:data:`GRACE` without a heartbeat for one on another machine sharing a MongoDB server.

This module is the one place that knows how several writes are made safe together. When the
database is a replica set (production MongoDB, or the embedded server without
``--standalone``), :func:`several_writes` is one transaction instead (``lif.db.all_or_nothing``):
an error or a crash at any point leaves all of it or none of it, no note is written and
there is nothing to repair. Files (GridFS) are the exception: they are written outside the
transaction, so an operation that stores one notes it (outside the transaction) and removes
it if the transaction does not commit — or the repair does, after a crash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator

from bson import ObjectId
from pymongo.errors import PyMongoError

from .. import audit_trail, clock, db, processes
from ..actors import SYSTEM, actor_email
from ..db import database
from ..errors import LIFError
from ..models import CONTENT_TYPES, Action
from . import content

log = logging.getLogger(__name__)

NOTES = "unfinished_operations"
# A note from a process on another machine (a shared MongoDB server) is taken as abandoned
# once its heartbeat is this old: a running operation refreshes it every HEARTBEAT.
GRACE = dt.timedelta(minutes=2)
HEARTBEAT = dt.timedelta(seconds=30)
# Notes left by LIF before operations were noted here (plans made from findings only).
LEGACY_PLAN_NOTES = "unfinished_plans"

# The notes of operations running in this process now (never repaired from under them).
_running: set[ObjectId] = set()


class Operation:
    """A running operation: tell it, before writing them, what else it will make."""

    def __init__(self, note_id: ObjectId, kind: str, label: str) -> None:
        self.id = note_id
        self.kind = kind
        self.label = label
        self._beat = clock.now()

    def will_create(self, type_key: str, ids: Iterable) -> None:
        """Note content items of ``type_key`` about to be created with ``ids``."""
        items = [{"type": type_key, "id": str(pk)} for pk in ids]
        if items:
            self._update({"$push": {"items": {"$each": items}}})

    def will_create_items(self, items: Iterable) -> None:
        """Note content items about to be stored (their ids set), whatever their types."""
        by_type: dict[str, list] = {}
        for item in items:
            by_type.setdefault(item.type_key, []).append(item.pk)
        entries = [{"type": key, "id": str(pk)} for key, ids in by_type.items() for pk in ids]
        if entries:
            self._update({"$push": {"items": {"$each": entries}}})

    def will_insert(self, collection: str, query: dict) -> None:
        """Note records (not content items) about to be inserted: those ``query`` finds in
        ``collection`` are deleted if the operation does not finish."""
        self._update({"$push": {"inserts": {"collection": collection, "query": query}}})

    def beat(self) -> None:
        """Say the operation is still running (a cheap no-op unless :data:`HEARTBEAT` has
        passed); call it in long loops."""
        if clock.now() - self._beat >= HEARTBEAT:
            self._update({})

    def _update(self, change: dict) -> None:
        if self.id is None:  # in a transaction: nothing is noted, nothing needs repair
            return
        self._beat = clock.now()
        change.setdefault("$set", {})["alive_at"] = self._beat
        database()[NOTES].update_one({"_id": self.id}, change)


# Collections written outside a transaction (GridFS writes take no session from mongoengine).
FILE_COLLECTIONS = frozenset({"files.files", "files.chunks", "fs.files", "fs.chunks"})


@contextlib.contextmanager
def several_writes(kind: str, actor, *, label: str,
                   creates: dict[str, Iterable] | None = None,
                   inserts: Iterable[tuple[str, dict]] = ()) -> Iterator[Operation]:
    """Run the writes of the ``with`` block as one operation (see the module).

    :param kind: what is repaired, plural, for the start-up line ("plans", "imports").
    :param label: what the operation is, for the audit trail ("import of 40 actions into …").
    :param creates: the content items it will create, ``{type_key: [ids]}``, when known.
    :param inserts: records (not content items) it will insert, as ``(collection, query)``
        (see :meth:`Operation.will_insert`), when known.
    :raises: whatever the block raises, once what it made is removed.
    """
    if db.has_transactions():
        with _in_a_transaction(kind, actor, label, list(inserts)) as operation:
            yield operation
        return
    now = clock.now()
    note_id = ObjectId()
    items = [{"type": type_key, "id": str(pk)}
             for type_key, ids in (creates or {}).items() for pk in ids]
    database()[NOTES].insert_one({
        "_id": note_id, "kind": kind, "label": label[:500], "by": actor_email(actor),
        "at": now, "alive_at": now, "process": processes.mark(), "items": items,
        "inserts": [{"collection": name, "query": query} for name, query in inserts],
    })
    _running.add(note_id)
    try:
        yield Operation(note_id, kind, label)
    except BaseException:
        # The database may be what failed: then the note stays and repair finishes it.
        with contextlib.suppress(Exception):
            _undo(database()[NOTES].find_one({"_id": note_id}), f"{label} did not complete")
        raise
    finally:
        _running.discard(note_id)
    database()[NOTES].delete_one({"_id": note_id})


@contextlib.contextmanager
def _in_a_transaction(kind: str, actor, label: str,
                      inserts: list[tuple[str, dict]]) -> Iterator[Operation]:
    """:func:`several_writes` on a server with transactions (see the module)."""
    files = [{"collection": name, "query": query} for name, query in inserts
             if name in FILE_COLLECTIONS]
    note_id = None
    if files:
        now = clock.now()
        note_id = ObjectId()
        db.outside_transaction()[NOTES].insert_one({
            "_id": note_id, "kind": kind, "label": label[:500], "by": actor_email(actor),
            "at": now, "alive_at": now, "process": processes.mark(), "items": [],
            "inserts": files})
        _running.add(note_id)
    with db.all_or_nothing():
        if note_id is not None:
            db.after_transaction(lambda committed: _files_settled(note_id, committed, label))
        yield Operation(None, kind, label)


def _files_settled(note_id: ObjectId, committed: bool, label: str) -> None:
    """After the transaction: keep the files it committed to, remove those it did not."""
    _running.discard(note_id)
    notes = db.outside_transaction()[NOTES]
    if committed:
        notes.delete_one({"_id": note_id})
    else:
        _undo(notes.find_one({"_id": note_id}), f"{label} did not complete")


def _undo(note: dict | None, reason: str) -> int:
    """Remove what the operation of ``note`` made, then the note; return how many records."""
    if note is None:
        return 0
    removed = 0
    # Children first (a plan's actions before the plan), so nothing points at a purged item.
    for entry in reversed(note.get("items") or []):
        model = CONTENT_TYPES.get(entry.get("type"))
        if model is None or not model.objects(pk=entry["id"]).only("id").first():
            continue
        try:
            content.purge(entry["type"], entry["id"], SYSTEM, reason)
        except LIFError:  # (gone meanwhile)
            continue
        removed += 1
    for insert in note.get("inserts") or []:
        removed += database()[insert["collection"]].delete_many(insert["query"]).deleted_count
    database()[NOTES].delete_one({"_id": note["_id"]})
    return removed


def abandoned(note: dict, now: dt.datetime) -> bool:
    """Whether ``note``'s operation will never finish: its process is gone."""
    if note["_id"] in _running:
        return False
    process = note.get("process") or {}
    alive = processes.alive(process)
    if alive is None:  # another machine, or a note without a process: its heartbeat tells
        return (note.get("alive_at") or note["at"]) < now - GRACE
    # A live process is this one when the note is its own, not running: its clean-up failed.
    return not alive or process.get("pid") == os.getpid()


def repair(now: dt.datetime | None = None, *, dry_run: bool = False) -> dict[str, int]:
    """Remove what operations cut short left behind; return how many, by kind.

    Each one repaired leaves a "repair" event in the audit trail (and each item removed its
    "purge" event).

    :param dry_run: count what would be repaired; change nothing.
    """
    now = now or clock.now()
    _adopt_legacy_notes()
    counts: dict[str, int] = {}
    for note in database()[NOTES].find({}).sort("at", 1):
        if not abandoned(note, now):
            continue
        kind = note.get("kind") or "operations"
        if dry_run:
            counts[kind] = counts.get(kind, 0) + 1
            continue
        # Take the note over first (compare and swap on a fresh token), so two processes
        # starting at once, or a start and a sweep, repair it once; if this one dies
        # meanwhile, the note is abandoned again, by this process's death. The token makes
        # the swap change the note even when the same process retakes it at the same instant.
        taken = database()[NOTES].update_one(
            {"_id": note["_id"], "process": note.get("process"),
             "alive_at": note.get("alive_at"), "taken": note.get("taken")},
            {"$set": {"process": processes.mark(), "alive_at": now, "taken": ObjectId()}})
        if not taken.modified_count:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        label = note.get("label") or kind
        reason = f"{label} was interrupted; removed by the repair"
        _running.add(note["_id"])
        try:
            removed = _undo(note, reason)
        except PyMongoError:
            log.exception("repairing %s failed; the next repair tries again", label)
            continue
        finally:
            _running.discard(note["_id"])
        audit_trail.record(
            "repair", SYSTEM, object_type="operation", object_id=str(note["_id"]),
            object_title=label,
            detail=(f"{label} (by {note.get('by') or 'unknown'}, started "
                    f"{note['at']:%Y-%m-%d %H:%M:%S} UTC) was interrupted: its process ended "
                    f"before it finished. Removed what it had stored ({removed} records)."))
        log.warning("repaired an interrupted operation: %s (%s records removed)", label,
                    removed)
    return counts


def _adopt_legacy_notes() -> None:
    """Turn notes of plans left by an earlier LIF into notes of this module (once)."""
    legacy = database()[LEGACY_PLAN_NOTES]
    for old in legacy.find({}):
        items = [{"type": "action_plan", "id": str(old["_id"])}]
        items += [{"type": "action", "id": str(pk)}
                  for pk in Action.objects(plan=old["_id"]).scalar("id")]
        database()[NOTES].update_one({"_id": old["_id"]}, {"$setOnInsert": {
            "kind": "plans", "label": "plan creation", "by": old.get("by", ""),
            "at": old.get("at") or clock.now(), "alive_at": old.get("at") or clock.now(),
            "process": {}, "items": items, "inserts": []}}, upsert=True)
        legacy.delete_one({"_id": old["_id"]})


def running() -> list[dict]:
    """The notes of operations not finished (running, or cut short and not yet repaired)."""
    return list(database()[NOTES].find({}).sort("at", 1))


__all__ = ["GRACE", "NOTES", "Operation", "abandoned", "repair", "running", "several_writes"]
