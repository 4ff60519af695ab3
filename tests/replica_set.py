"""The production path for the suite: a single-node replica set started for the test run.

``make test-replica-set`` runs the integration tests with ``LIF_TEST_REPLICA_SET=1``: the
session starts the embedded server *without* ``--standalone`` (a replica set named
``secantus``, with multi-document transactions) and LIF connects to it through
``MONGODB_URI=mongodb://127.0.0.1:PORT/?replicaSet=secantus``, as a production install
connects to its MongoDB replica set. Nothing else in the suite changes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from lif import db

from .polling import wait_for

SET_NAME = "secantus"
START_TIMEOUT = 60


def wanted(environ) -> bool:
    return environ.get("LIF_TEST_REPLICA_SET", "") not in ("", "0")


def start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start a replica-set server storing in ``data_dir``; return it and its URI."""
    storage = data_dir / "replica-set"
    storage.mkdir(parents=True, exist_ok=True)
    port = db.free_port()
    log = open(data_dir / "replica-set.log", "ab")  # noqa: SIM115 - kept open for the server
    process = subprocess.Popen(
        [db._server_program(), "--host", "127.0.0.1", "--port", str(port),
         "--storage-path", str(storage), "--log-level", "WARNING"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    uri = f"mongodb://127.0.0.1:{port}/?replicaSet={SET_NAME}"
    def answers() -> bool:
        assert process.poll() is None, f"the replica-set server stopped (see {log.name})"
        return db.ping(uri, 500)

    wait_for(answers, what="the replica-set server to answer", timeout=START_TIMEOUT,
             every=0.2)
    return process, uri


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:  # SecantusDB may hang on SIGTERM (docs/administration.md)
        process.kill()
        process.wait()
