"""Action plan pages at 1k and 100k actions, beside raw pymongo running the same query.

Seeds N actions across N/50 plans and 12 agencies straight into the database, then times
whole requests through the app (routing, permissions, query, template): the admin action list
filtered by agency and status (page 1 and page 50), "My actions", the dashboard and the API
list. The baseline is the same query in raw pymongo, in the same run.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from bson import ObjectId

from bench.harness import bench_app, login
from lif import dated_pages
from lif.models import Action, ActionPlan
from lif.services import dashboard, users
from lif.services.plans import MY_ACTIONS_PAGE

AGENCIES = ["lscb", "police", "csc", "alder_hey", "ccg", "community_health", "education",
            "nspcc", "probation", "yos", "housing", "cdop"]
STATES = ["not_started", "in_progress", "complete", "verified", "cancelled"]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), percentile(samples, 95)


def seed(database, n_actions: int, rng: random.Random) -> ObjectId:
    """Insert plans and actions in bulk; return one plan id."""
    database.actions.delete_many({})
    database.action_plans.delete_many({})
    now = dt.datetime(2026, 1, 1)
    n_plans = max(1, n_actions // 50)
    plans = []
    for i in range(n_plans):
        single = i % 3 == 0
        plans.append({
            "_id": ObjectId(), "title": f"Plan {i}", "summary": "", "themes": [],
            "agencies": [], "state": "ratified", "workflow_history": [], "version": 1,
            "created_at": now, "created_by": "bench", "modified_at": now,
            "modified_by": "bench", "trashed": False,
            "kind": "single_agency" if single else "multi_agency",
            "agency": AGENCIES[i % 12] if single else None, "source_kind": "other",
            "source_other": "Benchmark", "finding_uids": [], "owner": "bench@example.org",
        })
    database.action_plans.insert_many(plans)
    batch = []
    for i in range(n_actions):
        plan = plans[i % n_plans]
        agency = plan["agency"] or AGENCIES[rng.randrange(12)]
        due = now + dt.timedelta(days=rng.randrange(-200, 400))
        batch.append({
            "title": f"Action {i}", "summary": "", "themes": [], "agencies": [agency],
            "state": STATES[rng.randrange(5)], "workflow_history": [], "version": 1,
            "created_at": now, "created_by": "bench", "modified_at": now,
            "modified_by": "bench", "trashed": False, "plan": plan["_id"],
            "description": "Deliver the briefing to all front-line staff.",
            "lead_name": "Named lead", "lead_email": "lead@example.org", "agency": agency,
            "due_date": due, "progress": [], "evidence": [], "finding_uid": "",
            "finding_text": "", "cancel_reason": "", "last_pdc_comment": "",
        })
        if len(batch) == 5000:
            database.actions.insert_many(batch)
            batch = []
    if batch:
        database.actions.insert_many(batch)
    Action.ensure_indexes()
    ActionPlan.ensure_indexes()
    # Written past the services, so the due-date bounds the lists page by are recomputed here;
    # LIF's own writes keep them current (lif/dated_pages.py).
    dated_pages.refresh_bounds(Action, "due_date", now, force=True)
    return plans[0]["_id"]


def _cases(database, admin, lead, token) -> list[tuple]:
    """(name, the page request, the same query in raw pymongo) for one data size."""
    page50_skip = 50 * 20
    # The baselines send the same filters the app sends (see lif.permissions).
    status_query = {"trashed": False, "agency": "police", "state": "in_progress"}
    return [
        ("action list, agency+status, page 1",
         lambda: admin.get("/admin/action/?flt0_agency_equals=police"
                           "&flt1_status_equals=in_progress"),
         lambda: list(database.actions.find(status_query).sort("due_date", 1).limit(20))),
        ("action list, agency+status, page 50",
         lambda: admin.get("/admin/action/?flt0_agency_equals=police"
                           "&flt1_status_equals=in_progress&page=49"),
         lambda: list(database.actions.find(status_query).sort("due_date", 1)
                      .skip(page50_skip).limit(20))),
        ("My actions (lead)", lambda: lead.get("/admin/my_actions/"),
         lambda: list(database.actions.find(
             {"trashed": False, "agency": "police",
              "state": {"$in": ["not_started", "in_progress"]}})
             .sort("due_date", 1).limit(MY_ACTIONS_PAGE))),
        ("dashboard (admin), figures cached", lambda: admin.get("/admin/"),
         lambda: list(database.actions.aggregate([
             {"$match": {"trashed": False}},
             {"$group": {"_id": {"a": "$agency", "s": "$state"}, "n": {"$sum": 1}}}]))),
        ("dashboard (admin), after a change", lambda: (dashboard.bump_generation(),
                                                       admin.get("/admin/"))[1],
         lambda: list(database.actions.aggregate([
             {"$match": {"trashed": False}},
             {"$group": {"_id": {"a": "$agency", "s": "$state"}, "n": {"$sum": 1}}}]))),
        ("API action list (lead)",
         lambda: lead.get("/api/v1/actions?per_page=50",
                          headers={"Authorization": f"Bearer {token}"}),
         lambda: list(database.actions.find(
             {"trashed": False, "agency": "police"}).sort("due_date", 1)
             .limit(51))),
    ]


def run(quick: bool = False) -> list[dict]:
    sizes = [500, 2_000] if quick else [1_000, 100_000]
    repeat = 5 if quick else 30
    rows = []
    with bench_app() as (app, database):
        users.create_user("lead.bench@example.org", "bench password 123", ["lead"], "police")
        users.create_user("boss.bench@example.org", "bench password 123", ["admin"])
        token = users.create_token("lead.bench@example.org")
        for size in sizes:
            seed(database, size, random.Random(1))
            admin = login(app, "boss.bench@example.org")
            lead = login(app, "lead.bench@example.org")
            cases = _cases(database, admin, lead, token)
            for name, page, baseline in cases:
                status = page().status_code
                p50, p95 = timed(page, repeat)
                b50, b95 = timed(baseline, repeat)
                rows.append({"area": "plans", "measure": name, "size": f"{size:,} actions",
                             "p50_ms": p50, "p95_ms": p95, "baseline": "raw pymongo",
                             "baseline_p95_ms": b95, "ratio": p95 / b95 if b95 else None,
                             "note": "" if status == 200 else f"HTTP {status}"})
    return rows
