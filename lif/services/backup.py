"""Back up and restore a whole LIF install: every collection, the GridFS files, the secret key.

A backup is one zip file::

    manifest.json            what is inside: per collection its count, size, SHA-256, indexes
    settings.json            a summary of the settings (no secrets; for the operator's record)
    secret_key               the key that signs sessions, so restored sign-ins stay valid
    collections/NAME.bson    the collection's documents, each ``bson.encode``-d, one after another
                             (the format of mongodump's .bson files)

GridFS (attachment bytes) is the collections ``files.files`` and ``files.chunks``, so it goes in
like any other. Documents are streamed in both directions: memory does not grow with the data.

A restore goes into an empty database only (``force`` replaces what is there), and reads the
whole archive once to check every checksum and count before it writes anything. The search
index is rebuilt from the restored data afterwards (the caller runs ``searching.reindex``).
There are no multi-document transactions to lean on: if a restore stops half-way (the process
is killed), run it again with ``force``. For the same reason a backup taken while LIF is in use
reads the collections one after another, not at one instant: a change made meanwhile may be in
one collection and not yet in another (an item's new version without its audit event). Take it
at a quiet time, or with the app stopped, when that matters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import bson
from bson import json_util
from bson.codec_options import CodecOptions
from bson.errors import BSONError
from bson.raw_bson import RawBSONDocument

from .. import clock, db
from ..errors import LIFError

FORMAT = "lif-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SETTINGS = "settings.json"
SECRET_KEY = "secret_key"
COLLECTIONS_DIR = "collections/"
# What a first start writes (reference data, the first administrator and the audit line of
# its creation) and derived state (the search queue, cache counters): a database holding only
# this much is "empty" for a restore, and is replaced by the backup. None: any number. The
# start also notes the changes of storage it made (``plans.MIGRATIONS``): bookkeeping.
SETUP_LIMITS = {"agencies": None, "users": 1, "audit_events": 1, "counters": None,
                "index_queue": None, "lif_migrations": None}
BATCH_DOCUMENTS = 200
BATCH_BYTES = 8 * 1024 * 1024
CHUNK = 1024 * 1024
_RAW = CodecOptions(document_class=RawBSONDocument)

Progress = Callable[[int], None]


class BackupError(LIFError):
    """The archive cannot be written or read, is damaged, or the target is not empty."""


@dataclass
class CollectionEntry:
    name: str
    file: str
    count: int = 0
    bytes: int = 0
    sha256: str = ""
    indexes: list = field(default_factory=list)


@dataclass
class Summary:
    """What a backup or a restore did, for the command to print."""

    path: Path
    collections: int
    documents: int
    bytes: int
    secret_key: bool


# --- backup ------------------------------------------------------------------------------------


def _index_specs(collection) -> list[dict]:
    """The collection's indexes (except ``_id``) as create-index arguments."""
    specs = []
    for info in collection.list_indexes():
        info = dict(info)
        if info.get("name") == "_id_":
            continue
        key = [[name, direction] for name, direction in info.pop("key").items()]
        options = {k: v for k, v in info.items() if k not in ("v", "ns")}
        specs.append({"key": key, "options": options})
    return specs


def collection_names(database) -> list[str]:
    return sorted(n for n in database.list_collection_names() if not n.startswith("system."))


def estimated_total(database=None) -> int:
    """About how many documents a backup will hold (for a progress bar)."""
    database = database if database is not None else db.database()
    return sum(database[n].estimated_document_count() for n in collection_names(database))


def _write_collection(archive: zipfile.ZipFile, collection, entry: CollectionEntry,
                      progress: Progress | None) -> None:
    digest = hashlib.sha256()
    info = zipfile.ZipInfo(entry.file, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        cursor = collection.with_options(codec_options=_RAW).find({}, batch_size=BATCH_DOCUMENTS)
        for document in cursor:
            data = bson.encode(document)
            out.write(data)
            digest.update(data)
            entry.count += 1
            entry.bytes += len(data)
            if progress is not None:
                progress(1)
    entry.sha256 = digest.hexdigest()


def _write_small(archive: zipfile.ZipFile, name: str, data: bytes) -> dict:
    archive.writestr(name, data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def create_backup(
    path: Path,
    *,
    secret_key: str | None,
    settings: dict,
    progress: Progress | None = None,
    database=None,
) -> Summary:
    """Write a backup of the connected database to ``path`` (a new file).

    :param secret_key: the key signing sessions (kept in the archive so sign-ins survive).
    :param settings: a summary of the settings, with no secrets in it.
    :param progress: called with the number of documents written since the last call.
    :raises BackupError: ``path`` exists or cannot be written.
    """
    database = database if database is not None else db.database()
    path = Path(path)
    if path.exists():
        raise BackupError(f"{path} already exists; choose a new file name.")
    partial = path.with_name(f".{path.name}.partial")
    entries: list[CollectionEntry] = []
    files: dict[str, dict] = {}
    try:
        # Readable by its owner only: it holds the secret key and children's personal data.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(
                raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            for name in collection_names(database):
                collection = database[name]
                entry = CollectionEntry(name=name, file=f"{COLLECTIONS_DIR}{name}.bson",
                                        indexes=_index_specs(collection))
                _write_collection(archive, collection, entry, progress)
                entries.append(entry)
            files[SETTINGS] = _write_small(
                archive, SETTINGS, json.dumps(settings, indent=2, default=str).encode())
            if secret_key:
                files[SECRET_KEY] = _write_small(archive, SECRET_KEY, secret_key.encode())
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": clock.now().isoformat(),
                "lif_version": settings.get("LIF_VERSION", ""),
                "database": database.name,
                "collections": [asdict(entry) for entry in entries],
                "files": files,
            }
            archive.writestr(MANIFEST, json_util.dumps(manifest, indent=2))
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"The backup could not be written to {path}: {error}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(path=path, collections=len(entries),
                   documents=sum(e.count for e in entries),
                   bytes=path.stat().st_size, secret_key=SECRET_KEY in files)


# --- restore -----------------------------------------------------------------------------------


@dataclass
class Archive:
    """A backup opened for reading, its manifest checked."""

    path: Path
    zip: zipfile.ZipFile
    manifest: dict

    @property
    def collections(self) -> list[dict]:
        return self.manifest["collections"]

    @property
    def total(self) -> int:
        return sum(int(c["count"]) for c in self.collections)

    def documents(self, entry: dict, *, raw: bool) -> Iterator:
        with self.zip.open(entry["file"]) as stream:
            options = _RAW if raw else bson.DEFAULT_CODEC_OPTIONS
            yield from bson.decode_file_iter(stream, codec_options=options)

    def read_small(self, name: str) -> bytes | None:
        if name not in self.manifest.get("files", {}):
            return None
        return self.zip.read(name)


def _damaged(path: Path, why: str) -> BackupError:
    return BackupError(f"{path} is not a usable LIF backup: {why}. Nothing was restored.")


def open_archive(path: Path) -> Archive:
    """Open a backup and read its manifest.

    :raises BackupError: not a file, not a zip, no manifest, or another format.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no file {path}.")
    try:
        archive = zipfile.ZipFile(path)
        manifest = json_util.loads(archive.read(MANIFEST))
    except KeyError:
        raise _damaged(path, "it has no manifest") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise _damaged(path, f"the zip file is damaged ({error})") from None
    except ValueError as error:
        raise _damaged(path, f"the manifest cannot be read ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _damaged(path, "the manifest is not a LIF backup's")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise _damaged(path, f"format version {manifest.get('format_version')} is not "
                             f"{FORMAT_VERSION}")
    try:
        for entry in manifest["collections"]:
            if not entry["file"].startswith(COLLECTIONS_DIR) or not entry["name"]:
                raise ValueError(entry["file"])
            int(entry["count"])
            str(entry["sha256"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _damaged(path, "the manifest's list of collections is malformed") from None
    return Archive(path=path, zip=archive, manifest=manifest)


def verify(archive: Archive, progress: Progress | None = None) -> None:
    """Read every member once: checksums, document counts, and that every document decodes.

    :raises BackupError: naming the first member that does not match the manifest.
    """
    path = archive.path
    for entry in archive.collections:
        digest = hashlib.sha256()
        count = 0
        try:
            with archive.zip.open(entry["file"]) as stream:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != entry["sha256"]:
                raise _damaged(path, f"the checksum of {entry['name']} does not match")
            for _document in archive.documents(entry, raw=False):
                count += 1
                if progress is not None:
                    progress(1)
        except KeyError:
            raise _damaged(path, f"{entry['file']} is missing") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _damaged(path, f"{entry['file']} cannot be read ({error})") from None
        except (BSONError, ValueError) as error:
            raise _damaged(path, f"a document in {entry['name']} is malformed ({error})") from None
        if count != int(entry["count"]):
            raise _damaged(path, f"{entry['name']} holds {count} documents, the manifest says "
                                 f"{entry['count']}")
    for name, info in (archive.manifest.get("files") or {}).items():
        try:
            data = archive.zip.read(name)
        except KeyError:
            raise _damaged(path, f"{name} is missing") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise _damaged(path, f"{name} cannot be read ({error})") from None
        if hashlib.sha256(data).hexdigest() != info.get("sha256"):
            raise _damaged(path, f"the checksum of {name} does not match")


def contents(database=None) -> dict[str, int]:
    """Collections holding more than a first start writes, with their document counts."""
    database = database if database is not None else db.database()
    found = {}
    for name in collection_names(database):
        allowed = SETUP_LIMITS.get(name, 0)
        if allowed is None:
            continue
        # Counting stops one past what is allowed: no full scan of a big collection.
        count = database[name].count_documents({}, limit=allowed + 1)
        if count > allowed:
            found[name] = count
    return found


def require_empty(database=None) -> None:
    """Refuse a target database that holds more than a first start writes.

    :raises BackupError: naming what it holds.
    """
    found = contents(database)
    if found:
        listed = ", ".join(sorted(found)[:5]) + (", …" if len(found) > 5 else "")
        raise BackupError(
            f"The database is not empty (it holds {listed}); restore into an empty data dir, "
            "or give --force to replace everything in it.")


def _insert_all(collection, documents: Iterator, progress: Progress | None) -> int:
    batch, size, count = [], 0, 0
    for document in documents:
        batch.append(document)
        size += len(document.raw)
        if len(batch) >= BATCH_DOCUMENTS or size >= BATCH_BYTES:
            collection.insert_many(batch, ordered=False)
            count += len(batch)
            if progress is not None:
                progress(len(batch))
            batch, size = [], 0
    if batch:
        collection.insert_many(batch, ordered=False)
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    return count


def _create_indexes(collection, specs: list[dict]) -> None:
    for spec in specs:
        key = [(name, direction) for name, direction in spec["key"]]
        collection.create_index(key, **spec.get("options", {}))


def write_secret_key(data_dir: Path, key: str) -> Path:
    """Put ``key`` in the data dir where ``config.settings.secret_key`` reads it (mode 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / "secret_key"
    partial = data_dir / ".secret_key.partial"
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    os.replace(partial, target)
    return target


def restore_backup(
    path: Path,
    *,
    data_dir: Path,
    force: bool = False,
    verify_progress: Progress | None = None,
    progress: Progress | None = None,
    database=None,
) -> Summary:
    """Restore a backup into the connected database and ``data_dir``'s secret key.

    Nothing is written until the whole archive has been checked. The collections present
    (a first start's reference data and administrator, or with ``force`` everything) are
    dropped and replaced. The search index is not touched: rebuild it afterwards.

    :raises BackupError: the archive is damaged or not a backup, or the database holds
        content and ``force`` is false.
    """
    database = database if database is not None else db.database()
    archive = open_archive(path)
    with archive.zip:
        if not force:
            require_empty(database)
        verify(archive, verify_progress)
        for name in collection_names(database):
            database.drop_collection(name)
        restored = 0
        for entry in archive.collections:
            collection = database.get_collection(entry["name"], codec_options=_RAW)
            restored += _insert_all(collection, archive.documents(entry, raw=True), progress)
            _create_indexes(collection, entry.get("indexes") or [])
        key = archive.read_small(SECRET_KEY)
        if key:
            write_secret_key(Path(data_dir), key.decode())
    return Summary(path=Path(path), collections=len(archive.collections), documents=restored,
                   bytes=Path(path).stat().st_size, secret_key=bool(key))


def settings_summary(config: dict, *, version: str = "") -> dict:
    """The settings worth keeping beside a backup; never a password or the secret key."""
    uri = config.get("MONGODB_URI")
    summary = {
        "LIF_VERSION": version,
        "database": "MongoDB (MONGODB_URI)" if uri else "embedded SecantusDB",
        "backed_up_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    for name in ("LIF_DB_NAME", "LIF_HOST", "LIF_PORT", "LIF_BASE_URL", "LIF_MAIL_FROM",
                 "LIF_SMTP_HOST", "LIF_SMTP_PORT", "LIF_MAX_UPLOAD_MB", "LIF_SCHEDULER",
                 "LIF_LOGIN_MAX_FAILURES", "LIF_LOGIN_LOCK_MINUTES", "LIF_ADMIN_EMAIL",
                 "SESSION_COOKIE_SECURE"):
        if name in config:
            summary[name] = config[name]
    data_dir = config.get("LIF_DATA_DIR")
    if data_dir is not None:
        summary["LIF_DATA_DIR"] = str(data_dir)
    return summary


__all__ = [
    "BackupError",
    "Summary",
    "create_backup",
    "estimated_total",
    "open_archive",
    "require_empty",
    "restore_backup",
    "settings_summary",
    "verify",
]
