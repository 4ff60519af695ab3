"""Files on content items: stored in GridFS with name, media type, size, SHA-256 and text."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from bson import ObjectId

from .. import audit_trail, clock, events, faults, policy
from ..errors import InvalidInput, NotFound
from ..models import CONTENT_TYPES, Attachment
from ..models.base import Content
from . import operations

MAX_NAME = 255
# GridFS's collections for attachments' files (``Attachment.file``).
FILES, CHUNKS = "files.files", "files.chunks"


def clean_file_name(name: str) -> str:
    """Return ``name`` fit to store and to send in a Content-Disposition header.

    The folder part goes, and so do control characters (NUL, line breaks), invisible
    formatting characters (a right-to-left override can make ``txt.exe`` read ``exe.txt``)
    and runs of white space; what is left is NFC-normalised and at most 255 characters,
    keeping the extension. A name with nothing left is ``file``.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs",
                                                                            "Co", "Cn"))
    name = re.sub(r"\s+", " ", name).strip(" .") or "file"
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 16:
            name = stem[: MAX_NAME - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME]
    return name


def add(
    item: Content,
    name: str,
    data: bytes,
    media_type: str,
    text: str,
    actor,
    *,
    published: bool = False,
) -> Attachment:
    """Attach a checked file to ``item`` (the check and text extraction are ``documents/``'s).

    The file goes to GridFS first and the record after, as one operation of several writes
    (``lif/services/operations.py``): if the record cannot be written, or the process dies
    in between, the file is removed again (at once, or by the next start or sweep), so no
    orphan stays behind.
    """
    policy.require(actor, "edit", item)
    if not data:
        raise InvalidInput("The file is empty.", field="file")
    name = clean_file_name(name)
    attachment = Attachment(
        item_type=item.type_key,
        item_id=str(item.pk),
        name=name,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        text=text or "",
        published=published,
        uploaded_by=getattr(actor, "email", "system"),
        uploaded_at=clock.now(),
    )
    attachment.pk, file_id = ObjectId(), ObjectId()
    with operations.several_writes(
            "uploads", actor, label=f"upload of {name} to the {item.type_label.lower()} "
            f"'{item.title}'", inserts=[(FILES, {"_id": file_id}), (CHUNKS, {"files_id": file_id}),
                                        (Attachment._get_collection_name(),
                                         {"_id": attachment.pk})]):
        attachment.file.put(data, content_type=media_type, filename=name, _id=file_id)
        faults.maybe_crash("file_stored")  # a file without its record: the repair's
        attachment.save(force_insert=True)
    faults.maybe_crash("attachment_saved")  # stored, not yet indexed: `reindex` repairs
    audit_trail.record("attach", actor, item, detail=f"{name} ({len(data)} bytes)")
    events.attachment_changed.send(attachment)
    events.content_changed.send(item)
    return attachment


def list_for(item: Content) -> list[Attachment]:
    return list(
        Attachment.objects(item_type=item.type_key, item_id=str(item.pk), trashed__ne=True)
        .exclude("text")
        .order_by("uploaded_at")
    )


def item_of(attachment: Attachment) -> Content | None:
    model = CONTENT_TYPES.get(attachment.item_type)
    return model.objects(pk=attachment.item_id).first() if model else None


def open_for(attachment_id, actor, *, address: str = "") -> tuple[Attachment, bytes]:
    """Return an attachment and its bytes if ``actor`` may view its item; record the download.

    :raises NotFound: no such attachment (or its item is gone).
    :raises PermissionDenied: the actor may not view the item.
    """
    try:
        attachment = Attachment.objects(pk=attachment_id).first()
    except Exception:  # noqa: BLE001 - a malformed id is simply "not found"
        attachment = None
    item = item_of(attachment) if attachment else None
    if attachment is None or item is None or attachment.trashed:
        raise NotFound("No such file.")
    policy.require(actor, "view", item)
    data = attachment.file.read()
    audit_trail.record("download", actor, item, detail=attachment.name, address=address)
    return attachment, data


def remove(attachment_id, actor) -> None:
    attachment = Attachment.objects(pk=attachment_id).first()
    item = item_of(attachment) if attachment else None
    if attachment is None or item is None:
        raise NotFound("No such file.")
    policy.require(actor, "edit", item)
    attachment.file.delete()
    attachment.delete()
    audit_trail.record("detach", actor, item, detail=attachment.name)
    events.attachment_removed.send(attachment)
    events.content_changed.send(item)


def find_by_sha256(sha256: str) -> Attachment | None:
    return Attachment.objects(sha256=sha256).first()
