"""Publication windows: what the public page lists, and nothing else."""

from __future__ import annotations

import datetime as dt

from .. import audit_trail, clock, workflow
from ..errors import NotFound
from ..models import Attachment, Review


@workflow.effect("start_publication_window")
def start_publication_window(item, actor, now: dt.datetime) -> None:
    """Publishing starts the window: ``effective`` is today unless already set."""
    if not item.effective:
        type(item).objects(pk=item.pk).update_one(set__effective=now.date())
        item.reload()


def published_items(today: dt.date | None = None) -> list[Review]:
    """Reviews in the ``published`` state whose window contains ``today``; never restricted."""
    today = today or clock.today()
    start = dt.datetime.combine(today, dt.time())
    query = {
        "state": "published",
        "trashed": {"$ne": True},
        "restricted": {"$ne": True},
        "$and": [
            {"$or": [{"effective": None}, {"effective": {"$lte": start}}]},
            {"$or": [{"expires": None}, {"expires": {"$gte": start}}]},
        ],
    }
    return list(Review.objects(__raw__=query).order_by("-effective"))


def published_files(item) -> list[Attachment]:
    """The files of a published item that were marked for publication."""
    return list(
        Attachment.objects(item_type=item.type_key, item_id=str(item.pk), published=True,
                           trashed__ne=True).exclude("text")
    )


def open_published_file(attachment_id, today: dt.date | None = None) -> tuple[Attachment, bytes]:
    """Return a published file of an item inside its window, recording the public download.

    :raises NotFound: anything else — unpublished file, draft or expired item, bad id.
    """
    try:
        attachment = Attachment.objects(pk=attachment_id, published=True, trashed__ne=True).first()
    except Exception:  # noqa: BLE001 - a malformed id is "not found" to the public
        attachment = None
    if attachment is None or attachment.item_type != "review":
        raise NotFound("No such file.")
    live = {str(item.pk) for item in published_items(today)}
    if attachment.item_id not in live:
        raise NotFound("No such file.")
    data = attachment.file.read()
    audit_trail.record("download", None, object_type="review", object_id=attachment.item_id,
                       object_title=attachment.name, detail="public download")
    return attachment, data
