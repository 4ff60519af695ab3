"""Half-written work after ``kill -9``: an import, an ingest or a plan cut short by a real
SIGKILL, and the next start (or the next sweep, on a shared database) leaving none of it.

Real processes throughout: ``python app.py`` and ``flask --app app lif …`` in subprocesses on
their own data dir, killed with SIGKILL by the test (at a moment seen in the database) or by
themselves at a named point (``LIF_FAULT_AFTER``, ``lif/faults.py``). Nothing here stops the
embedded database by hand: it must go down with the process that started it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from bson import ObjectId
from mongoengine import signals
from pymongo import MongoClient

from lif import clock, processes
from lif import db as lif_db
from lif.actors import SYSTEM
from lif.models import Attachment, AuditEvent, Review
from lif.services import content, operations, sweeps

from .. import factories as f
from ..conftest import ADMIN_EMAIL
from ..polling import wait_for
from .test_faults import Browser, _gone, database_of
from .test_server import free_port, start, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
GOOD_DOCX = (ROOT / "tests" / "data" / "good.docx").read_bytes()


NOTE_PATH = pytest.mark.embedded_only(
    "the note-and-repair path of a standalone server: on a replica set several writes are one "
    "transaction and leave no note (tests/integration/test_transactions.py)")


def lif_command(data_dir: Path, *args: str, **env) -> subprocess.CompletedProcess:
    """Run ``flask --app app lif ARGS`` on ``data_dir`` and wait for it."""
    full_env = {**os.environ, "LIF_DATA_DIR": str(data_dir), "LIF_DEMO_DATA": "0",
                "LIF_SCHEDULER": "0", "LIF_ADMIN_EMAIL": "boss@example.org", **env}
    full_env.pop("LIF_SECRET_KEY", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "lif", *args],
                          cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=180)


def port_info(data_dir: Path) -> dict:
    return json.loads((data_dir / "db.port").read_text())


def wait_database_gone(pid: int) -> None:
    wait_for(lambda: _gone(pid), what=f"the embedded database (pid {pid}) to stop with the "
             "process that started it", timeout=20, every=0.1)


def actions_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["title", "description", "lead_name", "lead_email", "agency", "due_date"])
    for n in range(rows):
        writer.writerow([f"Imported action {n}", f"Do thing {n}", "Lead", "lead@example.org",
                         "police", "2030-01-01"])
    return out.getvalue().encode()


def test_action_import_killed_part_way_leaves_none_of_it_and_the_database_stops_too(tmp_path):
    # GIVEN LIF running with the demo, and a plan to import 400 actions into
    port = free_port()
    process = start(tmp_path, port, LIF_DEMO_DATA="1")
    imported = {"title": {"$regex": "^Imported action "}}
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        client = database_of(tmp_path)
        plan = client.lif.action_plans.find_one({"kind": "multi_agency", "trashed": False})
        database = port_info(tmp_path)["pid"]
        path = f"/admin/import_actions/?plan={plan['_id']}"

        # WHEN the app is killed (SIGKILL) once some of the actions are stored
        upload = threading.Thread(target=browser.upload, args=(
            path, {}, "actions.csv", actions_csv(400)), kwargs={"token_from": path})
        upload.start()
        wait_for(lambda: client.lif.actions.count_documents(imported) >= 5,
                 what="the import to store some actions", timeout=120, every=0.02)
        process.kill()
        process.wait()
        upload.join()
        client.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    # THEN the embedded database stopped with it
    wait_database_gone(database)
    # AND the next start repairs at once: none of the import is left, and it is on record
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process, timeout=60)
        client = database_of(tmp_path)
        assert client.lif.actions.count_documents(imported) == 0
        repairs = list(client.lif.audit_events.find({"action": "repair"}))
        assert len(repairs) == 1 and "import" in repairs[0]["detail"], repairs
        assert client.lif.audit_events.count_documents(
            {"action": "purge", "object_type": "action"}) >= 5
        client.close()
    finally:
        output = stop(process)
    assert "Repaired what an interrupted run left half done" in output, output


def test_app_killed_mid_plan_takes_its_database_down_and_the_plan_is_gone_at_next_start(
        tmp_path):
    port = free_port()
    process = start(tmp_path, port, LIF_DEMO_DATA="1", LIF_FAULT_AFTER="action_created")
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        client = database_of(tmp_path)
        review = client.lif.reviews.find_one({"findings.2": {"$exists": True}}, {"_id": 1})
        client.close()
        database = port_info(tmp_path)["pid"]
        form = {"title": "Plan cut short", "kind": "multi_agency", "summary": ""}
        for n in range(3):
            form.update({f"use-{n}": "1", f"title-{n}": f"Action {n}",
                         f"description-{n}": f"Do {n}", f"lead_name-{n}": "Lead",
                         f"lead_email-{n}": "lead@example.org", f"agency-{n}": "police",
                         f"due_date-{n}": "2030-01-01"})
        # WHEN the app dies (SIGKILL) after the first of the plan's three actions
        browser.post(f"/admin/plan_builder/?source=review&id={review['_id']}", form)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    # THEN its database goes down with it, and the next start owns a new one and repairs
    wait_database_gone(database)
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        _, page, _ = browser.open("/admin/action_plan/")
        assert "Plan cut short" not in page
    finally:
        output = stop(process)
    assert "Repaired what an interrupted run left half done: 1 plans." in output, output


def test_ingest_killed_between_item_and_file_then_run_again_makes_one_review(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "serious case review.docx").write_bytes(GOOD_DOCX)
    data_dir = tmp_path / "data"
    # WHEN `lif ingest` dies after the review was made and its file stored, not its record
    done = lif_command(data_dir, "ingest", str(folder), LIF_FAULT_AFTER="file_stored")
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    database = port_info(data_dir)["pid"]
    wait_database_gone(database)
    # THEN running it again repairs first and ingests the file once, as one review with it
    done = lif_command(data_dir, "ingest", str(folder))
    assert done.returncode == 0, done.stderr
    assert ("Repaired what an interrupted run left half done: 1 ingested files, 1 uploads."
            in done.stdout), done.stdout
    assert "Created 1, already present 0" in done.stdout, done.stdout
    done = lif_command(data_dir, "ingest", str(folder))
    assert "Created 0, already present 1" in done.stdout, done.stdout
    server = lif_db.ensure_embedded(data_dir)
    client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
    try:
        store = client.lif
        reviews = list(store.reviews.find({}, {"_id": 1}))
        assert len(reviews) == 1
        records = list(store.attachments.find({}, {"item_id": 1}))
        assert [r["item_id"] for r in records] == [str(reviews[0]["_id"])]
        assert store.audit_events.count_documents({"action": "repair"}) == 2  # item, file
    finally:
        client.close()
        server.stop()


def test_beside_a_running_app_the_next_command_repairs_what_a_killed_one_left(tmp_path):
    # GIVEN LIF running (it started the database), and an ingest run beside it, killed
    port = free_port()
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.docx").write_bytes(GOOD_DOCX)
    data_dir = tmp_path / "data"
    process = start(data_dir, port)
    try:
        wait_healthy(port, process)
        done = lif_command(data_dir, "ingest", str(folder), LIF_FAULT_AFTER="file_stored")
        assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
        client = database_of(data_dir)
        assert client.lif.reviews.count_documents({}) == 1  # made, its file not recorded
        # WHEN another command starts (the app is still up: the database is shared)
        done = lif_command(data_dir, "search", "anything")
        assert done.returncode == 0, done.stdout + done.stderr
        # THEN the half review is gone at once (its process is dead), and that is on record
        assert ("Repaired what an interrupted run left half done: 1 ingested files, 1 uploads."
                in done.stdout), done.stdout
        assert client.lif.reviews.count_documents({}) == 0
        assert client.lif.audit_events.count_documents({"action": "repair"}) == 2
        assert client.lif["files.files"].count_documents({}) == 0
        client.close()
    finally:
        stop(process)


@NOTE_PATH
def test_the_sweep_of_a_running_process_repairs_what_a_killed_command_left(client, tmp_path):
    # GIVEN this process's database (the test session's), and `lif ingest` run beside it
    # and killed after the review was made, before its file was recorded
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "report.docx").write_bytes(GOOD_DOCX)
    done = lif_command(Path(os.environ["LIF_DATA_DIR"]), "ingest", str(folder),
                       LIF_FAULT_AFTER="file_stored", LIF_ADMIN_EMAIL=ADMIN_EMAIL)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    assert Review.objects.count() == 1 and Attachment.objects.count() == 0
    # WHEN the next sweep runs here
    summary = sweeps.run_all(clock.now())
    # THEN the half review and its file are gone, and that is on record
    assert summary["repairs"] == {"ingested files": 1, "uploads": 1}
    assert Review.objects.count() == 0
    assert lif_db.database()["files.files"].count_documents({}) == 0
    assert lif_db.database()["files.chunks"].count_documents({}) == 0
    repairs = {e.object_title: e.detail for e in AuditEvent.objects(action="repair")}
    assert "interrupted" in repairs["ingest of report.docx"]
    upload = next(detail for title, detail in repairs.items()
                  if title.startswith("upload of report.docx to the review"))
    assert "Removed what it had stored (2 records)" in upload  # the file and its chunk
    assert AuditEvent.objects(action="purge", object_type="review").count() == 1


def _dead_process() -> dict:
    """The mark of a process of this machine that has ended."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return {**processes.mark(), "pid": int(done.stdout), "started": None}


@NOTE_PATH
def test_repair_undoes_only_operations_whose_process_is_gone(client):
    # GIVEN four notes: a dead process's (a review made, cases inserted), one running in this
    # process, one from another machine still beating, one from another machine gone silent
    review = f.make_review(title="Half made")
    db = lif_db.database()
    db.audit_cases.insert_one({"batch": "b1", "case_ref": "C1"})
    now = clock.now()
    stale = now - operations.GRACE - dt.timedelta(seconds=1)
    notes = [
        {"_id": ObjectId(), "kind": "imports", "label": "import of 1 case", "by": "x", "at": now,
         "alive_at": now, "process": _dead_process(),
         "items": [{"type": "review", "id": str(review.pk)}, {"type": "review",
                                                               "id": str(ObjectId())}],
         "inserts": [{"collection": "audit_cases", "query": {"batch": "b1"}}]},
        {"_id": ObjectId(), "kind": "plans", "label": "elsewhere, beating", "by": "y", "at": stale,
         "alive_at": now, "process": {"machine": "another", "pid": 1}, "items": [],
         "inserts": []},
        {"_id": ObjectId(), "kind": "plans", "label": "elsewhere, silent", "by": "z", "at": stale,
         "alive_at": stale, "process": {"machine": "another", "pid": 1}, "items": [],
         "inserts": []},
    ]
    db[operations.NOTES].insert_many(notes)
    with operations.several_writes("plans", SYSTEM, label="running here"):
        # WHEN the repair runs (while an operation of this process is under way)
        repaired = operations.repair()
        # THEN the dead process's and the silent machine's are repaired, the others kept
        assert repaired == {"imports": 1, "plans": 1}
        left = {n["label"] for n in db[operations.NOTES].find()}
        assert left == {"elsewhere, beating", "running here"}
    assert Review.objects(pk=review.pk).first() is None
    assert db.audit_cases.count_documents({"batch": "b1"}) == 0
    events = {e.object_title: e.detail for e in AuditEvent.objects(action="repair")}
    assert set(events) == {"import of 1 case", "elsewhere, silent"}
    assert "Removed what it had stored (2 records)" in events["import of 1 case"]
    assert AuditEvent.objects(action="purge", object_id=str(review.pk)).count() == 1
    # AND the operation that finished left no note of its own
    assert {n["label"] for n in db[operations.NOTES].find()} == {"elsewhere, beating"}


def test_an_operation_that_fails_removes_what_it_made_at_once(client):
    with pytest.raises(RuntimeError), operations.several_writes(
            "imports", SYSTEM, label="doomed") as operation:
        pk = ObjectId()
        operation.will_create("review", [pk])
        content.create(Review, {"title": "Doomed", "review_type": "scr"}, SYSTEM, pk=pk)
        raise RuntimeError("the database went away")
    assert Review.objects.count() == 0
    assert lif_db.database()[operations.NOTES].count_documents({}) == 0


@NOTE_PATH
def test_a_start_and_a_sweep_during_a_repair_do_not_repair_the_same_operation_again(client):
    # GIVEN an operation of a dead process that made a review, and a repair under way
    review = f.make_review(title="Half made by a dead process")
    lif_db.database()[operations.NOTES].insert_one({
        "_id": ObjectId(), "kind": "ingested files", "label": "ingest of report.docx",
        "by": "x", "at": clock.now(), "alive_at": clock.now(), "process": _dead_process(),
        "items": [{"type": "review", "id": str(review.pk)}], "inserts": []})
    others: list = []

    def meanwhile(sender, document, **kwargs):
        # WHEN, while the repair removes the review, another command starts beside this
        # process (its start-up repair) and this process's own sweep runs
        if others:
            return
        others.append(lif_command(Path(os.environ["LIF_DATA_DIR"]), "search", "anything",
                                  LIF_ADMIN_EMAIL=ADMIN_EMAIL))
        others.append(sweeps.run_all(clock.now())["repairs"])

    signals.pre_delete.connect(meanwhile, sender=Review)
    try:
        repaired = operations.repair()
    finally:
        signals.pre_delete.disconnect(meanwhile, sender=Review)
    # THEN the operation is repaired once: by the first repair, not again by the others
    started, swept = others
    assert started.returncode == 0, started.stdout + started.stderr
    assert "Repaired" not in started.stdout, started.stdout
    assert swept == {}
    assert repaired == {"ingested files": 1}
    assert Review.objects.count() == 0
    assert AuditEvent.objects(action="repair").count() == 1
    assert AuditEvent.objects(action="purge", object_type="review").count() == 1
    assert lif_db.database()[operations.NOTES].count_documents({}) == 0
