"""The scheduler's jobs: each a thin call to sweeps in ``lif/``."""

from __future__ import annotations

import logging

from lif import clock
from lif.actors import SYSTEM
from lif.models import PDCReview
from lif.services import attachments, sweeps

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PACK_KIND = "pdc-pack"


def attach_review_pack(review: PDCReview) -> None:
    """Write the Word pack of a new PDC review and attach it to the review.

    The pack comes from ``documents.writers`` (kind ``pdc-pack``); when that cannot be
    imported the review stays without a pack and a line says so.
    """
    try:
        from documents import reader, writers

        render = writers.render
    except (ImportError, AttributeError) as error:
        log.warning("No review pack writer (%s): PDC review %s has no pack", error, review.pk)
        return
    name, data = render(PACK_KIND, review, SYSTEM)
    try:
        text = reader.extract_text(data)
    except Exception:  # noqa: BLE001 - the pack is ours; its text only feeds search
        text = ""
    media_type = getattr(writers, "DOCX_MEDIA_TYPE", DOCX)
    attachment = attachments.add(review, name, data, media_type, text, SYSTEM)
    PDCReview.objects(pk=review.pk).update_one(set__pack_attachment=attachment.pk)


def sweep() -> dict:
    """Run every sweep for the current time (the ``sweep`` job)."""
    summary = sweeps.run_all(clock.now(), on_review_created=attach_review_pack)
    done = {name: result for name, result in summary.items() if result}
    log.info("Sweep: %s", done or "nothing to do")
    return summary
