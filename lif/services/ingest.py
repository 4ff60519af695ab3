"""Bulk ingest of existing files: one content item per file, recognised again by SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bson import ObjectId

from ..errors import LIFError
from ..models import Attachment, Audit, Review
from . import attachments, content, operations

KINDS = {
    "review": (Review, {"review_type": "other", "section": "reviews"}),
    "audit": (Audit, {"audit_type": "multi_agency", "section": "audit"}),
    "learning": (Review, {"review_type": "other", "section": "other"}),
}


def already_ingested(data: bytes) -> Attachment | None:
    return attachments.find_by_sha256(hashlib.sha256(data).hexdigest())


def ingest_file(
    name: str, data: bytes, media_type: str, text: str, title: str | None, kind: str, actor
):
    """Create one item for a checked file and attach the file to it.

    Both or neither are stored: if attaching fails, or the process dies before it is done,
    the new item is removed again (at once, or by the repair at the next start or sweep).
    :return: the new item, or ``None`` when a file with the same content is already in LIF.
    """
    if kind not in KINDS:
        raise LIFError(f"Unknown type '{kind}' (use one of: {', '.join(KINDS)}).")
    if already_ingested(data):
        return None
    model, defaults = KINDS[kind]
    title = (title or Path(name).stem.replace("_", " ")).strip()[:300] or name
    data_fields = {"title": title, "summary": text[:600], **defaults}
    if model is Review:
        data_fields["overview"] = text[:100000]
    else:
        data_fields["methodology"] = text[:100000]
    pk = ObjectId()
    # The item and its file, or (after a failure, or a crash before the file is recorded)
    # neither: an item without its file would also hide the file from the next ingest.
    with operations.several_writes("ingested files", actor, label=f"ingest of {name}",
                                   creates={model.type_key: [pk]}):
        item = content.create(model, data_fields, actor, note=f"Ingested from {name}", pk=pk)
        attachments.add(item, name, data, media_type, text, actor)
    return item
