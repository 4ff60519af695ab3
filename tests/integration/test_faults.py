"""Faults: the app killed mid-operation, the database stopped under it, the index disk full.

`python app.py` runs for real in a subprocess with its own data dir (as in test_server.py).
`LIF_FAULT_AFTER=<point>` makes it SIGKILL itself between two steps of an operation
(``lif/faults.py``); its embedded database stops with it (the parent-death signal,
``lif/db.py``), so the restart owns a new one and repairs at once. (What a killed process
leaves on a database others share is in ``test_interrupted.py``.)
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient

from lif import db as lif_db
from lif.actors import SYSTEM
from lif.models import Review
from lif.search import SearchIndex
from lif.services import content, searching

from .. import factories as f
from ..conftest import AuthActions
from ..polling import wait_for
from .test_server import PASSWORD, free_port, start, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
GOOD_DOCX = (ROOT / "tests" / "data" / "good.docx").read_bytes()
DOCX_WORD = "handover"  # in good.docx: "Review the handover checklist."


class Browser:
    """A signed-in browser against a running LIF: cookies, CSRF tokens, forms, uploads."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None,
             timeout: float = 60):
        """Return (status, body text, seconds taken); a dropped connection is status 0."""
        started = time.monotonic()
        request = urllib.request.Request(self.base + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException):
            status, body = 0, ""
        return status, body, time.monotonic() - started

    def token(self, path: str) -> str:
        _, page, _ = self.open(path)
        found = re.search(r'name="csrf_token"[^>]*? value="([^"]+)"', page)
        assert found, f"no CSRF token on {path}: {page[:300]}"
        return found.group(1)

    def post(self, path: str, form: dict, token_from: str | None = None):
        form = {**form, "csrf_token": self.token(token_from or path)}
        return self.open(path, urllib.parse.urlencode(form, doseq=True).encode())

    def upload(self, path: str, fields: dict, name: str, data: bytes, token_from: str):
        fields = {**fields, "csrf_token": self.token(token_from)}
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                 .encode() for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.open(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def login(self) -> None:
        status, page, _ = self.post("/login", {"email": "boss@example.org",
                                               "password": PASSWORD})
        assert status == 200 and "/logout" in page, status


def database_pid(data_dir: Path) -> int:
    return json.loads((data_dir / "db.port").read_text())["pid"]


def database_of(data_dir: Path):
    port = json.loads((data_dir / "db.port").read_text())["port"]
    return MongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true",
                       serverSelectionTimeoutMS=5000)


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")  # dead, not reaped
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return True


def kill_database(data_dir: Path) -> None:
    """SIGKILL the data dir's embedded database and wait until it is gone."""
    pid = database_pid(data_dir)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: _gone(pid), what="the database to die", timeout=10)


def crash_run(data_dir: Path, port: int, point: str, act, **env) -> str:
    """Start LIF with a crash point, do ``act(browser)``, expect SIGKILL; return the output."""
    process = start(data_dir, port, LIF_FAULT_AFTER=point, **env)
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        act(browser)
        assert process.wait(timeout=30) == -signal.SIGKILL, f"no crash at {point}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = process.stdout.read()
    pid = database_pid(data_dir)
    wait_for(lambda: _gone(pid), what="the database to stop with the app", timeout=20)
    return output


def test_killed_mid_plan_and_mid_upload_leaves_consistent_data(tmp_path):
    port = free_port()
    plan_form = {"title": "Plan cut short", "kind": "multi_agency", "summary": ""}
    for index in range(3):
        plan_form.update({f"use-{index}": "1", f"title-{index}": f"Action {index}",
                          f"description-{index}": f"Do {index}", f"lead_name-{index}": "Lead",
                          f"lead_email-{index}": "lead@example.org", f"agency-{index}": "police",
                          f"due_date-{index}": "2030-01-01"})
    found = {}

    def make_plan_from_a_review(browser):
        # GIVEN one of the demo's reviews with three findings or more
        client = database_of(tmp_path)
        found["review"] = str(client.lif.reviews.find_one({"findings.2": {"$exists": True}},
                                                          {"_id": 1})["_id"])
        client.close()
        browser.post(f"/admin/plan_builder/?source=review&id={found['review']}", plan_form)

    def upload(name):
        def act(browser):
            details = f"/admin/review/details/?id={found['review']}"
            browser.upload("/admin/review/attach/", {"id": found["review"]}, name, GOOD_DOCX,
                           token_from=details)
        return act

    # WHEN the app dies after the plan's first action (of three), then mid-upload (the file
    # stored, not its record), then after an upload's record but before it reached the index,
    # each time restarting on the same data
    output = crash_run(tmp_path, port, "action_created", make_plan_from_a_review,
                       LIF_DEMO_DATA="1")
    assert "Repaired" not in output
    output = crash_run(tmp_path, port, "file_stored", upload("lost.docx"))
    assert "Repaired what an interrupted run left half done: 1 plans." in output, output
    output = crash_run(tmp_path, port, "attachment_saved", upload("kept.docx"))
    assert "Repaired what an interrupted run left half done: 1 uploads." in output, output

    # THEN no half plan, no orphan file or record; search lacks the last upload until reindex
    index = SearchIndex(str(tmp_path / "index"))
    assert not [h for h in index.search(DOCX_WORD, ["role:admin"]).hits
                if h.title == "kept.docx"]
    index.close()
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lif", "reindex"], cwd=ROOT,
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "LIF_DATA_DIR": str(tmp_path), "LIF_DEMO_DATA": "0",
             "LIF_SCHEDULER": "0", "LIF_ADMIN_EMAIL": "boss@example.org"})
    assert done.returncode == 0, done.stderr
    assert "Repaired" not in done.stdout  # nothing else was left half done
    index = SearchIndex(str(tmp_path / "index"))
    assert [h.title for h in index.search(DOCX_WORD, ["role:admin"]).hits
            if h.type == "attachment"] == ["kept.docx"]
    index.close()
    server = lif_db.ensure_embedded(tmp_path)
    client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
    try:
        store = client.lif
        assert store.action_plans.count_documents({"title": "Plan cut short"}) == 0
        assert store.actions.count_documents({"title": {"$in": ["Action 0", "Action 1"]}}) == 0
        assert store.unfinished_plans.count_documents({}) == 0
        files = {d["_id"] for d in store["files.files"].find({}, {"_id": 1})}
        records = list(store.attachments.find({}, {"file": 1, "name": 1}))
        assert [r["name"] for r in records] == ["kept.docx"]
        assert {r["file"] for r in records} == files
        assert set(store["files.chunks"].distinct("files_id")) == files
        # What the repair removed is on record.
        assert store.audit_events.count_documents({"action": "purge"}) == 2  # plan, action
    finally:
        client.close()
        server.stop()


def test_database_stopped_mid_requests_gives_503_then_recovers_without_restart(tmp_path):
    port = free_port()
    process = start(tmp_path, port)
    server = None
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        status, _, _ = browser.post("/admin/review/new/", {"title": "Acknowledged before",
                                                            "review_type": "scr"})
        assert status == 200
        pid = database_pid(tmp_path)
        token = browser.token("/admin/review/new/")

        # Stopped (SIGSTOP): connections hang; the driver notices and the page says so.
        os.kill(pid, signal.SIGSTOP)
        try:
            status, page, seconds = browser.open("/admin/review/")
            assert status == 503, (status, page[:300])
            assert "The database is not available just now" in page and "Traceback" not in page
            assert seconds < 20, seconds
        finally:
            os.kill(pid, signal.SIGCONT)
        status, page, _ = browser.open("/admin/review/")
        assert status == 200 and "Acknowledged before" in page

        # Killed (SIGKILL): refused connections, a fast 503, for a save too; the API in JSON.
        kill_database(tmp_path)
        status, page, seconds = browser.open("/admin/review/new/", urllib.parse.urlencode({
            "title": "Refused while down", "review_type": "scr", "csrf_token": token}).encode())
        assert status == 503 and "not available" in page and seconds < 10, (status, seconds)
        token = "lif_abcd1234_" + "x" * 30  # looked up in the database, which is down
        status, body, _ = browser.open("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert status == 503 and json.loads(body)["status"] == 503

        # Started again on the same data dir: the app carries on, nothing acknowledged lost.
        server = lif_db.ensure_embedded(tmp_path)
        wait_for(lambda: browser.open("/admin/review/")[0] == 200,
                 what="LIF to answer again on the restarted database", every=0.2)
        _, page, _ = browser.open("/admin/review/")
        assert "Acknowledged before" in page and "Refused while down" not in page
        assert browser.open("/healthz")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        if server is not None:
            server.stop()
    assert "Exception on /" not in output  # no request ended in an unhandled error (500)


# --- a full disk under the search index ---------------------------------------------------------


@pytest.fixture
def full_index_disk(app, tmp_path):
    """The search index on a 1 MB tmpfs (root only: skipped where mount is not allowed)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'}); "
                    "a read-only directory is no test for root, who may write anyway")
    original = searching.index().path
    try:
        searching.configure(mount_point / "index")
        yield mount_point
    finally:
        searching.index().close()
        searching.configure(original)
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(directory: Path) -> Path:
    filler = directory / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError:
            pass
    return filler


def test_full_index_disk_saves_still_succeed_search_degraded_reindex_repairs(
        client, full_index_disk):
    before = f.make_review(title="Indexed before the disk filled")
    searching.drain()
    filler = _fill(full_index_disk)

    # WHEN the disk is full, saves still succeed
    review = content.create(Review, {"title": "Saved on a full disk", "review_type": "scr",
                                     "summary": "Zanzibar learning"}, SYSTEM)
    assert Review.objects(pk=review.pk).count() == 1
    searching.drain()
    assert searching.problem() and "reindex" in searching.problem()
    assert searching.pending() > 0  # kept for later, not lost
    AuthActions(client).login()
    page = client.get("/admin/search/?q=zanzibar").get_data(as_text=True)
    assert "reindex" in page  # the page says search is degraded
    assert client.get("/admin/review/").status_code == 200  # everything else works

    # THEN once there is room again, reindex repairs it
    filler.unlink()
    assert searching.reindex() >= 2
    assert searching.problem() is None and searching.pending() == 0
    hits = searching.search(SYSTEM, "zanzibar").hits
    assert [hit.id for hit in hits] == [str(review.pk)]
    assert searching.search(SYSTEM, "filled").hits[0].id == str(before.pk)
