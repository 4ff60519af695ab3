"""Bulk ingest of existing files: one content item per file, recognised again by SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..actors import SYSTEM
from ..errors import LIFError
from ..models import Attachment, Audit, Review
from . import attachments, content

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

    If attaching fails the new item is purged again, so a failure leaves nothing behind.
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
    item = content.create(model, data_fields, actor, note=f"Ingested from {name}")
    try:
        attachments.add(item, name, data, media_type, text, actor)
    except Exception:
        content.purge(item.type_key, str(item.pk), SYSTEM, f"ingest of {name} failed")
        raise
    return item
