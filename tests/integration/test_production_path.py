"""The production path: two gunicorn workers and one scheduler on one replica-set database.

As DESIGN.md "Growing past one machine" and docs/administration.md run it: the database is a
MongoDB replica set reached through ``MONGODB_URI`` (here the embedded server started without
``--standalone``, tests/replica_set.py), the web workers run with ``LIF_SCHEDULER=0``, and
exactly one ``flask --app app lif scheduler`` (or cron's ``lif sweep``) runs the deadlines.
A plan is driven through its life over HTTP while requests land on both workers; then the
sweeps' effects are counted: each happened once, however many processes swept.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pymongo import MongoClient

from .. import replica_set
from ..polling import wait_for
from .test_faults import Browser
from .test_notifications import Inbox
from .test_server import PASSWORD, ROOT, free_port, wait_healthy

ADMIN = "boss@example.org"
LEAD = "named.lead@example.org"


def _env(data_dir: Path, uri: str, smtp_port: int) -> dict[str, str]:
    env = {**os.environ, "LIF_DATA_DIR": str(data_dir), "MONGODB_URI": uri,
           "LIF_SCHEDULER": "0", "LIF_DEMO_DATA": "0", "LIF_ADMIN_EMAIL": ADMIN,
           "LIF_ADMIN_PASSWORD": PASSWORD, "LIF_SMTP_HOST": "127.0.0.1",
           "LIF_SMTP_PORT": str(smtp_port)}
    env.pop("LIF_SECRET_KEY", None)  # kept in the data dir, shared by every process
    env.pop("LIF_TEST_REPLICA_SET", None)
    return env


def _lif(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "lif", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def _id_in(page: str, endpoint: str) -> str:
    return re.search(rf"/admin/{endpoint}/details/\?id=([0-9a-f]{{24}})", page).group(1)


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def test_two_workers_one_scheduler_one_replica_set(tmp_path, smtp):
    smtp_port, inbox = smtp
    server, uri = replica_set.start(tmp_path)
    store = MongoClient(uri, serverSelectionTimeoutMS=10_000).lif
    env = _env(tmp_path, uri, smtp_port)
    port = free_port()
    web = scheduler = None
    try:
        # GIVEN an install made once (the first administrator), then two web workers
        made = _lif(env, "create-token", ADMIN, "--name", "production path test")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip().splitlines()[-1]
        made = _lif(env, "create-user", "guessed@example.org", "--role", "lead", "--agency",
                    "police", "--password", PASSWORD)
        assert made.returncode == 0, made.stderr
        web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--access-logformat", "worker=%(p)s %(r)s %(s)s",
             "app:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_healthy(port, web)
        browser = Browser(port)
        browser.login()

        # WHEN a plan is made and ratified over HTTP, with two actions (one due in 7 days)
        today = dt.date.today()
        status, page, _ = browser.post("/admin/action_plan/new/", {
            "title": "Plan on the production path", "kind": "multi_agency",
            "source_kind": "other", "source_other": "Production path test"})
        assert status == 200, page[:500]
        _, listing, _ = browser.open("/admin/action_plan/")
        plan = _id_in(listing, "action_plan")
        for title, days in (("Brief the night shift", 7), ("Audit the briefings", 60)):
            status, page, _ = browser.post(f"/admin/action/new/?plan={plan}", {
                "plan": plan, "title": title, "description": "As the finding asks.",
                "lead_name": "Named Lead", "lead_email": LEAD, "agency": "police",
                "due_date": (today + dt.timedelta(days=days)).isoformat()})
            assert status == 200 and "Save failed" not in page, page[:800]
        details = f"/admin/action_plan/details/?id={plan}"
        for transition in ("submit", "ratify"):
            version = store.action_plans.find_one({"_id": _oid(plan)})["version"]
            status, page, _ = browser.post("/admin/action_plan/transition/", {
                "id": plan, "transition": transition, "base_version": str(version)},
                token_from=details)
            assert status == 200, page[:500]
        ratified = store.action_plans.find_one({"_id": _oid(plan)})
        assert ratified["state"] == "ratified" and ratified["next_pdc_review"]
        actions = {a["title"]: str(a["_id"]) for a in store.actions.find({"plan": _oid(plan)})}
        assert set(actions) == {"Brief the night shift", "Audit the briefings"}

        # AND many requests at once, spread over both workers, read and write it
        def read_and_check(n: int) -> tuple[int, bool, bool]:
            action = actions["Brief the night shift"]
            status, page, _ = browser.open(f"/admin/action/details/?id={action}")
            found = browser.open("/admin/search/?q=" + urllib.parse.quote("night shift"))[1]
            return status, "/logout" in page, "Brief the night shift" in found

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(read_and_check, range(40)))
        # THEN every request was signed in (one session for both workers) and found the new
        # action in search (one index, fresh for both)
        assert seen == [(200, True, True)] * 40

        # WHEN a lead's progress arrives through the API on one worker
        status, answer = _api(port, token, "PATCH",
                              f"/api/v1/actions/{actions['Brief the night shift']}",
                              {"status": "in_progress", "comment": "Started on Monday.",
                               "version": store.actions.find_one(
                                   {"_id": _oid(actions["Brief the night shift"])})["version"]})
        assert status == 200, answer
        # THEN every page, from either worker, says so at once
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            states = list(pool.map(lambda _: "In progress" in browser.open(
                f"/admin/action/details/?id={actions['Brief the night shift']}")[1], range(20)))
        assert all(states)

        # WHEN the one scheduler starts (its first sweep runs at once), and cron's sweep runs
        # twice at the same time beside it
        scheduler_log = tmp_path / "scheduler.log"
        with open(scheduler_log, "w") as out:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "lif", "scheduler"], cwd=ROOT,
                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: "Sweep:" in scheduler_log.read_text(), what="the scheduler's sweep",
                 timeout=180, every=0.5)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            crons = list(pool.map(lambda _: _lif(env, "sweep"), range(2)))
        assert [c.returncode for c in crons] == [0, 0], [c.stderr for c in crons]
        wait_for(lambda: store.notifications.count_documents(
            {"email_status": "pending"}) == 0, what="the outbox to empty", timeout=60)

        # THEN each effect happened once: this month's and next month's CIEC meetings, one
        # reminder (in LIF and by email) to each person told of the action due in 7 days,
        # none for the other
        assert store.meetings.count_documents({"committee": "ciec"}) == 2
        about = store.notifications.find({"key": {"$regex": actions["Brief the night shift"]}})
        # (the named lead, and the police lead who has an account: told once each)
        assert sorted(m["recipient"] for m in about) == ["guessed@example.org", LEAD]
        assert not store.notifications.count_documents(
            {"key": {"$regex": actions["Audit the briefings"]}})
        reminders = [m["To"] for m in inbox.messages if "Brief the night shift" in m["Subject"]]
        assert sorted(reminders) == ["guessed@example.org", LEAD], reminders

        # WHEN the plan's first PDC review falls due and two sweeps meet it at once
        due = ratified["next_pdc_review"].date().isoformat()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            crons = list(pool.map(lambda _: _lif(env, "sweep", "--now", due), range(2)))
        assert [c.returncode for c in crons] == [0, 0], [c.stderr for c in crons]
        # THEN there is one review, and both workers' pages show it
        assert store.pdc_reviews.count_documents({"plan": _oid(plan)}) == 1
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(lambda _: browser.open("/admin/pdc_review/")[1], range(8)))
        assert all("Plan on the production path" in p for p in pages)

        # WHEN someone guesses a password six times at once, over both workers
        def guess(n: int) -> int:
            return Browser(port).post("/login", {"email": "guessed@example.org",
                                                 "password": f"wrong guess {n}"})[0]

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            assert set(pool.map(guess, range(6))) <= {401, 429}  # refused, none signed in
        # THEN the throttle, one for all workers, refuses even the right password
        status, page, _ = Browser(port).post("/login", {"email": "guessed@example.org",
                                                        "password": PASSWORD})
        assert "Too many failed attempts" in page and "/logout" not in page
    finally:
        outputs = [_stop(p) for p in (scheduler, web) if p is not None]
        replica_set.stop(server)
    web_log = outputs[-1] if web is not None else ""
    # Both workers served, and no request ended in an exception.
    assert len(set(re.findall(r"worker=<?(\d+)>? ", web_log))) == 2, web_log[-2000:]
    assert "Exception on /" not in web_log and "Traceback" not in web_log, web_log[-3000:]


def _api(port: int, token: str, method: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _oid(value: str):
    from bson import ObjectId

    return ObjectId(value)
