"""The scheduler's jobs: each a thin call to sweeps in ``lif/``."""

from __future__ import annotations

import logging

from lif import clock
from lif.actors import SYSTEM
from lif.models import PDCReview
from lif.services import attachments, sweeps

log = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PACK_WRITER = "documents.writers.pdc_pack"


def attach_review_pack(review: PDCReview) -> None:
    """Render the Word review pack of a new PDC review and attach it (when the writer exists)."""
    try:
        from documents.writers import pdc_pack
    except ModuleNotFoundError as error:
        if error.name not in (PACK_WRITER, "documents.writers", "documents"):
            raise
        log.info("No review pack writer (%s): review %s has no pack", PACK_WRITER, review.pk)
        return
    from documents import reader

    data = pdc_pack.render(review)
    if hasattr(data, "getvalue"):
        data = data.getvalue()
    try:
        text = reader.extract_text(data)
    except Exception:  # noqa: BLE001 - the pack is ours; text only feeds search
        text = ""
    name = f"PDC review pack {review.scheduled_for:%Y-%m-%d}.docx"
    attachment = attachments.add(review, name, data, DOCX, text, SYSTEM, check_permission=False)
    PDCReview.objects(pk=review.pk).update_one(set__pack_attachment=attachment.pk)


def sweep() -> dict:
    """Run every sweep for the current time (the ``sweep`` job)."""
    summary = sweeps.run_all(clock.now(), on_review_created=attach_review_pack)
    done = {name: result for name, result in summary.items() if result}
    log.info("Sweep: %s", done or "nothing to do")
    return summary
