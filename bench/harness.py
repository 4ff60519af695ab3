"""A LIF app on a fresh embedded database in a temporary data dir, for benchmarks."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

PASSWORD = "bench password 123"
#: How long the bench's own connection waits for a busy embedded database, in ms (the app's
#: default is 3 s: past that a request answers 503; a bench seeding 100k rows on a busy
#: machine must wait instead: lif.db's monitor would cancel the running operation).
PATIENT_TIMEOUT_MS = 300_000


@contextlib.contextmanager
def bench_app(patient: bool = False):
    """Yield ``(app, pymongo database)``; everything is removed afterwards.

    :param patient: connect with :data:`PATIENT_TIMEOUT_MS` instead of the app's time-out.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="lif-bench-"))
    os.environ["LIF_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("LIF_SECRET_KEY", "bench-secret")
    from app import create_app
    from config.settings import TestingConfig
    from lif import db

    config = TestingConfig()
    config.LIF_DEMO_DATA = False
    config.LIF_SCHEDULER = False
    config.LIF_ADMIN_PASSWORD = "bench first password 1"
    config.LIF_DATA_DIR = data_dir
    db.disconnect()
    app = create_app(config)
    server = db.embedded_server()  # the one create_app started
    if patient:
        db.disconnect()
        db.connect(None, data_dir, app.config["LIF_DB_NAME"], timeout_ms=PATIENT_TIMEOUT_MS)
    try:
        yield app, db.database()
    finally:
        # Disconnect first: closing a client whose server is gone waits to find it.
        db.disconnect()
        if server is not None:
            server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def login(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, f"bench login failed for {email}"
    return client
