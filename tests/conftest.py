"""Fixtures: one embedded database per test session, an app, clients and a login helper.

Tests run against a real SecantusDB started for the session in a temporary data dir; each
test that needs a clean slate asks for ``clean_db``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest

_DATA_DIR = Path(tempfile.mkdtemp(prefix="lif-test-"))
os.environ["LIF_DATA_DIR"] = str(_DATA_DIR)
os.environ.setdefault("LIF_SECRET_KEY", "test-secret-key-not-for-production")
os.environ.pop("MONGODB_URI", None)

from tests import replica_set  # noqa: E402

# LIF_TEST_REPLICA_SET=1: the production path (tests/replica_set.py), else the embedded default.
_REPLICA_SET = replica_set.start(_DATA_DIR) if replica_set.wanted(os.environ) else None

from app import create_app  # noqa: E402
from config.settings import TestingConfig  # noqa: E402
from lif import db as lif_db  # noqa: E402
from lif.models import Agency  # noqa: E402
from lif.seed import seed_reference  # noqa: E402
from lif.services import users  # noqa: E402

ADMIN_EMAIL = "admin@test.lif"
PASSWORD = "correct horse battery staple"
KEEP = {"agencies"}


class _Config(TestingConfig):
    def __init__(self):
        super().__init__()
        self.LIF_ADMIN_EMAIL = ADMIN_EMAIL
        self.LIF_ADMIN_PASSWORD = PASSWORD
        self.LIF_DEMO_DATA = False
        self.LIF_SCHEDULER = False
        if _REPLICA_SET is not None:
            self.MONGODB_URI = _REPLICA_SET[1]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "embedded_only(reason): tests of the embedded server's own strategies, "
        "skipped on the production path (LIF_TEST_REPLICA_SET=1)")


def pytest_collection_modifyitems(config, items):
    if _REPLICA_SET is None:
        return
    for item in items:
        marker = item.get_closest_marker("embedded_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.args[0] if marker.args else
                                             "the embedded server's own strategy"))


@pytest.fixture(scope="session")
def app():
    application = create_app(_Config())
    yield application
    server = lif_db.embedded_server()
    if server is not None:
        server.stop()
    if _REPLICA_SET is not None:
        replica_set.stop(_REPLICA_SET[0])


def wipe() -> None:
    database = lif_db.database()
    for name in database.list_collection_names():
        if name not in KEEP:
            database[name].delete_many({})


@pytest.fixture
def clean_db(app):
    """An empty database (agencies kept) with the first administrator."""
    wipe()
    seed_reference()
    users.ensure_admin(ADMIN_EMAIL, PASSWORD)
    yield
    wipe()


@pytest.fixture
def client(app, clean_db):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def make_user(role: str, agency: str | None = None, email: str | None = None):
    email = email or f"{role}{'.' + agency if agency else ''}@test.lif".replace("_", "-")
    existing = users.find_by_email(email)
    if existing:
        return existing
    user, _ = users.create_user(email, PASSWORD, [role], agency)
    return user


class AuthActions:
    """Log in and out over HTTP, with the CSRF token from the form like a browser."""

    def __init__(self, client):
        self._client = client

    def csrf(self, path: str = "/login") -> str:
        page = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        if match is None:
            match = re.search(
                r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str = ADMIN_EMAIL, password: str = PASSWORD):
        token = self.csrf("/login")
        return self._client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = self.csrf("/admin/")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def agency_keys() -> list[str]:
    return [a.key for a in Agency.objects]
