"""Create, change, trash, restore and purge content items: the only code that writes them.

Every write asks the policy (on the item before and as it will be after the change),
validates, takes the optimistic lock, stores a version, appends to the audit trail and
announces the change (the search index listens). No call switches the policy off: the system
acts as :data:`~lif.actors.SYSTEM`, whom the policy lets do everything.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from bson import ObjectId
from mongoengine import ValidationError
from mongoengine.errors import NotUniqueError, SaveConditionError
from pymongo.errors import BulkWriteError

from .. import audit_trail, clock, events, policy, versioning, workflow
from ..actors import actor_email
from ..edits import apply_data as _apply
from ..edits import preview, validate
from ..errors import Conflict, InvalidInput, LIFError, NotFound
from ..models import CONTENT_TYPES, Attachment, AuditEvent, Version
from ..models.base import Content, WorkflowEntry


def get(type_key: str, item_id, user, *, include_trashed: bool = False) -> Content:
    """Fetch one item that ``user`` may view.

    :raises NotFound: no such item (or malformed id).
    :raises PermissionDenied: the item exists but the user may not see it.
    """
    model = CONTENT_TYPES.get(type_key)
    if model is None:
        raise NotFound(f"Unknown content type '{type_key}'.")
    try:
        item = model.objects(pk=item_id).first()
    except (ValidationError, TypeError):
        item = None
    if item is None or (item.trashed and not (include_trashed and policy.is_admin(user))):
        raise NotFound(f"No {model.type_label.lower()} with id {item_id}.")
    policy.require(user, "view", item)
    return item


def _new_item(
    model: type[Content],
    data: dict,
    actor,
    now: dt.datetime,
    *,
    pk=None,
    placed_in: str | None = None,
    placed_how: str = "",
) -> Content:
    """Build and validate a new item as :func:`create` stores it; nothing is written.

    :raises PermissionDenied: the policy refuses the item as built (its type, its agency,
        the plan it goes into).
    """
    policy.require(actor, "create", type_key=model.type_key)
    item = model()
    if pk is not None:
        item.pk = pk
    _apply(item, data)
    item.state = workflow.initial_state(model.type_key)
    if placed_in and placed_in != item.state:
        item.workflow_history = [WorkflowEntry(
            action="import", from_state=item.state, to_state=placed_in,
            actor=actor_email(actor), at=now, comment=placed_how,
        )]
        item.state = placed_in
    item.version = 1
    item.created_at = item.modified_at = now
    item.created_by = item.modified_by = actor_email(actor)
    if model.creator_field and not getattr(item, model.creator_field):
        setattr(item, model.creator_field, actor_email(actor))
    # Asked before validation, so a refusal does not tell what the item would have broken
    # (another agency's plan), and after it, on the item as validation leaves it.
    policy.require(actor, "create", item)
    validate(item)
    policy.require(actor, "create", item)
    return item


def create(
    model: type[Content],
    data: dict,
    actor,
    *,
    note: str = "",
    now: dt.datetime | None = None,
    pk=None,
) -> Content:
    """Create an item of ``model`` from ``data`` as ``actor``; version 1 is its first snapshot.

    :param pk: the new item's id, when the caller must know it before the item exists (to
        note an operation of several steps before its first write).
    :raises PermissionDenied: the actor may not create this item (its type, agency, plan).
    :raises InvalidInput: a field is missing or wrong; nothing is stored.
    """
    now = now or clock.now()
    item = _new_item(model, data, actor, now, pk=pk)
    try:
        item.save(force_insert=True, validate=False)
    except NotUniqueError as error:
        raise Conflict("An item with these details already exists.") from error
    versioning.store(item, actor, note=note or "Created", at=now)
    audit_trail.record("create", actor, item, at=now, detail=note)
    events.content_changed.send(item)
    return item


@dataclass
class NewItem:
    """One item for :func:`create_many`: its type, its fields, and the state it is placed in
    (when it is recorded as already further on in its workflow, as an imported review is)."""

    model: type[Content]
    data: dict
    placed_in: str | None = None


#: Rows built per step of :func:`create_many`; one step is stored while the next is built.
CHUNK = 100
#: The server's code for a write a unique index refused.
DUPLICATE_KEY = 11000


def create_many(
    rows: Iterable[NewItem],
    actor,
    *,
    note: str,
    placed_how: str = "",
    now: dt.datetime | None = None,
    on_stored: Callable[[list[Content | LIFError]], None] | None = None,
    before_insert: Callable[[list[Content]], None] | None = None,
) -> list[Content | LIFError]:
    """Create many items at once, as :func:`create` would one by one, in a few round trips.

    Rows are taken a hundred at a time (``rows`` may be a generator: it is read as the
    writing goes) and built and checked; the good ones are stored with one insert per
    collection (items, then their versions and "create" events) on a writer thread while
    the next hundred are built, so the database and Python work at the same time. A row
    placed in a later state carries that step in its workflow history ("import", with
    ``placed_how``); its version 1 and its "create" event record the state it was placed in.
    Loading a 1,000-entry Learning and Improvement Index took 20 s one item at a time (six
    round trips each); the README's benchmark table has the time this way.

    A row a unique index refuses (the same item stored by someone else at the same moment,
    or earlier in ``rows``) is refused alone, with :class:`Conflict`; the rows around it are
    stored.

    :param on_stored: told each hundred's results once they are stored.
    :param before_insert: told each hundred's items (their ids set) before they are stored
        (an operation of several writes notes them: ``lif.services.operations``).
    :return: per row, in order, the stored item or the error that refused it (nothing of
        a refused row is stored).
    """
    now = now or clock.now()
    steps: list[list[Content | LIFError]] = []
    source = iter(rows)
    pending: tuple[Future, list[Content | LIFError]] | None = None

    def collect() -> None:
        nonlocal pending
        future, built = pending
        pending = None
        done, refused = future.result()
        for item in done:
            item._created = False  # a later save() updates it
            item._changed_fields = []
        if done:
            events.contents_created.send(done)
        for index, row in enumerate(built):
            if id(row) in refused:
                built[index] = refused[id(row)]
        if on_stored is not None:
            on_stored(built)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lif-create") as writer:
        try:
            while True:
                built: list[Content | LIFError] = []
                for row in itertools.islice(source, CHUNK):
                    try:
                        built.append(_new_item(row.model, row.data, actor, now,
                                               placed_in=row.placed_in, placed_how=placed_how))
                    except LIFError as error:
                        built.append(error)
                if not built:
                    break
                steps.append(built)
                writes = [_writes(item, actor, note, now) for item in built
                          if isinstance(item, Content)]
                if before_insert is not None and writes:
                    before_insert([write[0] for write in writes])
                if pending is not None:
                    collect()
                pending = (writer.submit(_insert, writes), built)
        finally:
            if pending is not None:  # also when reading the rows failed: announce what is stored
                collect()
    return [result for built in steps for result in built]


def _writes(item: Content, actor, note: str, now: dt.datetime) -> tuple[Content, dict, dict, dict]:
    """The documents storing a new ``item``: itself, its version 1 and its "create" event."""
    item.pk = ObjectId()
    doc = item.to_mongo()
    version = versioning.version_document(item, doc, actor, note=note or "Created", at=now)
    event = audit_trail.event("create", actor, item, at=now, detail=note,
                              changes=_placement(item))
    event.validate()
    return item, doc, version, event.to_mongo()


def _insert(writes: list[tuple[Content, dict, dict, dict]]
            ) -> tuple[list[Content], dict[int, LIFError]]:
    """Insert items (per collection), then the versions and events of those stored.

    :return: the items stored, and the error of each item the database refused, by ``id()``
        of the item (a unique index: :class:`Conflict`); nothing of those is stored.
    """
    done: list[tuple[Content, dict, dict, dict]] = []
    refused: dict[int, LIFError] = {}
    groups: dict[type[Content], list[tuple[Content, dict, dict, dict]]] = {}
    for write in writes:
        groups.setdefault(type(write[0]), []).append(write)
    for model, group in groups.items():
        try:
            model._get_collection().insert_many([write[1] for write in group], ordered=False)
        except BulkWriteError as error:
            failures = {failure["index"]: failure for failure in error.details["writeErrors"]}
            for index, failure in failures.items():
                refused[id(group[index][0])] = (
                    Conflict("An item with these details already exists.")
                    if failure.get("code") == DUPLICATE_KEY
                    else LIFError(f"The database refused it: {failure.get('errmsg', '')}."))
            group = [write for index, write in enumerate(group) if index not in failures]
        done += group
    if done:
        Version._get_collection().insert_many([write[2] for write in done])
        AuditEvent._get_collection().insert_many([write[3] for write in done])
    return [write[0] for write in done], refused


def _placement(item: Content) -> dict | None:
    """The state a new item was placed in, as an audit event's changes (``None``: initial)."""
    if not item.workflow_history:
        return None
    step = item.workflow_history[0]
    return {"state": [step.from_state, step.to_state]}


def update(
    item: Content,
    data: dict,
    actor,
    *,
    base_version: int | None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Content:
    """Apply ``data`` to ``item`` if nobody saved a newer version since ``base_version``.

    The policy judges the item before the change and as it will be after it (its agency,
    its plan, the fields changed), so nothing a person could not do is stored.

    :raises PermissionDenied: the actor may not make this change; nothing is stored.
    :raises Conflict: the item is at a newer version; the message says who changed it, when.
    :raises InvalidInput: validation failed; nothing is stored.
    """
    now = now or clock.now()
    policy.require(actor, "edit", item)
    if base_version is None:
        raise InvalidInput("The form did not say which version it was based on.", field="version")
    if int(base_version) != item.version:
        _raise_conflict(item, int(base_version))
    before = versioning.snapshot(item)
    proposed = preview(item, data)
    changes = versioning.changed_fields(before, versioning.snapshot(proposed))
    if not changes:
        return item
    policy.require(actor, "edit", item, after=proposed, changed=field_names(item, changes))
    _apply(item, data)
    validate(item)
    item.version = int(base_version) + 1
    item.modified_at = now
    item.modified_by = actor_email(actor)
    try:
        item.save(save_condition={"version": int(base_version)}, validate=False)
    except SaveConditionError:
        current = type(item).objects(pk=item.pk).first()
        _raise_conflict(current or item, int(base_version))
    versioning.store(item, actor, note=note, at=now)
    audit_trail.record("update", actor, item, changes=changes, detail=note, at=now)
    events.content_changed.send(item)
    return item


def field_names(item: Content, changes: dict) -> set[str]:
    """The model's names of the stored fields in ``changes`` (a snapshot diff)."""
    reverse = type(item)._reverse_db_field_map
    return {reverse.get(name, name) for name in changes}


def add_record(item: Content, record, actor, *, note: str,
               now: dt.datetime | None = None) -> Content:
    """Append ``record`` (a progress update, evidence: one of ``type(item).appended``) to
    ``item``, as a record of its own.

    It costs what the record is, however many came before: one small insert, the item's
    modified time moved, a line in the audit trail. No version of the item is stored (the
    record is its own: who wrote it and when, never changed), and it needs no base version,
    since it overwrites nobody's work.

    :raises PermissionDenied: the actor may not edit the item.
    :raises InvalidInput: the record is not valid (the field named); nothing is stored.
    :raises NotFound: the item is gone or in the trash.
    """
    now = now or clock.now()
    policy.require(actor, "edit", item)
    model = type(item)
    if type(record) not in getattr(model, "appended", ()):
        raise LIFError(f"{type(record).__name__} is not appended to a {model.type_label}.")
    setattr(record, record.owner_field, item.pk)
    validate(record)
    moved = model.objects(pk=item.pk, trashed__ne=True).update_one(
        set__modified_at=now, set__modified_by=actor_email(actor))
    if not moved:
        raise NotFound(f"{item.type_label} not found.")
    record.save(force_insert=True, validate=False)
    item.modified_at, item.modified_by = now, actor_email(actor)
    item.forget_appended()
    audit_trail.record("update", actor, item, changes={record.label: ["", str(record)[:500]]},
                       detail=note, at=now)
    events.record_added.send(record, item=item)
    return item


def _raise_conflict(current: Content, base_version: int):
    when = current.modified_at.strftime("%d %b %Y %H:%M") if current.modified_at else "?"
    raise Conflict(
        f"Not saved: {current.modified_by or 'someone'} changed this item at {when} UTC "
        f"(version {current.version}; your form was based on version {base_version}). "
        "Compare the versions, then make your change again.",
        current=current,
    )


def trash(item: Content, actor, *, now: dt.datetime | None = None) -> Content:
    """Move ``item`` to the trash, from which an administrator can restore it."""
    now = now or clock.now()
    policy.require(actor, "trash", item)
    type(item).objects(pk=item.pk).update_one(
        set__trashed=True, set__trashed_at=now, set__trashed_by=actor_email(actor)
    )
    Attachment.objects(item_type=item.type_key, item_id=str(item.pk)).update(set__trashed=True)
    item.reload()
    audit_trail.record("delete", actor, item, detail="moved to trash", at=now)
    events.content_removed.send(item)
    return item


def restore(item: Content, actor, *, now: dt.datetime | None = None) -> Content:
    now = now or clock.now()
    policy.require(actor, "restore", item)
    type(item).objects(pk=item.pk).update_one(
        set__trashed=False, unset__trashed_at=True, unset__trashed_by=True
    )
    Attachment.objects(item_type=item.type_key, item_id=str(item.pk)).update(set__trashed=False)
    item.reload()
    audit_trail.record("restore", actor, item, detail="restored from trash", at=now)
    events.content_changed.send(item)
    return item


def purge(type_key: str, item_id: str, actor, reason: str) -> str:
    """Delete an item for good, with its versions and attachments; the audit trail keeps a line.

    :return: the purged item's title.
    """
    policy.require(actor, "purge", type_key=type_key)
    if not reason or not reason.strip():
        raise InvalidInput("Give the reason for purging.", field="reason")
    model = CONTENT_TYPES.get(type_key)
    item = model.objects(pk=item_id).first() if model else None
    if item is None:
        raise NotFound(f"No {type_key} with id {item_id}.")
    title = str(item)
    audit_trail.record("purge", actor, item, detail=reason.strip())
    for attachment in Attachment.objects(item_type=type_key, item_id=str(item.pk)):
        attachment.file.delete()
        attachment.delete()
    Version.objects(object_type=type_key, object_id=str(item.pk)).delete()
    events.content_removed.send(item)
    for record_type in getattr(model, "appended", ()):
        record_type.objects(**{record_type.owner_field: item.pk}).delete()
    item.delete()
    return title


def revert(item: Content, number: int, actor, *, base_version: int | None = None) -> Content:
    """Make version ``number`` current again; the revert is itself a new version."""
    old = versioning.get_version(item, number)
    if old is None:
        raise NotFound(f"Version {number} does not exist.")
    data = {
        key: item._fields[key].to_python(value)
        for key, value in old.snapshot.items()
        if key in item._fields and key not in Content.SYSTEM_FIELDS
    }
    # Fields added after the snapshot was taken go back to empty.
    for key in item._fields:
        if key not in old.snapshot and key not in Content.SYSTEM_FIELDS and key != "id":
            data[key] = item._fields[key].default() if callable(
                item._fields[key].default
            ) else item._fields[key].default
    return update(
        item,
        data,
        actor,
        base_version=item.version if base_version is None else base_version,
        note=f"Reverted to version {number}",
    )
