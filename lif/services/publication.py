"""Publication windows: what the public page lists, and nothing else."""

from __future__ import annotations

import datetime as dt

from .. import clock
from ..models import Review


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
