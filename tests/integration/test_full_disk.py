"""A full disk is an outage people are told about: `python app.py` on a small tmpfs.

The data dir lives on a tmpfs of its own (mounting one needs root: CI runs as root;
elsewhere the test is skipped with the reason). Uploads fill it; LIF refuses the write that
would not fit with a plain 503, stores nothing half, keeps serving reads and says so on
/healthz. Then something else fills the disk to the last byte (the embedded database stops
serving), and once an administrator makes room LIF carries on by itself, with no restart.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from lif import db as lif_db

from .test_faults import Browser
from .test_server import PASSWORD, free_port, start, stop, wait_healthy

FULL = "The disk that holds LIF&#39;s data is full, so nothing was saved."
UPLOAD_ROWS = 120_000  # about 7.4 MB of CSV that does not compress


@pytest.fixture
def small_disk(tmp_path):
    """A 96 MiB tmpfs at ``tmp_path/disk``, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96m", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def _csv() -> bytes:
    return b"ref,n\n" + b"\n".join(os.urandom(30).hex().encode() + b",1"
                                   for _ in range(UPLOAD_ROWS))


def _health(browser) -> tuple[int, dict]:
    status, body, _ = browser.open("/healthz")
    return status, json.loads(body)


def _stored(data_dir: Path) -> dict[str, int]:
    server = lif_db.ensure_embedded(data_dir)
    client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
    try:
        store = client.lif
        return {"reviews": store.reviews.count_documents({}),
                "attachments": store.attachments.count_documents({}),
                "files": store["files.files"].count_documents({}),
                "chunked files": len(store["files.chunks"].distinct("files_id"))}
    finally:
        client.close()
        server.stop()


def test_a_full_disk_refuses_writes_plainly_keeps_reads_and_recovers_without_restart(
        small_disk):
    data_dir = small_disk / "data"
    port = free_port()
    process = start(data_dir, port, LIF_MIN_FREE_MB="16", LIF_MAX_UPLOAD_MB="20")
    statuses: list[tuple[str, int]] = []
    try:
        wait_healthy(port, process)
        browser = Browser(port)
        browser.login()
        status, _, _ = browser.post("/admin/review/new/", {
            "title": "Reviewed before the disk filled", "review_type": "scr"})
        assert status == 200
        _, listing, _ = browser.open("/admin/review/")
        review = re.search(r"/admin/review/details/\?id=([0-9a-f]{24})", listing).group(1)
        details = f"/admin/review/details/?id={review}"

        # WHEN uploads fill the disk
        attached = 0
        for n in range(20):
            status, page, _ = browser.upload("/admin/review/attach/", {"id": review},
                                             f"sample {n}.csv", _csv(), token_from=details)
            statuses.append(("upload", status))
            if status != 200:
                break
            assert f"Attached &#39;sample {n}.csv&#39;" in page
            attached += 1
        # THEN the one that does not fit is refused with a plain 503, before anything is
        # stored; what still fits is written, reads go on
        assert status == 503 and FULL in page, (status, page[:500])
        assert attached >= 3
        # A small write is judged by the room left at that moment: the store's own journal
        # may have taken the last margin since the upload was refused.
        free_mb = shutil.disk_usage(small_disk).free / (1 << 20)
        status, page, _ = browser.post("/admin/review/new/", {"title": "Small enough to fit",
                                                              "review_type": "scr"})
        if free_mb >= 17:
            assert status == 200, free_mb
        elif free_mb < 16:
            assert status == 503 and FULL in page, free_mb

        # WHEN something else takes the last byte of the disk (the forms' tokens taken before:
        # on a disk with no byte left even a form page may be refused)
        token = browser.token(details)
        stranger = Browser(port)
        login_token = stranger.token("/login")
        with open(small_disk / "filler", "wb") as filler:
            try:
                while True:
                    filler.write(b"\0" * (1 << 20))
                    filler.flush()
            except OSError:
                pass
        # THEN every write is refused plainly; reading goes on, or (when the store itself
        # needed the last bytes to read) says plainly that the disk is full: never a 500
        status, page, _ = browser.open("/admin/review/new/", urllib.parse.urlencode(
            {"title": "Not stored", "review_type": "scr", "csrf_token": token}).encode())
        statuses.append(("write on a full disk", status))
        assert status == 503 and FULL in page
        read = []
        for path in ("/admin/", "/admin/review/", details, "/login"):
            status, page, _ = browser.open(path)
            statuses.append((path, status))
            assert status == 200 or (status == 503 and FULL in page), (path, status)
            read.append(status == 200)
        print(f"pages read on a disk with no byte left: {sum(read)} of {len(read)}")
        status, health = _health(browser)
        assert (status, health["database"], health["writable"]) == (503, "reachable", False)
        status, page, _ = stranger.open("/login", urllib.parse.urlencode(
            {"email": "boss@example.org", "password": PASSWORD,
             "csrf_token": login_token}).encode())
        statuses.append(("sign in on a full disk", status))
        assert status == 503 and FULL in page  # not a byte left even for the audit trail

        # WHEN a write reaches the store anyway (another program): it stops serving
        info = json.loads((data_dir / "db.port").read_text())
        outside = MongoClient(f"mongodb://127.0.0.1:{info['port']}/?directConnection=true",
                              serverSelectionTimeoutMS=5000, journal=True)
        with pytest.raises(OperationFailure):  # the store's preallocated journal fills first
            for _ in range(200):
                outside.lif.elsewhere.insert_one({"blob": os.urandom(1 << 20)})
        outside.close()
        # THEN a page either still reads (the store kept serving) or says plainly that the
        # disk is full (it stopped: SecantusDB mostly does), never a 500; /healthz says so
        stopped = False
        for path in ("/admin/review/", details):
            status, page, _ = browser.open(path)
            statuses.append((f"{path} after the store met the full disk", status))
            assert status == 200 or (status == 503 and FULL in page), (path, status,
                                                                      page[:300])
            stopped = stopped or status == 503
        status, health = _health(browser)
        assert (status, health["database"], health["writable"]) == (503, "reachable", False)

        # WHEN an administrator makes room (here: a bigger disk), with no restart of LIF
        (small_disk / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,size=256m", str(small_disk)], check=True)
        # THEN the next request finds it serving again, reads and writes alike
        status, page, _ = browser.open("/admin/review/")
        statuses.append(("read after room", status))
        assert status == 200 and "Reviewed before the disk filled" in page
        status, health = _health(browser)
        assert (status, health["database"], health["writable"]) == (200, "reachable", True)
        status, _, _ = browser.post("/admin/review/new/", {
            "title": "Reviewed after room was made", "review_type": "scr"})
        assert status == 200
        assert process.poll() is None  # the same LIF process all along
    finally:
        output = stop(process)
    # Which way the store went is logged, so a run that never saw it stop is visible. A 503
    # alone does not say the store stopped (LIF refuses while the disk is short of room even
    # when the store still serves); the log says whether LIF found it stopped and restarted it.
    restarted = "the database stopped serving" in output
    print(f"pages said the disk was full: {stopped}; the store "
          f"{'stopped and was restarted' if restarted else 'served again by itself'}")
    if restarted:
        assert "recovered from a full disk" in output
    assert not [s for s in statuses if s[1] >= 500 and s[1] != 503], statuses
    # Told, not crashed: no request ended in an exception (Flask logs "Exception on /…"; the
    # search queue's background thread may log its retries).
    assert "Exception on /" not in output and "database error" not in output
    # Nothing half: every stored file has its record and every record its file.
    stored = _stored(data_dir)
    assert stored == {"reviews": 3, "attachments": attached, "files": attached,
                      "chunked files": attached}, stored
