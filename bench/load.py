"""Load: concurrent people on gunicorn (2 workers) sharing ONE embedded database server.

What runs, as in a multi-worker install (README "Running on a real MongoDB"):

1. ``flask --app app lif db`` in the background: the embedded database on its own, with the
   demo data (LIF_DEMO_DATA=1); it writes ``LIF_DATA_DIR/db.port``.
2. This process connects to that server through the port file and adds the load's data with
   the services: one single-agency plan per lead agency with ``ACTIONS_PER_AGENCY`` actions,
   a Word file as evidence on some of them, and one workforce-lead account per client.
3. ``gunicorn -w 2 --threads T 'app:create_app()'`` with LIF_SCHEDULER=0; each worker finds
   the same database server through the port file.
4. A warm-up and an in-run baseline (one client alone), then ``clients`` threads for
   ``duration`` seconds, each a signed-in workforce lead with its own session, choosing at
   random (weights in ``MIX``): the action list (filtered by agency every other time), a
   search, an update of one of its agency's actions with a progress note (the My actions
   form: POST, then the page it redirects to, which must say "progress added"), and a
   download of a Word file attached to one of its agency's actions.
5. Lost updates: every progress note carries a unique marker; an update is *acknowledged*
   when the page after the POST says "progress added". Afterwards the database is read and
   every acknowledged marker must be there exactly once.

Rows (bench table): p50/p95 per request kind at N clients, with the one-client p95 as the
baseline and the ratio; a total row with throughput, errors and lost updates.

``python -m bench.load [--quick] [--clients N] [--duration S] [--threads T]``; ``--quick`` is
5 clients for 10 s. ``python -m bench --only load`` puts the rows in the one table.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import http.cookies
import io
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from lif.db import free_port

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load bench passphrase 1"
ADMIN_EMAIL = "admin@load.lif.test"
ADMIN_PASSWORD = "load bench manager passphrase"
LEAD_AGENCIES = ("police", "alder_hey", "education", "csc")
ACTIONS_PER_AGENCY = 25
FILES_PER_AGENCY = 5
MIX = {"list": 35, "search": 25, "update": 25, "download": 15}
SEARCHES = ["bruising", "neglect", "domestic abuse", "MERIT", "interpreters", "chronology",
            '"early help"', "dip sample", "fathers", "training"]
MARKER = re.compile(r"\[load (\d+)-(\d+)-(\d+)\]")  # run, client, sequence
START_TIMEOUT = 120


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- the installation -------------------------------------------------------------------------

@dataclass
class Install:
    data_dir: Path
    port: int
    threads: int
    db: subprocess.Popen | None = None
    web: subprocess.Popen | None = None
    actions: dict = field(default_factory=dict)      # agency -> [action id]
    files: dict = field(default_factory=dict)        # agency -> [(attachment id, size)]
    users: list = field(default_factory=list)        # (email, agency)
    db_by: str = ""

    def env(self, **extra) -> dict:
        env = {**os.environ, "LIF_DATA_DIR": str(self.data_dir), "LIF_SCHEDULER": "0",
               "LIF_ADMIN_EMAIL": ADMIN_EMAIL, "LIF_ADMIN_PASSWORD": ADMIN_PASSWORD,
               "LIF_ENV": "development", "PYTHONUNBUFFERED": "1", **extra}
        for name in ("MONGODB_URI", "LIF_SECRET_KEY"):
            env.pop(name, None)
        return env


def _wait_for(predicate, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited ({process.returncode}):\n"
                               + log.read_text(errors="replace")[-3000:])
        if predicate():
            return
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not start:\n" + log.read_text(errors="replace")[-3000:])


def start_database(install: Install) -> None:
    """``flask --app app lif db`` in the background; ``install.db`` stays None if it quits.

    Known bug (lif/db.py ``run_server_forever``): on a data dir with no server running, the
    command's own ``create_app`` starts the server, then ``run_server_forever`` finds that
    server "already running", returns, and the process exits (stopping it at exit). Until
    that is fixed the bench starts the one server itself, through the same
    ``lif.db.ensure_embedded``, and says so in its note.
    """
    log = install.data_dir / "lif-db.out"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "lif", "db"], cwd=ROOT,
            env=install.env(LIF_DEMO_DATA="1"), stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(lambda: "Embedded database on" in log.read_text(errors="replace"), process,
                  log, "flask --app app lif db")
    except RuntimeError:
        if "already running" not in log.read_text(errors="replace"):
            raise
        print("bench load: `flask --app app lif db` exited at once (it finds the server its "
              "own start-up made 'already running'); the bench runs the one embedded server "
              "itself instead.", file=sys.stderr, flush=True)
        install.db_by = "the bench process (lif db exits at once: known bug)"
        return
    install.db = process
    install.db_by = "`flask --app app lif db`"


def seed(install: Install, rng: random.Random, clients: int) -> None:
    """Plans, actions, Word files and one lead account per client, through the services."""
    os.environ["LIF_DATA_DIR"] = str(install.data_dir)
    from docx import Document

    from app import create_app
    from config.settings import TestingConfig
    from documents.uploads import check_upload
    from lif import clock, db
    from lif.actors import SYSTEM
    from lif.models import Action, ActionPlan
    from lif.services import content, plans, users

    config = TestingConfig()  # cheap password hashes for the accounts made here
    config.LIF_DATA_DIR = install.data_dir
    config.LIF_DEMO_DATA = install.db is None  # else `lif db` loaded the demo
    config.LIF_SCHEDULER = False
    config.LIF_ADMIN_EMAIL, config.LIF_ADMIN_PASSWORD = ADMIN_EMAIL, ADMIN_PASSWORD
    db.disconnect()
    create_app(config)  # finds the running server through the port file (or starts it)
    if install.db is not None:
        assert not db.embedded_server().owned, "the load must share the `lif db` server"
    today = dt.date.today()
    made = clock.now() - dt.timedelta(days=60)  # so some actions can be overdue
    admin = users.find_by_email(ADMIN_EMAIL)
    for agency in LEAD_AGENCIES:
        plan = content.create(ActionPlan, {
            "title": f"Load test plan ({agency})", "kind": "single_agency", "agency": agency,
            "source_kind": "other", "source_other": "Load benchmark",
            "owner": f"owner@{agency.replace('_', '-')}.load.test", "agencies": [agency],
        }, SYSTEM, now=made)
        ids, files = [], []
        for i in range(ACTIONS_PER_AGENCY):
            action = content.create(Action, {
                "title": f"Load action {i + 1} for {agency}: brief teams on the chronology",
                "plan": plan, "description": "Read the chronology before first contact after "
                "a change of worker; record that it was read.", "agency": agency,
                "agencies": [agency], "lead_name": f"Lead {agency}",
                "lead_email": f"lead@{agency.replace('_', '-')}.load.test",
                "due_date": today + dt.timedelta(days=rng.randint(-30, 120)),
            }, SYSTEM, now=made)
            ids.append(str(action.pk))
            if i < FILES_PER_AGENCY:
                document = Document()
                document.add_heading(f"Dip sample {agency} {i}", level=1)
                for _ in range(40):
                    document.add_paragraph("Dip sample of twenty cases: the chronology was "
                                           "read before first contact in most of them. " * 3)
                buffer = io.BytesIO()
                document.save(buffer)
                checked = check_upload(f"dip sample {i}.docx", buffer.getvalue())
                action = plans.add_evidence(
                    action, "Dip sample after the briefings.", "Case file dip sample", admin,
                    files=[(checked.name, checked.data, checked.media_type, checked.text)])
                attachment_id = action.evidence[-1].attachment_ids[0]
                files.append((str(attachment_id), len(checked.data)))
        install.actions[agency], install.files[agency] = ids, files
    for n in range(clients):
        agency = LEAD_AGENCIES[n % len(LEAD_AGENCIES)]
        email = f"lead{n}.{agency.replace('_', '-')}@load.lif.test"
        if not users.find_by_email(email):
            users.create_user(email, PASSWORD, ["lead"], agency, f"Load lead {n}")
        install.users.append((email, agency))


def start_web(install: Install) -> None:
    log = install.data_dir / "gunicorn.out"
    with open(log, "w") as out:
        install.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads",
             str(install.threads), "--bind", f"127.0.0.1:{install.port}", "--timeout", "60",
             "app:create_app()"],
            cwd=ROOT, env=install.env(LIF_DEMO_DATA="0"), stdout=out, stderr=subprocess.STDOUT)

    def healthy() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", install.port, timeout=2)
            conn.request("GET", "/healthz")
            return conn.getresponse().status == 200
        except OSError:
            return False

    _wait_for(healthy, install.web, log, "gunicorn")
    time.sleep(2)  # both workers up, not only the first


def worker_pids(master: int) -> list[int]:
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in children]


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop(process: subprocess.Popen | None, sig=signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the clients --------------------------------------------------------------------------

class Browser:
    """One person's session over plain HTTP: cookies kept, redirects not followed."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                jar = http.cookies.SimpleCookie()
                jar.load(header)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location") or "", data
        finally:
            conn.close()

    def login(self, email: str) -> str:
        status, _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        status, where, _ = self.request("POST", "/login", {
            "email": email, "password": PASSWORD, "csrf_token": token})
        if status != 302 or "/login" in where:
            raise RuntimeError(f"login failed for {email}: {status} {where}")
        status, _, page = self.request("GET", "/admin/my_actions/")
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"My actions did not load for {email}: {status}")
        return match.group(1).decode()


@dataclass
class Tally:
    samples: dict = field(default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter = field(default_factory=collections.Counter)
    error_examples: list = field(default_factory=list)
    run: int = 0
    acknowledged: set = field(default_factory=set)   # (run, client, seq)
    unconfirmed: set = field(default_factory=set)    # POST answered, confirmation page not
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ms: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.samples[kind].append(ms)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_examples) < 10:
                    self.error_examples.append(f"{kind}: {detail}")


def client_loop(n: int, install: Install, tally: Tally, clock: dict, seed: int,
                start: threading.Barrier | None = None) -> None:
    """One person's requests until ``clock["until"]`` (set once every client is signed in)."""
    rng = random.Random(seed)
    email, agency = install.users[n]
    browser = Browser(install.port)
    csrf = browser.login(email)
    actions, files = install.actions[agency], install.files[agency]
    kinds, weights = list(MIX), list(MIX.values())
    seq = 0
    if start is not None:
        start.wait()
    while time.monotonic() < clock["until"]:
        kind = rng.choices(kinds, weights)[0]
        began = time.perf_counter()
        try:
            if kind == "list":
                path = "/admin/action/"
                if rng.random() < 0.5:
                    path += f"?flt0_agency_equals={agency}"
                status, _, page = browser.request("GET", path)
                tally.record("list actions", (time.perf_counter() - began) * 1000,
                             status == 200 and b"<table" in page, f"{status} {path}")
            elif kind == "search":
                q = rng.choice(SEARCHES)
                status, _, page = browser.request(
                    "GET", "/admin/search/?" + urllib.parse.urlencode({"q": q}))
                tally.record("search", (time.perf_counter() - began) * 1000,
                             status == 200 and b"alert-warning" not in page, f"{status} q={q}")
            elif kind == "download":
                attachment, size = rng.choice(files)
                status, _, data = browser.request("GET", f"/admin/file/{attachment}")
                tally.record("download Word file", (time.perf_counter() - began) * 1000,
                             status == 200 and len(data) == size, f"{status} {len(data)} B")
            else:
                seq += 1
                action = rng.choice(actions)
                key = (tally.run, n, seq)
                note = f"Briefing delivered to another team [load {key[0]}-{n}-{seq}]"
                status, where, _ = browser.request("POST", "/admin/my_actions/update/", {
                    "csrf_token": csrf, "id": action, "next": "/admin/my_actions/",
                    "progress": note})
                tally.record("update action (POST progress)",
                             (time.perf_counter() - began) * 1000, status == 302,
                             f"{status} {where}")
                if status != 302:
                    continue
                with tally.lock:
                    tally.unconfirmed.add(key)
                began = time.perf_counter()
                status, _, page = browser.request("GET", urllib.parse.urlparse(where).path)
                saved = status == 200 and b"progress added" in page
                tally.record("my actions (page after save)",
                             (time.perf_counter() - began) * 1000, saved,
                             f"{status} {'no confirmation' if status == 200 else ''}")
                if saved:
                    with tally.lock:
                        tally.unconfirmed.discard(key)
                        tally.acknowledged.add(key)
        except (OSError, http.client.HTTPException) as error:
            tally.record(kind, (time.perf_counter() - began) * 1000, False, repr(error))


def run_clients(install: Install, clients: int, duration: float, rng: random.Random,
                run: int) -> tuple:
    tally = Tally(run=run)
    threads = []
    until_box = {"until": float("inf")}
    barrier = threading.Barrier(  # the last to arrive sets the clock, before anyone runs
        clients + 1, action=lambda: until_box.update(until=time.monotonic() + duration))

    def target(n, seed):
        try:
            client_loop(n, install, tally, until_box, seed, barrier)
        except Exception as error:  # noqa: BLE001 - a client that cannot start is an error
            tally.record("client start", 0.0, False, repr(error))
            try:
                barrier.abort()
            except threading.BrokenBarrierError:
                pass

    for n in range(clients):
        thread = threading.Thread(target=target, args=(n, rng.randrange(1 << 30)), daemon=True)
        threads.append(thread)
        thread.start()
    try:
        barrier.wait(timeout=300)  # every client signed in
    except threading.BrokenBarrierError as error:
        until_box["until"] = 0.0
        raise RuntimeError(
            "clients could not start: " + "; ".join(tally.error_examples)) from error
    began = until_box["until"] - duration
    for thread in threads:
        thread.join(duration + 120)
    return tally, time.monotonic() - began


def count_lost(acknowledged: set, install: Install) -> dict:
    """Read every bench action's progress notes; compare with what was acknowledged."""
    from lif.db import database

    found = collections.Counter()
    ids = [a for agency in install.actions.values() for a in agency]
    from bson import ObjectId

    for entry in database().action_progress.find(
            {"action": {"$in": [ObjectId(i) for i in ids]}}, {"text": 1}):
        match = MARKER.search(entry.get("text", ""))
        if match:
            found[tuple(int(g) for g in match.groups())] += 1
    return {
        "acknowledged": len(acknowledged),
        "stored": sum(found.values()),
        "lost": len([k for k in acknowledged if found[k] == 0]),
        "duplicated": len([k for k, v in found.items() if v > 1]),
    }


def run(quick: bool = False, clients: int | None = None, duration: float | None = None,
        threads: int = 4) -> list[dict]:
    clients = clients or (5 if quick else 20)
    duration = duration or (10 if quick else 60)
    baseline_seconds = 3 if quick else 10
    rng = random.Random(20261126)
    install = Install(Path(tempfile.mkdtemp(prefix="lif-load-")), free_port(), threads)
    try:
        start_database(install)
        seed(install, rng, max(clients, 1))
        start_web(install)
        # Warm-up (templates, caches, search index readers), then one client alone.
        warm, _ = run_clients(install, 1, 2, rng, run=1)
        alone, _ = run_clients(install, 1, baseline_seconds, rng, run=2)
        loaded, elapsed = run_clients(install, clients, duration, rng, run=3)
        peak = max([peak_rss_mb(pid) for pid in worker_pids(install.web.pid)] or [0.0])
        from lif import db

        server = db.embedded_server()
        owner = install.db.pid if install.db is not None else os.getpid()
        db_peak = max([peak_rss_mb(pid) for pid in worker_pids(owner)
                       if server is None or server.process is None or pid == server.process.pid]
                      or [0.0])
        stop(install.web)
        every_ack = loaded.acknowledged | alone.acknowledged | warm.acknowledged
        lost = count_lost(every_ack, install)
    finally:
        stop(install.web)
        stop(install.db, signal.SIGINT)
        from lif import db

        server = db.embedded_server()
        if server is not None and server.owned:
            server.stop()
        db.disconnect()
        shutil.rmtree(install.data_dir, ignore_errors=True)
    size = f"{clients} clients × {duration:.0f} s"
    rows = []
    for kind, samples in sorted(loaded.samples.items()):
        base = alone.samples.get(kind)
        base_p95 = percentile(base, 95) if base else None
        p95 = percentile(samples, 95)
        rows.append({
            "area": "load", "measure": kind, "size": size,
            "p50_ms": statistics.median(samples), "p95_ms": p95,
            "baseline": "1 client alone" if base else "",
            "baseline_p95_ms": base_p95, "ratio": p95 / base_p95 if base_p95 else None,
            "note": f"{len(samples)} requests, {loaded.errors[kind]} errors",
        })
    every = [ms for samples in loaded.samples.values() for ms in samples]
    errors = sum(loaded.errors.values())
    note = (f"{len(every) / elapsed:.1f} req/s; {errors} errors; "
            f"{lost['acknowledged']} updates acknowledged, {lost['lost']} lost, "
            f"{lost['duplicated']} duplicated, {len(loaded.unconfirmed)} unconfirmed; "
            f"gunicorn 2 workers × {threads} threads (peak MB: largest worker); one "
            f"embedded database server run by {install.db_by} (its peak {db_peak:.0f} MB)")
    if loaded.error_examples:
        note += "; e.g. " + " / ".join(loaded.error_examples[:3])
    rows.append({"area": "load", "measure": "all requests (throughput)", "size": size,
                 "p50_ms": statistics.median(every) if every else None,
                 "p95_ms": percentile(every, 95) if every else None, "peak_mb": peak,
                 "baseline": "", "note": note})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--quick", action="store_true", help="5 clients for 10 s")
    parser.add_argument("--clients", type=int)
    parser.add_argument("--duration", type=float, help="seconds")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args(argv)
    from bench.__main__ import table

    # SIGTERM (a CI timeout) ends the run through `finally`: gunicorn and the database stop.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))

    rows = run(args.quick, args.clients, args.duration, args.threads)
    print(table(rows))
    total = rows[-1]["note"]
    return 0 if " 0 errors" in total and " 0 lost" in total else 1


if __name__ == "__main__":
    sys.exit(main())
