"""`lif backup` and `lif restore`: every collection, every file and the key, checked by checksum.

The restore runs for real: `flask --app app lif restore` in a subprocess with its own data
dir (so its own embedded database), then a second embedded server on that dir is read back
and compared document by document with the database the backup was taken from.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import bson
import gridfs
import pytest
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

from documents.uploads import check_upload
from lif import db as lif_db
from lif.actors import SYSTEM
from lif.models import Action, Attachment, AuditEvent, Review, Version
from lif.search import SearchIndex
from lif.seed import seed_demo
from lif.services import attachments, backup, content, plans, searching
from lif.services.backup import MANIFEST

from ..conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
RAW = CodecOptions(document_class=RawBSONDocument)


def digests(database) -> dict[str, tuple[int, str]]:
    """Per collection: document count and a SHA-256 over its documents' BSON, in _id order.

    Empty collections are left out: mongoengine creates them (with their indexes) on use.
    """
    out = {}
    for name in backup.collection_names(database):
        encoded = sorted(
            (bson.encode({"k": d["_id"]}), d.raw)
            for d in database.get_collection(name, codec_options=RAW).find()
        )
        if not encoded:
            continue
        digest = hashlib.sha256()
        for _, raw in encoded:
            digest.update(raw)
        out[name] = (len(encoded), digest.hexdigest())
    return out


@pytest.fixture
def populated(clean_db):
    """The demo, plus attachments (one over several GridFS chunks), versions, audit events."""
    seed_demo(password=PASSWORD)
    review = Review.objects.order_by("title").first()
    good = (DATA / "good.docx").read_bytes()
    checked = check_upload("good.docx", good)
    attachments.add(review, checked.name, checked.data, checked.media_type, checked.text,
                    SYSTEM)
    big = secrets.token_bytes(700 * 1024)  # 255 KB chunks: three of them
    attachments.add(review, "scan.bin", big, "application/octet-stream", "", SYSTEM, published=True)
    content.update(review, {"summary": "Restored summary ✓ – with accents: é"}, SYSTEM,
                   base_version=review.version, note="Edited before the backup")
    action = Action.objects.first()
    plans.add_progress(action, "Half of the staff trained.", SYSTEM)
    searching.drain()
    return review


def test_backup_then_restore_into_a_fresh_data_dir_reproduces_everything(
        app, runner, populated, tmp_path):
    source = lif_db.database()
    archive = tmp_path / "lif-backup.zip"
    before = digests(source)
    assert before["files.chunks"][0] >= 4 and before["versions"][0] > 0
    assert before["audit_events"][0] > 0

    result = runner.invoke(args=["lif", "backup", "-o", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    assert archive.stat().st_mode & 0o777 == 0o600  # the key and personal data are inside

    # The manifest counts what is there, and the archive holds no password.
    with zipfile.ZipFile(archive) as zf:
        manifest = json.loads(zf.read(MANIFEST))
        settings = json.loads(zf.read("settings.json"))
        assert zf.read("secret_key").decode() == app.config["SECRET_KEY"]
        small = zf.read(MANIFEST) + zf.read("settings.json")
    counts = {c["name"]: c["count"] for c in manifest["collections"]}
    assert {n: c for n, c in counts.items() if c} == {n: c for n, (c, _) in before.items()}
    assert {"files.files", "files.chunks", "versions", "audit_events", "attachments"} <= set(counts)
    assert settings["LIF_DB_NAME"] == "lif"
    assert PASSWORD.encode() not in small
    assert "SECRET_KEY" not in settings and "LIF_ADMIN_PASSWORD" not in settings

    # WHEN it is restored by the command line into another, empty, data dir
    other = tmp_path / "restored"
    env = {**os.environ, "LIF_DATA_DIR": str(other), "LIF_ENV": "testing",
           "LIF_DEMO_DATA": "0", "LIF_SCHEDULER": "0",
           "LIF_ADMIN_EMAIL": "someone.else@example.org", "LIF_ADMIN_PASSWORD": PASSWORD}
    env.pop("LIF_SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "lif", "restore", str(archive)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Restored" in done.stdout and "Indexed" in done.stdout

    # THEN every collection is the same, document for document, and so is every file
    assert (other / "secret_key").read_text() == app.config["SECRET_KEY"]
    assert (other / "secret_key").stat().st_mode & 0o777 == 0o600
    server = lif_db.ensure_embedded(other)
    client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
    try:
        target = client["lif"]
        assert digests(target) == before
        assert target.users.count_documents({"email": "someone.else@example.org"}) == 0
        files = gridfs.GridFS(target, collection="files")
        for attachment in Attachment.objects:
            restored = files.get(attachment.file.grid_id).read()
            assert restored == attachment.file.read()
            assert hashlib.sha256(restored).hexdigest() == attachment.sha256
        # The restored install's search index was rebuilt from the restored data.
        index = SearchIndex(str(other / "index"))
        found = index.search("Restored summary", ["role:admin"])
        assert any(hit.id == str(populated.pk) for hit in found.hits)
        index.close()
    finally:
        client.close()
        server.stop()


def test_restore_refuses_a_database_with_content_unless_forced(runner, populated, tmp_path):
    archive = tmp_path / "b.zip"
    assert runner.invoke(args=["lif", "backup", "-o", str(archive)]).exit_code == 0
    before = digests(lif_db.database())

    refused = runner.invoke(args=["lif", "restore", str(archive)])
    assert refused.exit_code == 1
    assert "The database is not empty" in refused.output and "--force" in refused.output
    assert digests(lif_db.database()) == before

    # --force replaces everything with the archive (here: the same data again).
    versions, events = Version.objects.count(), AuditEvent.objects.count()
    Review.objects(pk=populated.pk).update(set__title="Changed after the backup")
    forced = runner.invoke(args=["lif", "restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert digests(lif_db.database()) == before
    # Read through the models and the search again: the documents are the app's, not bytes.
    assert Version.objects.count() == versions and AuditEvent.objects.count() == events
    review = Review.objects.get(pk=populated.pk)
    assert review.title != "Changed after the backup"
    assert review.summary.startswith("Restored summary")
    assert [a.name for a in attachments.list_for(review)] == ["good.docx", "scan.bin"]
    assert any(hit.id == str(review.pk)
               for hit in searching.search(SYSTEM, "Restored summary").hits)


DAMAGE = [
    ("collections/reviews.bson", "flip"),
    ("collections/reviews.bson", "edit"),
    ("collections/files.chunks.bson", "truncate"),
    ("secret_key", "edit"),
    ("manifest.json", "drop"),
]


def _damage(archive: Path, damaged: Path, member: str, how: str) -> None:
    """Copy ``archive`` with one member damaged: a byte flipped in place, its content edited
    or truncated (re-zipped, so only the checksums can tell), or the member left out."""
    if how == "flip":
        data = bytearray(archive.read_bytes())
        with zipfile.ZipFile(archive) as zf:
            info = zf.getinfo(member)
        # The local header gives the lengths of the name and extra field before the data.
        start = info.header_offset
        name_length = int.from_bytes(data[start + 26:start + 28], "little")
        extra_length = int.from_bytes(data[start + 28:start + 30], "little")
        data[start + 30 + name_length + extra_length + info.compress_size // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
        return
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == member:
                if how == "drop":
                    continue
                if how == "truncate":
                    body = body[: len(body) // 2]
                elif member == "secret_key":
                    body = b"another key"
                else:
                    body = body.replace(b"Restored summary", b"Tampered summary")
            dst.writestr(info, body)


def test_a_damaged_archive_is_refused_and_nothing_is_written(runner, populated, tmp_path):
    archive = tmp_path / "b.zip"
    assert runner.invoke(args=["lif", "backup", "-o", str(archive)]).exit_code == 0
    before = digests(lif_db.database())
    for member, how in DAMAGE:
        damaged = tmp_path / f"damaged-{how}-{member.replace('/', '_')}.zip"
        _damage(archive, damaged, member, how)
        # Even with --force (which would replace everything), nothing is touched.
        result = runner.invoke(args=["lif", "restore", "--force", str(damaged)])
        assert result.exit_code == 1, (member, how, result.output)
        assert "is not a usable LIF backup" in result.output, (member, how)
        assert "Traceback" not in result.output
        assert digests(lif_db.database()) == before, (member, how)


def test_not_a_zip_and_an_existing_output_are_clear_errors(runner, clean_db, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip file at all")
    result = runner.invoke(args=["lif", "restore", "--force", str(junk)])
    assert result.exit_code == 1 and "not a usable LIF backup" in result.output
    missing = runner.invoke(args=["lif", "restore", str(tmp_path / "nope.zip")])
    assert missing.exit_code == 1 and "There is no file" in missing.output
    result = runner.invoke(args=["lif", "backup", "-o", str(junk)])
    assert result.exit_code == 1 and "already exists" in result.output


def _peak(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_backup_and_check_stream_memory_does_not_grow_with_the_data(clean_db, tmp_path):
    scratch = lif_db.database()["backup_scratch"]
    blob = "x" * 4000
    peaks = {}
    try:
        for size in (500, 3000):
            scratch.insert_many([{"n": n, "blob": blob} for n in range(scratch.count_documents(
                {}), size)])
            path = tmp_path / f"{size}.zip"
            backup_peak = _peak(lambda p=path: backup.create_backup(p, secret_key="k",
                                                                    settings={}))
            opened = backup.open_archive(path)
            with opened.zip:
                peaks[size] = (backup_peak, _peak(lambda o=opened: backup.verify(o)))
    finally:
        scratch.drop()
    # Six times the data (2 MB, then 12 MB of documents); the same memory, give or take.
    for small, large in zip(peaks[500], peaks[3000], strict=True):
        assert large < small + 2 * 1024 * 1024, peaks
