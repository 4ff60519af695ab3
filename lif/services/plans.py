"""Action plans and actions: RAG, progress, evidence of impact."""

from __future__ import annotations

import datetime as dt

from config.deadlines import ACTION_AMBER_DAYS, DONE_STATUSES

from .. import clock


def rag(action, today: dt.date | None = None) -> str:
    """Return ``red``, ``amber`` or ``green`` for an action — the one place RAG is decided.

    Red: overdue (due date passed and not done), or challenged at the last PDC review.
    Amber: due within 30 days and not done. Green otherwise.
    """
    today = today or clock.today()
    done = action.state in DONE_STATUSES
    if action.last_pdc_verdict == "challenged" and action.state != "verified":
        return "red"
    if done:
        return "green"
    if action.due_date and action.due_date < today:
        return "red"
    if action.due_date and action.due_date <= today + dt.timedelta(days=ACTION_AMBER_DAYS):
        return "amber"
    return "green"


def rag_query(colour: str, today: dt.date | None = None) -> dict:
    """The same rule as :func:`rag`, as a raw query over the actions collection."""
    today = today or clock.today()
    start = dt.datetime.combine(today, dt.time())
    soon = start + dt.timedelta(days=ACTION_AMBER_DAYS)
    open_ = {"state": {"$nin": list(DONE_STATUSES)}}
    challenged = {"last_pdc_verdict": "challenged", "state": {"$ne": "verified"}}
    red = {"$or": [challenged, {**open_, "due_date": {"$lt": start}}]}
    if colour == "red":
        return red
    amber = {**open_, "due_date": {"$gte": start, "$lte": soon}}
    if colour == "amber":
        return {"$and": [amber, {"$nor": [challenged]}]}
    return {"$nor": [red, amber]}
