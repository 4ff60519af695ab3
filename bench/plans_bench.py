"""Action plan pages at 1k, 10k and 100k actions, beside the same database work done raw.

Each size has a process of its own with its own embedded database: it seeds N actions across
N/50 plans and 12 agencies straight into the database, then times whole requests through the
app (routing, permissions, queries, templates): the admin action list filtered by agency and
status (page 1 and page 50), filtered by agency and sorted by title, and its search box (the
search index, built for sizes up to ``SEARCH_INDEX_UP_TO``), "My actions", the dashboard of
the business manager (figures cached, and right after a change) and of a lead, and the API
list. ``BENCH_PLANS_SIZES=1000,10000`` picks the sizes.

The baseline of a page is the database work that page does, done raw: the commands the
request sent (recorded once with pymongo's command monitoring: finds, aggregations, getMores,
counts, writes) sent again with pymongo and their results decoded, without the app around
them. So every baseline does the same database work as its page, whatever that work is, and
the table shows how many commands (round trips) each page sends.

The sizes are measured interleaved: round by round, each page is timed a few times in every
size's process in turn (the order alternating), and within a size the page and its baseline
alternate, so a busy machine slows all of them alike. Seeding waits for a busy database
instead of failing (long driver time-outs; a batch that fails is retried, and a retried batch
skips what it had stored).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator

from bson import ObjectId
from pymongo import monitoring
from pymongo.errors import (
    AutoReconnect,
    BulkWriteError,
    ExecutionTimeout,
    NetworkTimeout,
    OperationFailure,
)

from lif import list_pages
from lif.models import Action, ActionPlan
from lif.services import dashboard, searching

AGENCIES = ["lscb", "police", "csc", "alder_hey", "ccg", "community_health", "education",
            "nspcc", "probation", "yos", "housing", "cdop"]
STATES = ["not_started", "in_progress", "complete", "verified", "cancelled"]
# Fields the driver adds to a command for its session; a replay gets its own.
_DRIVER_FIELDS = {"lsid", "$db", "$clusterTime", "$readPreference", "txnNumber", "autocommit",
                  "startTransaction"}
RETRIES = 8
SEARCH_INDEX_UP_TO = 10_000  # actions: the search index is built for sizes up to this


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def patiently(what: str, fn: Callable[[], object]) -> object:
    """Run ``fn``; when the database is too busy to answer in time, wait and run it again."""
    for attempt in range(RETRIES):
        try:
            return fn()
        except (AutoReconnect, NetworkTimeout, ExecutionTimeout) as exc:
            if attempt == RETRIES - 1:
                raise
            pause = min(2 ** attempt, 30)
            print(f"bench plans: {what}: {type(exc).__name__} ({exc}); again in {pause} s",
                  file=sys.stderr, flush=True)
            time.sleep(pause)
    raise AssertionError("unreachable")


def _insert(collection, batch: list[dict]) -> None:
    """Insert ``batch`` (documents with their ``_id``); a retry skips what was stored."""
    def insert() -> None:
        try:
            collection.insert_many(batch, ordered=False)
        except BulkWriteError as exc:
            if any(error.get("code") != 11000 for error in exc.details["writeErrors"]):
                raise

    patiently(f"inserting {len(batch)} into {collection.name}", insert)


def seed(database, n_actions: int, rng: random.Random) -> ObjectId:
    """Insert plans and actions in bulk; return one plan id."""
    patiently("emptying actions", lambda: database.actions.delete_many({}))
    patiently("emptying plans", lambda: database.action_plans.delete_many({}))
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
    for start in range(0, len(plans), 1000):
        _insert(database.action_plans, plans[start:start + 1000])
    batch = []
    for i in range(n_actions):
        plan = plans[i % n_plans]
        agency = plan["agency"] or AGENCIES[rng.randrange(12)]
        due = now + dt.timedelta(days=rng.randrange(-200, 400))
        # Changed at different times over the last year, as real actions are (a list
        # sorted by the last change splits into windows only where the times differ).
        changed = now - dt.timedelta(seconds=(i * 7919) % 31_536_000)
        batch.append({
            "_id": ObjectId(), "title": f"Action {i}", "summary": "", "themes": [],
            "agencies": [agency],
            "state": STATES[rng.randrange(5)], "workflow_history": [], "version": 1,
            "created_at": changed, "created_by": "bench", "modified_at": changed,
            "modified_by": "bench", "trashed": False, "plan": plan["_id"],
            "description": "Deliver the briefing to all front-line staff.",
            "lead_name": "Named lead", "lead_email": "lead@example.org", "agency": agency,
            "due_date": due, "finding_uid": "",
            "finding_text": "", "cancel_reason": "", "last_pdc_comment": "",
        })
        if len(batch) == 1000:
            _insert(database.actions, batch)
            batch = []
    if batch:
        _insert(database.actions, batch)
    patiently("indexes", Action.ensure_indexes)
    patiently("indexes", ActionPlan.ensure_indexes)
    # Written past the services: the fence posts the lists page by are recomputed here, as
    # the daily sweep would (lif/list_pages.py).
    patiently("fence posts", lambda: list_pages.refresh_all(now, force=True))
    # The search index, for a list's search box (also written past the services). Its
    # build is slow (see the search area): above SEARCH_INDEX_UP_TO actions the search box
    # finds nothing and its row says so.
    if n_actions <= SEARCH_INDEX_UP_TO:
        patiently("search index", searching.reindex)
    return plans[0]["_id"]


def _cases(admin, lead, token) -> list[tuple[str, Callable]]:
    """(name, the page request) for one data size. A page's baseline is recorded from it."""
    api = {"Authorization": f"Bearer {token}"}
    return [
        ("action list, agency+status, page 1",
         lambda: admin.get("/admin/action/?flt0_agency_equals=police"
                           "&flt1_status_equals=in_progress")),
        ("action list, agency+status, page 50",
         lambda: admin.get("/admin/action/?flt0_agency_equals=police"
                           "&flt1_status_equals=in_progress&page=49")),
        ("action list, agency, sorted by title",
         lambda: admin.get("/admin/action/?flt0_agency_equals=police&sort=0")),
        ("action list, search box ('Action 99')",
         lambda: admin.get("/admin/action/?search=Action+99")),
        ("My actions (lead)", lambda: lead.get("/admin/my_actions/")),
        ("dashboard (lead), figures cached", lambda: lead.get("/admin/")),
        ("dashboard (admin), figures cached", lambda: admin.get("/admin/")),
        ("dashboard (admin), after a change",
         lambda: (dashboard.bump_generation(), admin.get("/admin/"))[1]),
        ("API action list (lead)", lambda: lead.get("/api/v1/actions?per_page=50", headers=api)),
    ]


class _Recorder(monitoring.CommandListener):
    """Keep the commands one thread sends while recording (other threads are left out:
    a background recount is not the request's work)."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.commands: list[tuple[str, dict]] = []

    def started(self, event) -> None:
        if event.command_name in ("endSessions", "killCursors"):
            return
        if self.thread == threading.get_ident():
            command = {k: v for k, v in event.command.items() if k not in _DRIVER_FIELDS}
            self.commands.append((event.database_name, command))

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass

    def record(self, fn: Callable) -> tuple[object, list[tuple[str, dict]]]:
        self.commands, self.thread = [], threading.get_ident()
        try:
            return fn(), self.commands
        finally:
            self.thread = None


def _replay(client, commands: list[tuple[str, dict]]) -> None:
    """Send ``commands`` again (a getMore continues the cursor the replay opened)."""
    cursors: dict[str, int] = {}
    for db_name, command in commands:
        name = next(iter(command))
        if name == "getMore":
            collection = command["collection"]
            cursor_id = cursors.get(collection, 0)
            if not cursor_id:
                continue
            command = {**command, "getMore": cursor_id}
        try:
            reply = client[db_name].command(command)
        except OperationFailure as exc:
            # An insert sent again finds its own document (a round trip all the same).
            if exc.code != 11000:
                raise
            reply = {}
        cursor = reply.get("cursor") if isinstance(reply, dict) else None
        if cursor is not None:
            collection = cursor.get("ns", "").split(".", 1)[-1]
            cursors[collection] = cursor.get("id", 0)
    for collection, cursor_id in cursors.items():
        if cursor_id:
            client[commands[0][0]].command({"killCursors": collection, "cursors": [cursor_id]})


def _size_worker(conn, size: int) -> None:
    """Seed ``size`` actions in a fresh app and database, then time pages on request."""
    recorder = _Recorder()
    monitoring.register(recorder)  # before the app's client exists
    from bench.harness import bench_app, login
    from lif.services import users

    try:
        with bench_app(patient=True) as (app, database):
            users.create_user("lead.bench@example.org", "bench password 123", ["lead"],
                              "police")
            users.create_user("boss.bench@example.org", "bench password 123", ["admin"])
            token = users.create_token("lead.bench@example.org")
            started = time.perf_counter()
            seed(database, size, random.Random(1))
            print(f"bench plans: {size:,} actions seeded in {time.perf_counter() - started:.0f}"
                  " s", file=sys.stderr, flush=True)
            admin = login(app, "boss.bench@example.org")
            lead = login(app, "lead.bench@example.org")
            pages = dict(_cases(admin, lead, token))
            replays, info = {}, {}
            for name, page in pages.items():
                page()  # warm up (templates, caches)
                response, commands = recorder.record(page)
                client = database.client
                replays[name] = (lambda c=commands, cl=client: _replay(cl, c))
                replays[name]()  # the replay works
                info[name] = {"status": response.status_code, "commands": len(commands)}
            conn.send(("ready", info))
            while True:
                message = conn.recv()
                if message[0] == "stop":
                    break
                _, name, reps = message
                try:
                    conn.send(("ok", _alternate(pages[name], replays[name], reps)))
                except Exception as exc:  # noqa: BLE001 - one page failing is reported
                    conn.send(("error", f"{type(exc).__name__}: {exc}"))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it in the table
        traceback.print_exc()
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _alternate(page: Callable, baseline: Callable, reps: int) -> tuple[list, list]:
    """Time ``reps`` pages and ``reps`` baselines, alternating which goes first."""
    pages, baselines = [], []
    for i in range(reps):
        for which in ((page, baseline) if i % 2 else (baseline, page)):
            start = time.perf_counter()
            which()
            (pages if which is page else baselines).append(
                (time.perf_counter() - start) * 1000)
    return pages, baselines


def rows(quick: bool = False) -> Iterator[dict]:
    """Measure every size interleaved; yield one row per page and size."""
    sizes = [500, 2_000] if quick else [1_000, 10_000, 100_000]
    if os.environ.get("BENCH_PLANS_SIZES"):  # e.g. "1000,10000": these sizes only
        sizes = [int(n) for n in os.environ["BENCH_PLANS_SIZES"].split(",")]
    rounds, reps = (2, 3) if quick else (6, 5)
    ctx = multiprocessing.get_context("spawn")
    workers = {}
    for size in sizes:
        here, there = ctx.Pipe()
        process = ctx.Process(target=_size_worker, args=(there, size), daemon=True)
        process.start()
        there.close()
        workers[size] = (process, here)
    try:
        info, failed = {}, {}
        for size, (process, conn) in workers.items():
            try:
                status, value = conn.recv()
            except EOFError:
                status, value = "failed", f"its process ended (exit status {process.exitcode})"
            if status == "ready":
                info[size] = value
            else:
                failed[size] = value
        for size, why in failed.items():
            yield {"area": "plans", "measure": "**FAILED**", "size": f"{size:,} actions",
                   "note": f"seeding or set-up failed: {why}"}
        live = [size for size in sizes if size in info]
        if not live:
            return
        names = list(info[live[0]])
        samples = {(size, name): ([], []) for size in live for name in names}
        errors: dict[tuple[int, str], str] = {}
        for round_ in range(rounds):
            order = live if round_ % 2 == 0 else live[::-1]
            for name in names:
                for size in order:
                    if (size, name) in errors:
                        continue
                    conn = workers[size][1]
                    conn.send(("measure", name, reps))
                    try:
                        status, value = conn.recv()
                    except EOFError:
                        status, value = "error", "the size's process ended"
                    if status == "ok":
                        samples[size, name][0].extend(value[0])
                        samples[size, name][1].extend(value[1])
                    else:
                        errors[size, name] = value
            print(f"bench plans: round {round_ + 1} of {rounds} done", file=sys.stderr,
                  flush=True)
        smallest: dict[str, float] = {}
        for name in names:
            for size in live:
                label = f"{size:,} actions"
                if (size, name) in errors:
                    yield {"area": "plans", "measure": name, "size": label,
                           "note": f"**FAILED**: {errors[size, name]}"}
                    continue
                page, base = samples[size, name]
                p95, b95 = percentile(page, 95), percentile(base, 95)
                about = info[size][name]
                note = [f"{about['commands']} database commands"]
                if about["status"] != 200:
                    note.append(f"HTTP {about['status']}")
                if name in smallest:
                    note.append(f"p95 ÷ the {live[0]:,}-action p95: {p95 / smallest[name]:.1f}×")
                else:
                    smallest[name] = p95
                yield {"area": "plans", "measure": name, "size": label,
                       "p50_ms": statistics.median(page), "p95_ms": p95,
                       "baseline": "its database commands, raw", "baseline_p95_ms": b95,
                       "ratio": p95 / b95 if b95 else None, "note": "; ".join(note)}
    finally:
        for _process, conn in workers.values():
            try:
                conn.send(("stop",))
            except (BrokenPipeError, OSError):
                pass
        for process, _conn in workers.values():
            process.join(timeout=120)
            if process.is_alive():
                process.terminate()
                process.join()


def run(quick: bool = False) -> list[dict]:
    """All rows at once (see :func:`rows`)."""
    return list(rows(quick))
