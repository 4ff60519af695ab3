"""What happens on every start: repairs after a crash, reference data, the first
administrator, the demo."""

from __future__ import annotations

import datetime as dt

from bson import ObjectId

from .. import audit_trail, clock, db, events, seed
from ..actors import SYSTEM
from ..errors import InvalidInput
from ..models import Attachment
from . import operations, plans, users

# What another process may still be doing when this one starts: a request runs for seconds
# (gunicorn stops one after 30 s), so anything unfinished and older than this was cut short.
REPAIR_GRACE = dt.timedelta(minutes=2)


def repair_interrupted(now: dt.datetime | None = None,
                       grace: dt.timedelta | None = None) -> dict[str, int]:
    """Finish what a killed process left half done; return what was removed, by kind.

    - an operation of several writes cut short (a plan and its actions, an import, an
      ingested file and its item): what it made, once its process is gone
      (:func:`lif.services.operations.repair`);
    - an attachment's file stored without its record, or the chunks of a file whose upload
      stopped part-way (invisible, but they take space);
    - an attachment record whose file is gone.

    :param grace: leave alone files uploaded more recently (an upload of another process may
        still be under way). By default none when this process started the embedded
        database (nobody else was connected to it), else :data:`REPAIR_GRACE`.
    """
    now = now or clock.now()
    if grace is None:
        server = db.embedded_server()
        grace = dt.timedelta(0) if server is not None and server.owned else REPAIR_GRACE
    cutoff = now - grace
    return {**operations.repair(now), **_repair_files(cutoff)}


def _repair_files(cutoff: dt.datetime) -> dict[str, int]:
    database = db.database()
    files, chunks = database["files.files"], database["files.chunks"]
    records = Attachment._get_collection()
    referenced = set(records.distinct("file"))
    stored, orphan_files = set(), 0
    for doc in files.find({}, {"_id": 1, "uploadDate": 1}):
        stored.add(doc["_id"])
        uploaded = doc.get("uploadDate")
        if doc["_id"] not in referenced and uploaded is not None and uploaded < cutoff:
            chunks.delete_many({"files_id": doc["_id"]})
            files.delete_one({"_id": doc["_id"]})
            orphan_files += 1
    orphan_chunks = 0
    for files_id in chunks.distinct("files_id"):
        if (files_id not in stored and isinstance(files_id, ObjectId)
                and files_id.generation_time.replace(tzinfo=None) < cutoff):
            orphan_chunks += chunks.delete_many({"files_id": files_id}).deleted_count
    broken = 0
    for doc in records.find({"uploaded_at": {"$lt": cutoff}}):
        if doc.get("file") in stored:
            continue
        attachment = Attachment._from_son(doc)
        records.delete_one({"_id": doc["_id"]})
        audit_trail.record("detach", SYSTEM, object_type=attachment.item_type,
                           object_id=attachment.item_id, object_title=attachment.name,
                           detail="its file was missing; removed at start-up")
        events.attachment_removed.send(attachment)
        broken += 1
    return {"files": orphan_files, "chunks": orphan_chunks, "attachments": broken}


def first_start(admin_email: str, admin_password: str | None, demo: bool) -> list[str]:
    """Make the install usable; return lines to show the operator once.

    :param demo: load the demo, if this is the install's first start (this start created
        the first administrator) and the database holds nothing else. An install that was
        started once without it never gets the demo later, whatever a later start asks.
    """
    lines = []
    moved = plans.move_embedded_records()
    if moved:
        lines.append(f"Moved the progress updates and evidence of {moved} actions into "
                     "records of their own.")
    repaired = repair_interrupted()
    if any(repaired.values()):
        lines.append("Repaired what an interrupted run left half done: " + ", ".join(
            f"{count} {kind}" for kind, count in repaired.items() if count) + ".")
    seed.seed_reference()
    try:
        admin, generated = users.ensure_admin(admin_email, admin_password)
    except InvalidInput as error:
        raise InvalidInput(f"LIF_ADMIN_EMAIL/LIF_ADMIN_PASSWORD: {error.message}") from None
    if admin is not None:
        lines.append(f"Created the first administrator: {admin.email}")
        if generated:
            lines.append(f"  Generated password (shown once; you choose your own at first "
                         f"sign-in): {generated}")
    if demo and admin is not None and seed.install_is_empty():
        result = seed.seed_demo()
        lines.append(
            f"Loaded demo data: {result['reviews']} reviews, {result['audits']} audits, "
            f"{result['plans']} action plans, {result['users']} demo accounts."
        )
        if result["password"]:
            lines.append(
                f"  Demo accounts (e.g. lead.police@{seed.DEMO_DOMAIN}) share the password: "
                f"{result['password']} (each chooses its own at first sign-in)"
            )
    return lines
