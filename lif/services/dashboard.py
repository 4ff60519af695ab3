"""Dashboard figures, computed in the database with aggregation pipelines.

Every pipeline starts with the user's view filter, so a lead's dashboard counts only what
that lead may see. RAG is the same rule as ``plans.rag`` written as an expression.
"""

from __future__ import annotations

import datetime as dt

from config.deadlines import ACTION_AMBER_DAYS, DONE_STATUSES, PDC_DUE_SOON_DAYS

from .. import clock, permissions
from ..models import Action, ActionPlan, Audit, Review
from . import plans, reference


def _rag_expression(today: dt.date) -> dict:
    start = dt.datetime.combine(today, dt.time())
    return {"$switch": {
        "branches": [
            {"case": {"$and": [{"$eq": ["$last_pdc_verdict", "challenged"]},
                               {"$ne": ["$state", "verified"]}]}, "then": "red"},
            {"case": {"$in": ["$state", list(DONE_STATUSES)]}, "then": "green"},
            {"case": {"$lt": ["$due_date", start]}, "then": "red"},
            {"case": {"$lte": ["$due_date", start + dt.timedelta(days=ACTION_AMBER_DAYS)]},
             "then": "amber"},
        ],
        "default": "green",
    }}


def _action_match(user) -> dict | None:
    return permissions.view_filter(user, "action")


def figures(user, today: dt.date | None = None) -> dict:
    """Everything the dashboard shows, for what ``user`` may see."""
    today = today or clock.today()
    match = _action_match(user)
    if match is None:
        return {"empty": True}
    collection = Action._get_collection()
    start = dt.datetime.combine(today, dt.time())
    on_time = {"$cond": [{"$and": [{"$gt": ["$completed_on", None]},
                                   {"$lte": ["$completed_on", "$due_date"]}]}, 1, 0]}
    done = {"$cond": [{"$in": ["$state", ["complete", "verified"]]}, 1, 0]}
    open_ = {"$cond": [{"$in": ["$state", list(DONE_STATUSES)]}, 0, 1]}
    overdue = {"$cond": [{"$and": [{"$not": [{"$in": ["$state", list(DONE_STATUSES)]}]},
                                   {"$lt": ["$due_date", start]}]}, 1, 0]}
    [facets] = collection.aggregate([
        {"$match": match},
        {"$facet": {
            "by_status": [{"$group": {"_id": "$state", "n": {"$sum": 1}}}],
            "by_rag": [{"$group": {"_id": _rag_expression(today), "n": {"$sum": 1}}}],
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
    ])
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
        "overdue": list(Action.objects(__raw__={"$and": [match, plans.overdue_query(today)]})
                        .order_by("due_date").limit(50)),
        "pdc_due": _pdc_due(user, today),
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
    match = permissions.view_filter(user, "action_plan")
    if match is None:
        return []
    soon = dt.datetime.combine(today + dt.timedelta(days=PDC_DUE_SOON_DAYS), dt.time())
    query = {"$and": [match, {"state": "ratified", "next_pdc_review": {"$lte": soon}}]}
    return list(ActionPlan.objects(__raw__=query).order_by("next_pdc_review").limit(50))
