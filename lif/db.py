"""The database connection: a real MongoDB through ``MONGODB_URI``, or the embedded SecantusDB.

This is the one module that knows which database LIF runs on. With no URI it looks for a
running embedded server of the data dir (a port file beside the data that answers ``ping``)
and only when none answers starts one as a child process, ``--standalone``, and stops it
when this process exits. SecantusDB is GPL-2.0-only and locks its directory to one process,
so it is never imported here: it is a separate program spoken to over the wire protocol.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import json
import logging
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import mongoengine
from mongoengine import fields as me_fields
from mongoengine.queryset import base as me_queryset_base
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import CollectionInvalid, OperationFailure, PyMongoError

from . import processes
from .errors import Conflict, StorageFull

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0
PING_TIMEOUT_MS = 2000
# How long a request waits for the database before the page says it is unavailable (503).
# The embedded server is a local process: if it has not answered in 3 s it is down or stopped.
# A real MongoDB is a replica set: 8 s rides out most elections (raise it in the URI,
# serverSelectionTimeoutMS=…, to ride out every one).
EMBEDDED_TIMEOUT_MS = 3000
SERVER_TIMEOUT_MS = 8000
# An operation on a connection to a server that stopped answering (SIGSTOP, a hung host)
# fails after this instead of waiting forever; far above any single query LIF makes.
SOCKET_TIMEOUT_MS = 30000
# How often the driver checks the server in the background: a server that stopped answering
# is noticed within this plus the timeout, and operations waiting on it fail with a 503.
HEARTBEAT_MS = 5000


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached; the message says which and why, in one line."""


@dataclass
class EmbeddedServer:
    """A SecantusDB server for one data dir, started by us or found running."""

    data_dir: Path
    port: int
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    # Found running: the server's pid and the process that started it (its port file's).
    pid: int | None = None
    owner: dict | None = None
    _stopped: bool = field(default=False, repr=False)

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    @property
    def owned(self) -> bool:
        return self.process is not None

    @property
    def orphaned(self) -> bool:
        """Found running, though the process that started it is gone (killed: it had no
        chance to stop it)."""
        return self.process is None and self.owner is not None and (
            processes.alive(self.owner) is False)

    def stop(self) -> None:
        """Stop the server if this process started it; leave a shared one running."""
        if self._stopped or self.process is None:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        port_file = _port_file(self.data_dir)
        try:
            info = json.loads(port_file.read_text())
            if info.get("pid") == self.process.pid:
                port_file.unlink()
        except (OSError, ValueError):
            pass


def _port_file(data_dir: Path) -> Path:
    return data_dir / "db.port"


def free_port() -> int:
    """A TCP port free on this machine now (for a server about to start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ping(uri: str, timeout_ms: int = PING_TIMEOUT_MS) -> bool:
    """Return whether a server at ``uri`` answers ``ping`` within ``timeout_ms``."""
    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def _server_program() -> str:
    beside = Path(sys.executable).parent / "secantusd-py"
    if beside.exists():
        return str(beside)
    found = shutil.which("secantusd-py")
    if not found:
        raise DatabaseUnavailable(
            "The embedded database (SecantusDB) is not installed: run `make run`, "
            "or set MONGODB_URI to a MongoDB server."
        )
    return found


def _running_server(data_dir: Path) -> EmbeddedServer | None:
    try:
        info = json.loads(_port_file(data_dir).read_text())
        port = int(info["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    server = EmbeddedServer(data_dir=data_dir, port=port, pid=info.get("pid"),
                            owner=info.get("owner"))
    return server if ping(server.uri, 1000) else None


@contextlib.contextmanager
def _start_lock(data_dir: Path):
    """Hold the data dir's start lock: one process at a time starts (or restarts) its server."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "db.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_embedded(data_dir: Path) -> EmbeddedServer:
    """Find the running embedded server of ``data_dir`` or start one.

    A lock file serialises the start, so two commands started at once share one server. A
    server still running after the process that started it was killed (it stops with it, but
    may still be on its way down, or be of a system without parent-death signals) is stopped
    and started again by this process, which then owns it: nothing else can be in the middle
    of writing to it, so the start-up repair runs at once.
    """
    with _start_lock(data_dir):
        found = _running_server(data_dir)
        if found and not found.orphaned:
            return found
        if found:
            _stop_orphan(found)
        return _start(data_dir)


def _stop_orphan(server: EmbeddedServer) -> None:
    """Stop a server whose starter died (SIGTERM, then SIGKILL after 5 s: its SIGTERM can
    hang, and what it acknowledged is journaled)."""
    pid = server.pid
    log.warning("the embedded database on port %s outlived the process that started it "
                "(pid %s); restarting it", server.port, (server.owner or {}).get("pid"))
    if not pid or not processes.is_running(pid) or not _is_server_program(pid):
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while processes.is_running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not processes.is_running(pid):
            return
    raise DatabaseUnavailable(f"The embedded database left running (pid {pid}) did not stop.")


def _is_server_program(pid: int) -> bool:
    """Whether ``pid`` runs SecantusDB (not a process that got its number since)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the port file
    return b"secantusd" in command


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the server binds: the dead server's closed connections may linger (TIME_WAIT).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _port_for(data_dir: Path) -> int:
    """The port the data dir's server had, if it is free, else any free port.

    A server that died (killed, crashed) leaves its port file behind; starting again on the
    same port lets every process still connected to it carry on without a restart.
    """
    try:
        previous = int(json.loads(_port_file(data_dir).read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        previous = None
    if previous and 1024 <= previous <= 65535 and _port_is_free(previous):
        return previous
    return free_port()


# Runs in the child before it becomes the server: on Linux it asks for SIGKILL when its
# parent dies (PR_SET_PDEATHSIG, kept across exec), so the server stops with the process that
# started it even when that one is killed with SIGKILL; then it execs the server (same pid).
# SIGKILL, not SIGTERM: SecantusDB 0.7.0b3's SIGTERM handler can hang for good when a client
# died mid-request (measured: all threads waiting, a second SIGTERM ignored), and every write
# LIF had acknowledged is in the journal already (``journal=True``), so nothing is lost.
_LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)
except (OSError, AttributeError):
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit(3)
os.execv(sys.argv[2], sys.argv[2:])
"""


class _Spawner:
    """Start child processes from a thread that lives as long as this process.

    The parent-death signal is sent when the *thread* that started the child ends, not the
    process: a server started from a request's thread (a restart after a full disk) would
    stop when that thread did. So children are started from the main thread, or from this
    one thread kept for the purpose.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, cmd: list[str], **kwargs) -> subprocess.Popen:
        if threading.current_thread() is threading.main_thread():
            return subprocess.Popen(cmd, **kwargs)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lif-db-spawner",
                                                daemon=True)
                self._thread.start()
        done: Future = Future()
        self._jobs.put((cmd, kwargs, done))
        return done.result()

    def _run(self) -> None:
        while True:
            cmd, kwargs, done = self._jobs.get()
            try:
                done.set_result(subprocess.Popen(cmd, **kwargs))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                done.set_exception(error)


_spawn = _Spawner()


def _start(data_dir: Path) -> EmbeddedServer:
    storage = data_dir / "db"
    storage.mkdir(parents=True, exist_ok=True)
    port = _port_for(data_dir)
    log_path = data_dir / "db.log"
    cmd = [
        _server_program(),
        "--standalone",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        str(storage),
        "--log-level",
        "WARNING",
    ]
    with open(log_path, "ab") as log_file:
        # A session of its own: Ctrl-C in the terminal reaches us, and we stop it in order.
        # Started through the launcher, it also stops when this process dies (kill -9).
        process = _spawn(
            [sys.executable, "-I", "-c", _LAUNCHER, str(os.getpid()), *cmd],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = EmbeddedServer(data_dir=data_dir, port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise DatabaseUnavailable(f"The embedded database did not start: {tail[0]}")
        if ping(server.uri, 500):
            break
        time.sleep(0.2)
    else:
        server.stop()
        raise DatabaseUnavailable(
            f"The embedded database did not answer within {START_TIMEOUT:.0f} s (see {log_path})."
        )
    _port_file(data_dir).write_text(json.dumps(
        {"port": port, "pid": process.pid, "owner": processes.mark()}))
    atexit.register(server.stop)
    log.info("embedded database started on port %s (data in %s)", port, storage)
    return server


_server: EmbeddedServer | None = None
_connected_uri: str | None = None
_restart_lock = threading.Lock()
_connect_args: tuple[str, int] | None = None


def connect(uri: str | None, data_dir: Path, db_name: str = "lif", *,
            timeout_ms: int | None = None):
    """Connect mongoengine to ``uri``, or to the embedded server of ``data_dir`` when unset.

    :param timeout_ms: how long an operation waits to find the server (default
        :data:`EMBEDDED_TIMEOUT_MS` or :data:`SERVER_TIMEOUT_MS`).
    :raises DatabaseUnavailable: when the server cannot be reached within ``timeout_ms``.
    :return: the :class:`EmbeddedServer` when embedded, else ``None``.
    """
    global _server, _connect_args
    apply_regex_fix()
    apply_session_routing()
    if timeout_ms is None:
        timeout_ms = EMBEDDED_TIMEOUT_MS if uri is None else SERVER_TIMEOUT_MS
    server = None
    if uri is None:
        server = ensure_embedded(data_dir)
        uri = server.uri
        _server = server
    elif not ping(uri, timeout_ms):
        raise DatabaseUnavailable(
            f"Cannot reach the MongoDB server in MONGODB_URI within {timeout_ms / 1000:.0f} s "
            f"({_redact(uri)})."
        )
    # The embedded server keeps the last ~100 ms of writes in its own memory: killed (not
    # stopped) it lost writes it had acknowledged (measured: all 50 made in the 50 ms before).
    # With journal=True a write is acknowledged once it is in the journal on disk (inserts at
    # about half the speed). A MongoDB URI says its own write concern (w=majority journals).
    _bind(uri, db_name, timeout_ms, durable=server is not None)
    _connect_args = (db_name, timeout_ms)
    return server


def _bind(uri: str, db_name: str, timeout_ms: int, *, durable: bool) -> None:
    """Point mongoengine at ``uri`` (unless it already is)."""
    global _connected_uri
    if _connected_uri == uri:
        return
    mongoengine.disconnect()
    mongoengine.connect(
        db=db_name,
        host=uri,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=SOCKET_TIMEOUT_MS,
        heartbeatFrequencyMS=HEARTBEAT_MS,
        uuidRepresentation="standard",
        **({"journal": True} if durable else {}),
    )
    _connected_uri = uri


def disconnect() -> None:
    global _connected_uri
    mongoengine.disconnect()
    _connected_uri = None


def database():
    """Return the pymongo database LIF is connected to (inside :func:`all_or_nothing` on a
    replica set, one whose collections run in its transaction)."""
    session = getattr(_transaction, "session", None)
    found = mongoengine.get_db()
    return found if session is None else _DatabaseInSession(found, session)


def is_up() -> bool:
    """Return whether the connected database answers ``ping`` now."""
    try:
        database().client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" to a health check
        return False


# --- a full disk ------------------------------------------------------------------------
# Measured with SecantusDB 0.7.0b3 on a small tmpfs: a write that finds no space left fails
# with "internal server error" (code 1), and from then on every read and write does too,
# while `ping` still answers, until the server is restarted; it cannot start again until
# there is room (with none it exits at once). Restarted with room it recovers from its
# journal with every acknowledged write; the failed write's GridFS chunks stay behind, for
# the start-up repair.

HEALTH_COLLECTION = "lif_health"
# Even the few bytes of a sign-in or an audit-trail line need this much free.
FLOOR_BYTES = 1024 * 1024
FULL_MESSAGE = ("The disk that holds LIF's data is full, so nothing was saved. Reading still "
                "works. An administrator needs to free space; LIF carries on by itself once "
                "there is room.")


class _Room:
    data_dir: Path | None = None
    min_free = 0


_room = _Room()


def keep_free(data_dir: Path, min_free_bytes: int) -> None:
    """Say which disk holds the data and how much of it writes must leave free."""
    _room.data_dir = Path(data_dir)
    _room.min_free = int(min_free_bytes)


def room_left() -> int | None:
    """Bytes free on the data dir's disk (``None`` before :func:`keep_free`)."""
    return free_bytes(_room.data_dir) if _room.data_dir is not None else None


def has_room(size: int = 0, *, floor: bool = False) -> bool:
    """Whether ``size`` more bytes fit, leaving the room kept free (or, with ``floor``, the
    last :data:`FLOOR_BYTES`, for the small writes reading needs)."""
    free = room_left()
    keep = FLOOR_BYTES if floor else _room.min_free
    return free is None or free >= keep + max(0, size)


def require_room(size: int = 0, *, floor: bool = False) -> None:
    """Refuse a write that would not leave the room kept free (see :func:`has_room`).

    :raises StorageFull: with :data:`FULL_MESSAGE`; nothing was written.
    """
    if not has_room(size, floor=floor):
        log.error("write refused: %s bytes free on %s", room_left(), _room.data_dir)
        raise StorageFull(FULL_MESSAGE)


def free_bytes(path: Path) -> int:
    """Return the bytes free on the disk holding ``path`` (its nearest existing parent)."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    return shutil.disk_usage(path).free


def probe() -> tuple[bool, bool]:
    """Return whether the database answers ``ping``, and whether it serves now.

    With room on the disk the check writes one small upsert into ``lif_health`` and reads
    it back (a store that stopped on a full disk answers ``ping`` yet fails both); without,
    it only reads, so that the probe itself does not meet the full disk.
    """
    try:
        database().client.admin.command("ping")
    except Exception:  # noqa: BLE001 - any failure means "unreachable" to a health check
        return False, False
    try:
        health = database()[HEALTH_COLLECTION]
        if has_room(floor=True):
            health.update_one({"_id": "write-probe"}, {"$inc": {"writes": 1}}, upsert=True)
            return True, health.find_one({"_id": "write-probe"}) is not None
        health.find_one({"_id": "write-probe"})
        return True, True
    except PyMongoError:
        return True, False


def restart_embedded() -> bool:
    """Restart the embedded server this process started, on the same data dir and port.

    For a store that failed on a full disk, once there is room again: the processes
    connected to it carry on without a restart of their own.

    :return: whether a server was restarted (``False``: none of ours to restart).
    :raises DatabaseUnavailable: it did not start again (say, still no room).
    """
    global _server
    with _restart_lock:
        server = _server
        if server is None or not server.owned:
            return False
        with _start_lock(server.data_dir):
            server.stop()
            _server = _start(server.data_dir)
        log.warning("embedded database restarted on port %s", _server.port)
        if _connect_args is not None:  # another port, if the old one was taken meanwhile
            _bind(_server.uri, *_connect_args, durable=True)
        return True


def _redact(uri: str) -> str:
    return re.sub(r"//[^@/]*@", "//***@", uri)


def embedded_server() -> EmbeddedServer | None:
    return _server


# --- SecantusDB gap: a BSON regex on an indexed field matches nothing ---------------------
# mongoengine turns `contains`, `icontains`, `startswith`, `iexact`… into a compiled Python
# pattern, which pymongo sends as a BSON regex. The `{"$regex": …}` operator form works on
# both SecantusDB and mongod, so we send that instead, once, for every string field.

_original_prepare = me_fields.StringField.prepare_query_value


def _prepare_query_value(self, op, value):
    prepared = _original_prepare(self, op, value)
    if isinstance(prepared, re.Pattern):
        options = "i" if prepared.flags & re.IGNORECASE else ""
        return {"$regex": prepared.pattern, "$options": options}
    return prepared


def apply_regex_fix() -> None:
    """Make mongoengine's string-pattern queries use the ``$regex`` operator form."""
    if me_fields.StringField.prepare_query_value is not _prepare_query_value:
        me_fields.StringField.prepare_query_value = _prepare_query_value


# --- several writes as one: transactions where the server has them --------------------------
# A replica set (production MongoDB, or SecantusDB started without --standalone) runs
# multi-document transactions; a standalone server does not. all_or_nothing() is the one place
# that decides: inside it, on a replica set, every mongoengine read and write of this thread
# (and every collection taken from database()) runs in one transaction, committed at the end
# and aborted by an error. mongoengine passes no session to pymongo, so the collections it
# takes are handed over wrapped with the session (_InSession). On a standalone server it does
# nothing, and lif.services.operations keeps its note-and-repair path.

_SESSION_METHODS = frozenset({
    "aggregate", "bulk_write", "count_documents", "delete_many", "delete_one", "distinct",
    "estimated_document_count", "find", "find_one", "find_one_and_delete",
    "find_one_and_replace", "find_one_and_update", "insert_many", "insert_one", "replace_one",
    "update_many", "update_one",
})
_transaction = threading.local()
_transactions: dict[str, bool] = {}


class _InSession:
    """A pymongo collection whose operations run in ``session``."""

    def __init__(self, collection, session) -> None:
        self._collection = collection
        self._session = session

    def __getattr__(self, name: str):
        attribute = getattr(self._collection, name)
        if name in _SESSION_METHODS:
            return functools.partial(attribute, session=self._session)
        if name == "with_options":
            return lambda *args, **kwargs: _InSession(attribute(*args, **kwargs), self._session)
        return attribute

    def __getitem__(self, name: str):  # a sub-collection (``files.chunks``)
        return _InSession(self._collection[name], self._session)

    def __eq__(self, other) -> bool:
        return self._collection == getattr(other, "_collection", other)

    def __hash__(self) -> int:
        return hash(self._collection)


class _DatabaseInSession:
    """A pymongo database whose collections run in ``session``."""

    def __init__(self, database_, session) -> None:
        self._database = database_
        self._session = session

    def __getitem__(self, name: str) -> _InSession:
        return _InSession(self._database[name], self._session)

    def __getattr__(self, name: str):
        attribute = getattr(self._database, name)
        if isinstance(attribute, Collection):
            return _InSession(attribute, self._session)
        return attribute


_original_get_collection = mongoengine.Document._get_collection.__func__


def _get_collection(cls):
    collection = _original_get_collection(cls)
    session = getattr(_transaction, "session", None)
    return collection if session is None else _InSession(collection, session)


_original_count_documents = me_queryset_base.count_documents


def _count_documents(collection, filter, skip=None, limit=None, hint=None, collation=None):
    # QuerySet.count() counts on its cursor's plain collection (and, with no filter, by the
    # collection's metadata, which a transaction may not read): count in the session instead.
    session = getattr(_transaction, "session", None)
    if session is None:
        return _original_count_documents(collection, filter, skip, limit, hint, collation)
    if limit == 0:
        return 0
    options = {"skip": skip, "limit": limit, "collation": collation,
               "hint": None if hint == -1 else hint}
    return collection.count_documents(filter or {}, session=session,
                                      **{k: v for k, v in options.items() if v is not None})


def apply_session_routing() -> None:
    """Let :func:`all_or_nothing` hand mongoengine its session-bound collections."""
    if mongoengine.Document._get_collection.__func__ is not _get_collection:
        mongoengine.Document._get_collection = classmethod(_get_collection)
        me_queryset_base.count_documents = _count_documents


def has_transactions() -> bool:
    """Whether the connected server runs multi-document transactions (a replica set or a
    sharded cluster), asked once per connection."""
    uri = _connected_uri or ""
    if uri not in _transactions:
        hello = mongoengine.get_db().client.admin.command("hello")
        _transactions[uri] = bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"
    return _transactions[uri]


_prepared: set[str] = set()
_prepare_lock = threading.Lock()


def _prepare_collections() -> None:
    """Create every model's collection and indexes (once per connection) before the first
    transaction: a collection or index made while a transaction writes to it conflicts."""
    uri = _connected_uri or ""
    if uri in _prepared:
        return
    from mongoengine.base import _document_registry

    with _prepare_lock:
        if uri in _prepared:
            return
        for document in list(_document_registry.values()):
            if not getattr(document, "_is_document", False) or document._meta.get("abstract"):
                continue  # embedded documents and abstract bases have no collection
            name = document._get_collection_name()
            database_ = document._get_db()
            if name not in database_.list_collection_names(filter={"name": name}):
                # (another process may make it at the same moment: then it exists)
                with contextlib.suppress(CollectionInvalid, OperationFailure):
                    database_.create_collection(name)
            _original_get_collection(document)  # and its indexes
        _prepared.add(uri)


def in_transaction() -> bool:
    """Whether this thread is inside :func:`all_or_nothing` on a server with transactions."""
    return getattr(_transaction, "session", None) is not None


@contextlib.contextmanager
def all_or_nothing():
    """Run the block's writes as one transaction when the server has transactions.

    Yields ``True`` when they do (committed when the block ends, aborted by any error it
    raises: nothing is left, nothing needs repair), ``False`` on a standalone server (the
    caller keeps its own way back, :mod:`lif.services.operations`). Nested blocks join the
    outer one. Files (GridFS) are written outside it: they are noted and repaired like before.
    """
    if in_transaction():
        yield True
        return
    if not has_transactions():
        yield False
        return
    _prepare_collections()
    client = mongoengine.get_db().client
    _transaction.after = []
    committed = False
    try:
        with client.start_session() as session, session.start_transaction():
            _transaction.session = session
            try:
                yield True
            finally:
                _transaction.session = None
        committed = True
    except (PyMongoError, mongoengine.errors.OperationError) as error:
        if not _write_conflict(error):
            raise
        # Two transactions wrote the same records (two imports of one file at once): the
        # later one is undone whole, and says so as any other conflict does.
        raise Conflict(WRITE_CONFLICT) from error
    finally:
        hooks, _transaction.after = _transaction.after, []
        for hook in hooks:
            try:
                hook(committed)
            except Exception:  # noqa: BLE001 - one hook must not hide the block's outcome
                log.exception("a hook after a transaction failed")


WRITE_CONFLICT = ("Someone else changed the same records at the same moment; nothing of this "
                  "change was stored. Try again.")


def _write_conflict(error: Exception) -> bool:
    """Whether ``error`` is a transaction's write conflict (pymongo's, or mongoengine's
    wrapping of it, which keeps only the message)."""
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        return True
    return "WriteConflict" in str(error)


def after_transaction(hook) -> None:
    """Call ``hook(committed)`` once the outermost :func:`all_or_nothing` block has ended,
    outside its transaction (for writes that cannot be in it: files)."""
    _transaction.after.append(hook)


def outside_transaction():
    """The pymongo database itself, for a write that must not wait for (or be undone with)
    the transaction around it: the note of files written outside it."""
    return mongoengine.get_db()


def run_server_forever(data_dir: Path, min_free_bytes: int = 0) -> None:
    """Run the embedded server in the foreground (``lif db``), for multi-worker installs.

    Every few seconds it checks the store still serves; one that failed on a full disk is
    restarted once ``min_free_bytes`` are free again, so the workers sharing it recover
    without anyone restarting anything.
    """
    global _server
    # The command's own app start may already have started it: then this process owns it.
    owned = _server is not None and _server.owned and _server.data_dir == data_dir
    server = _server if owned else ensure_embedded(data_dir)
    if not server.owned:
        print(f"An embedded database for {data_dir} is already running on port {server.port}.")
        return
    _server = server
    print(f"Embedded database on 127.0.0.1:{server.port} (data in {data_dir / 'db'}). "
          "Ctrl-C stops.")
    stop = {"now": False}

    def _handle(signum, frame):  # noqa: ARG001
        stop["now"] = True

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    ticks = 0
    while not stop["now"] and _server.process.poll() is None:
        time.sleep(0.5)
        ticks += 1
        if ticks % 10 == 0 and _store_failed(_server.uri) and (
                free_bytes(data_dir) >= min_free_bytes):
            try:
                restart_embedded()
            except DatabaseUnavailable as error:
                log.error("the embedded database did not restart: %s", error)
    _server.stop()


def _store_failed(uri: str) -> bool:
    """Whether the server at ``uri`` answers ``ping`` but can no longer read."""
    client = MongoClient(uri, serverSelectionTimeoutMS=1000, socketTimeoutMS=5000)
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False  # down, not failed: the loop above sees the process end
    try:
        client.get_database("admin")[HEALTH_COLLECTION].find_one({})
        return False
    except PyMongoError:
        return True
    finally:
        client.close()
