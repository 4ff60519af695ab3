"""Several writes as one: ``lif.db.all_or_nothing`` on a replica set and on a standalone server.

Each case runs in a process of its own, connected the way a production install connects (a
replica set through ``MONGODB_URI``) or the way the embedded default does (``--standalone``),
so the suite's own connection is left alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from pymongo import MongoClient

from .. import replica_set
from .test_server import ROOT

SCRIPT = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from lif import db
    db.connect(os.environ.get("URI") or None, Path(os.environ["DATA"]))
    from lif.actors import SYSTEM
    from lif.models import Review
    from lif.services import content

    result = {"transactions": db.has_transactions()}
    try:
        with db.all_or_nothing() as atomic:
            result["atomic"] = atomic
            content.create(Review, {"title": "Made then undone", "review_type": "scr"}, SYSTEM)
            db.database()["elsewhere"].insert_one({"note": "written with it"})
            # what the block wrote, it reads back (the same transaction)
            result["seen inside"] = Review.objects(title="Made then undone").count()
            raise RuntimeError("the third write failed")
    except RuntimeError:
        pass
    with db.all_or_nothing():
        content.create(Review, {"title": "Made and kept", "review_type": "scr"}, SYSTEM)
        db.database()["elsewhere"].insert_one({"note": "kept with it"})
    # An ingest (an item, then its file) that fails after both were written
    from lif.services import attachments, operations
    try:
        with operations.several_writes("ingested files", SYSTEM, label="ingest of a.txt"):
            item = content.create(Review, {"title": "Ingested then undone",
                                           "review_type": "scr"}, SYSTEM)
            attachments.add(item, "a.txt", b"the file's bytes", "text/plain", "text", SYSTEM)
            result["notes while running"] = db.outside_transaction()[
                operations.NOTES].count_documents({})
            raise RuntimeError("the index was unreachable")
    except RuntimeError:
        pass
    result["notes after"] = db.outside_transaction()[operations.NOTES].count_documents({})
    print(json.dumps(result))
    server = db.embedded_server()
    if server is not None:
        server.stop()
""")


def _run(tmp_path, uri: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", "URI": uri, "DATA": str(tmp_path),
                               "LIF_SECRET_KEY": "transactions test"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_on_a_replica_set_a_failed_block_leaves_nothing_and_a_finished_one_everything(tmp_path):
    server, uri = replica_set.start(tmp_path)
    try:
        result = _run(tmp_path, uri)
        store = MongoClient(uri, serverSelectionTimeoutMS=10_000).lif
        titles = sorted(r["title"] for r in store.reviews.find())
        notes = sorted(d["note"] for d in store.elsewhere.find())
        versions = store.versions.count_documents({})
        events = store.audit_events.count_documents({"action": "create"})
        files = store["fs.files"].count_documents({}) + store["files.files"].count_documents({})
        records = store.attachments.count_documents({})
        purges = store.audit_events.count_documents({"action": "purge"})
    finally:
        replica_set.stop(server)
    # (the file, written outside the transaction, was noted while it ran, then removed)
    assert result == {"transactions": True, "atomic": True, "seen inside": 1,
                      "notes while running": 1, "notes after": 0}
    # THEN the failed blocks left no review, no version, no audit event, no file, no other
    # write
    assert titles == ["Made and kept"]
    assert notes == ["kept with it"]
    assert versions == 1 and events == 1
    assert (files, records) == (0, 0)
    assert purges == 0  # undone by the transaction, not purged afterwards by a repair


@pytest.mark.embedded_only("starts the embedded default itself")
def test_on_a_standalone_server_the_block_says_so_and_leaves_the_way_back_to_its_caller(
        tmp_path):
    result = _run(tmp_path)
    # (the note is written before the first write and removed with what was made)
    assert result == {"transactions": False, "atomic": False, "seen inside": 1,
                      "notes while running": 1, "notes after": 0}
