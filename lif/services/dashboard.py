"""Dashboard figures, computed in the database with aggregation pipelines.

Every pipeline starts with the user's view filter, so a lead's dashboard counts only what
that lead may see. RAG is ``plans.rag``'s rules (``lif/rag.py``) read as an expression.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time

import pymongo

from config.deadlines import (
    DASHBOARD_MIN_REFRESH_SECONDS,
    DASHBOARD_SLOW_MS,
    DASHBOARD_TIMEOUT_SECONDS,
    DONE_STATUSES,
)

from .. import clock, clocks, policy, rag
from ..db import database
from ..models import Action, ActionPlan, Audit, Review
from . import plans, reference


def rag_expression(today: dt.date) -> dict:
    """The colour of each action (``plans.rag``'s rules as an aggregation expression)."""
    return rag.expression(clocks.rag_dates(today))


def overdue_expression(today: dt.date) -> dict:
    """1 for an overdue action, else 0 (``plans.overdue_query`` as an expression)."""
    return {"$cond": [rag.condition_expression("overdue", clocks.rag_dates(today)), 1, 0]}


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _action_match(user) -> dict | None:
    return policy.view_filter(user, "action")


GENERATION_ID = "dashboard"
# The name of the thread that recounts slow figures in the background.
REFRESH_THREAD = "lif-dashboard-refresh"


def bump_generation(*_args, **_kwargs) -> None:
    """Mark cached figures out of date (connected to changes of actions and plans)."""
    database().counters.update_one({"_id": GENERATION_ID}, {"$inc": {"n": 1}}, upsert=True)


def _generation() -> int:
    doc = database().counters.find_one({"_id": GENERATION_ID})
    return doc["n"] if doc else 0


def _scope(user) -> str:
    """What ``user``'s figures depend on: the actions and plans they may see."""
    scope = [policy.view_filter(user, "action"), policy.view_filter(user, "action_plan")]
    return hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()


def figures(user, today: dt.date | None = None) -> dict:
    """Everything the dashboard shows, for what ``user`` may see.

    Figures are cached per permission scope and day, and recomputed after any change to
    actions or plans, in the request. Only when the last computation was slow (see
    ``DASHBOARD_SLOW_MS``: a very large install on the embedded database) are the previous
    figures shown — yesterday's too, on a new day — with their time, and fresh ones computed
    in the background, at most once every ``DASHBOARD_MIN_REFRESH_SECONDS``, because while
    such a computation runs the embedded database answers everyone else slowly.
    """
    today = today or clock.today()
    if _action_match(user) is None:
        return {"empty": True}
    cache = database().dashboard_cache
    scope = _scope(user)
    key = f"{scope}:{today.isoformat()}"
    generation = _generation()
    cached = cache.find_one({"_id": key})
    if cached and cached["generation"] == generation:
        return _hydrate(cached, stale=False)
    cached = cached or cache.find_one({"scope": scope}, sort=[("computed_at", -1)])
    now = clock.now()
    if cached and cached.get("compute_ms", 0) > DASHBOARD_SLOW_MS:
        due = cached["computed_at"] + dt.timedelta(seconds=DASHBOARD_MIN_REFRESH_SECONDS)
        if cached["_id"] != key:  # the figures of an earlier day: recount now
            due = min(due, now)
        claimed = now >= due and cache.update_one(
            {"_id": cached["_id"], "$or": [{"computing_until": None},
                                           {"computing_until": {"$lt": now}}]},
            {"$set": {"computing_until": now + dt.timedelta(seconds=120)}},
        ).modified_count
        if claimed:
            threading.Thread(target=_refresh, args=(user, today, scope, generation),
                             name=REFRESH_THREAD, daemon=True).start()
        return _hydrate(cached, stale=True, recount_at=due if due > now else None)
    return _hydrate(_refresh(user, today, scope, generation), stale=False)


def _refresh(user, today: dt.date, scope: str, generation: int) -> dict:
    started = time.perf_counter()
    data = _compute(user, today)
    key = f"{scope}:{today.isoformat()}"
    record = {
        "_id": key, "scope": scope, "generation": generation, "computed_at": clock.now(),
        "compute_ms": (time.perf_counter() - started) * 1000, "computing_until": None,
        "data": data,
    }
    cache = database().dashboard_cache
    cache.replace_one({"_id": key}, record, upsert=True)
    # Earlier days' figures of this scope, and records from before scopes were kept.
    cache.delete_many({"$or": [{"scope": scope, "_id": {"$ne": key}},
                               {"scope": {"$exists": False}}]})
    return record


def _hydrate(record: dict, *, stale: bool, recount_at: dt.datetime | None = None) -> dict:
    data = dict(record["data"])
    overdue_ids, plan_ids = data.pop("overdue_ids"), data.pop("pdc_due_ids")
    overdue = {a.pk: a for a in Action.objects(pk__in=overdue_ids)}
    due = {p.pk: p for p in ActionPlan.objects(pk__in=plan_ids)}
    data["overdue"] = [overdue[i] for i in overdue_ids if i in overdue]
    data["pdc_due"] = [due[i] for i in plan_ids if i in due]
    data["as_of"] = record["computed_at"]
    data["stale"] = stale
    data["recount_at"] = recount_at  # stale figures: when they will be recounted (None: now)
    data["recount_minutes"] = DASHBOARD_MIN_REFRESH_SECONDS // 60
    return data


def _compute(user, today: dt.date) -> dict:
    match = _action_match(user)
    collection = Action._get_collection()
    start = dt.datetime.combine(today, dt.time())
    on_time = {"$cond": [{"$and": [{"$gt": ["$completed_on", None]},
                                   {"$lte": ["$completed_on", "$due_date"]}]}, 1, 0]}
    done = {"$cond": [{"$in": ["$state", ["complete", "verified"]]}, 1, 0]}
    open_ = {"$cond": [{"$in": ["$state", list(DONE_STATUSES)]}, 0, 1]}
    overdue = overdue_expression(today)
    # The one slow operation LIF runs on purpose (seconds on the embedded database at 100k
    # actions): it gets its own generous time limit instead of the connection's.
    with pymongo.timeout(DASHBOARD_TIMEOUT_SECONDS):
        [facets] = collection.aggregate(_pipeline(match, today, start, on_time, done, open_,
                                                  overdue))
    return _shape(facets, user, today, match)


def _pipeline(match, today, start, on_time, done, open_, overdue) -> list[dict]:
    return [
        {"$match": match},
        {"$facet": {
            "by_status": [{"$group": {"_id": "$state", "n": {"$sum": 1}}}],
            "by_rag": [{"$group": {"_id": rag_expression(today), "n": {"$sum": 1}}}],
            "by_agency": [
                {"$group": {"_id": "$agency", "total": {"$sum": 1}, "open": {"$sum": open_},
                            "overdue": {"$sum": overdue}, "complete": {"$sum": done},
                            "on_time": {"$sum": on_time}}},
                {"$sort": {"overdue": -1, "_id": 1}},
            ],
            "by_plan": [{"$group": {"_id": "$plan", "n": {"$sum": 1}, "open": {"$sum": open_},
                                    "overdue": {"$sum": overdue}}}],
            "completed_by_quarter": [
                {"$match": {"completed_on": {"$type": "date"}}},
                {"$group": {"_id": {"y": {"$year": "$completed_on"},
                                    "q": {"$ceil": {"$divide": [{"$month": "$completed_on"},
                                                                3]}}},
                            "n": {"$sum": 1}, "on_time": {"$sum": on_time}}},
                {"$sort": {"_id.y": 1, "_id.q": 1}},
            ],
            "due_by_quarter": [
                {"$group": {"_id": {"y": {"$year": "$due_date"},
                                    "q": {"$ceil": {"$divide": [{"$month": "$due_date"}, 3]}}},
                            "n": {"$sum": 1}}},
                {"$sort": {"_id.y": 1, "_id.q": 1}},
            ],
        }},
    ]


def _shape(facets: dict, user, today: dt.date, match: dict) -> dict:
    names = reference.agency_names()
    by_agency = []
    for row in facets["by_agency"]:
        finished = row["complete"]
        by_agency.append({
            "agency": row["_id"], "name": names.get(row["_id"], row["_id"] or "—"),
            "total": row["total"], "open": row["open"], "overdue": row["overdue"],
            "complete": finished,
            "on_time_pct": round(100 * row["on_time"] / finished) if finished else None,
        })
    return {
        "empty": False,
        "by_status": {r["_id"]: r["n"] for r in facets["by_status"]},
        "by_rag": {r["_id"]: r["n"] for r in facets["by_rag"]},
        "by_agency": by_agency,
        "by_source": _by_source(facets["by_plan"]),
        "quarters": _quarters(facets["completed_by_quarter"], facets["due_by_quarter"]),
        "overdue_ids": list(
            Action.objects(__raw__=policy.and_query(match, plans.overdue_query(today)))
            .order_by("due_date").limit(50).scalar("pk")
        ),
        "pdc_due_ids": [p.pk for p in _pdc_due(user, today)],
    }


def _by_source(plan_rows: list[dict]) -> list[dict]:
    """Roll per-plan counts up to the plan's source review or audit (few plans: small join)."""
    plan_ids = [r["_id"] for r in plan_rows]
    sources = {}
    for plan in ActionPlan.objects(pk__in=plan_ids).only("review", "audit", "source_other",
                                                         "source_kind").no_dereference():
        ref = plan._data.get("review") or plan._data.get("audit")
        key = getattr(ref, "id", ref) or plan.source_other
        sources[plan.pk] = (plan.source_kind, key)
    totals: dict = {}
    for row in plan_rows:
        kind, key = sources.get(row["_id"], ("other", None))
        entry = totals.setdefault((kind, key), {"n": 0, "open": 0, "overdue": 0})
        for field in ("n", "open", "overdue"):
            entry[field] += row[field]
    titles = {}
    review_ids = [k for kind, k in totals if kind == "review"]
    audit_ids = [k for kind, k in totals if kind == "audit"]
    titles.update({r.pk: r.title for r in Review.objects(pk__in=review_ids).only("title")})
    titles.update({a.pk: a.title for a in Audit.objects(pk__in=audit_ids).only("title")})
    result = [
        {"kind": kind, "id": str(key) if key else "", "title": titles.get(key, key or "—"),
         **counts}
        for (kind, key), counts in totals.items()
    ]
    return sorted(result, key=lambda r: (-r["overdue"], -r["n"]))


def _quarters(completed: list[dict], due: list[dict]) -> list[dict]:
    rows: dict = {}
    for row in due:
        if row["_id"]["y"] is None:
            continue
        key = (row["_id"]["y"], int(row["_id"]["q"]))
        rows.setdefault(key, {"due": 0, "completed": 0, "on_time": 0})["due"] = row["n"]
    for row in completed:
        key = (row["_id"]["y"], int(row["_id"]["q"]))
        entry = rows.setdefault(key, {"due": 0, "completed": 0, "on_time": 0})
        entry["completed"] = row["n"]
        entry["on_time"] = row["on_time"]
    return [{"quarter": f"{y} Q{q}", **counts} for (y, q), counts in sorted(rows.items())]


def _pdc_due(user, today: dt.date) -> list[ActionPlan]:
    match = policy.view_filter(user, "action_plan")
    if match is None:
        return []
    soon = _midnight(clocks.pdc_due_soon_until(today))
    query = policy.and_query(match, {"state": "ratified", "next_pdc_review": {"$lte": soon}})
    return list(ActionPlan.objects(__raw__=query).order_by("next_pdc_review").limit(50)
                .only("id"))
