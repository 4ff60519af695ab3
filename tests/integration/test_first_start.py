"""The demo goes only into an empty first start, when asked; never into an install with data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pymongo import MongoClient

from lif import db as lif_db
from lif import seed
from lif.models import Review, User
from lif.services import setup

from ..conftest import ADMIN_EMAIL, PASSWORD, make_user
from .test_server import free_port, start, stop, wait_healthy

ROOT = Path(__file__).resolve().parents[2]


def _flask(data_dir: Path, *args: str, **extra) -> subprocess.CompletedProcess:
    env = {**os.environ, "LIF_DATA_DIR": str(data_dir), "LIF_SCHEDULER": "0", **extra}
    for name in ("LIF_DEMO_DATA", "LIF_ENV", "LIF_SECRET_KEY", "LIF_ADMIN_PASSWORD"):
        if name not in extra:
            env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "lif", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


def _contents(data_dir: Path) -> tuple[list[str], int]:
    """The accounts' emails and the number of reviews in the data dir's database."""
    server = lif_db.ensure_embedded(data_dir)
    try:
        client = MongoClient(server.uri, serverSelectionTimeoutMS=5000)
        database = client["lif"]
        emails = sorted(u["email"] for u in database["users"].find({}, {"email": 1}))
        reviews = database["reviews"].count_documents({})
        client.close()
    finally:
        server.stop()
    return emails, reviews


def test_an_empty_install_started_again_without_the_variable_gets_no_demo(tmp_path):
    # GIVEN an install created empty on purpose
    port = free_port()
    process = start(tmp_path, port, LIF_DEMO_DATA="0")
    try:
        wait_healthy(port, process)
    finally:
        stop(process)
    # WHEN any command starts without LIF_DEMO_DATA (the reported case), and the server again
    searched = _flask(tmp_path, "search", "x")
    assert searched.returncode == 0, searched.stdout + searched.stderr
    process = start(tmp_path, port, LIF_DEMO_DATA="")
    try:
        wait_healthy(port, process)
    finally:
        output = stop(process)
    # THEN it holds the first administrator and nothing else
    assert "demo" not in (searched.stdout + output).lower()
    assert _contents(tmp_path) == (["boss@example.org"], 0)


def test_asking_for_the_demo_on_a_later_start_of_an_empty_install_loads_nothing(tmp_path):
    port = free_port()
    process = start(tmp_path, port, LIF_DEMO_DATA="0")
    try:
        wait_healthy(port, process)
    finally:
        stop(process)
    # `make run` asks for the demo on every start: only a first start may take it.
    process = start(tmp_path, port, LIF_DEMO_DATA="1")
    try:
        wait_healthy(port, process)
    finally:
        output = stop(process)
    assert "Loaded demo data" not in output
    assert _contents(tmp_path) == (["boss@example.org"], 0)


def test_the_demo_is_loaded_into_a_first_start_when_asked(clean_db):
    User.objects.delete()  # a fresh install: no account yet
    lines = setup.first_start(ADMIN_EMAIL, PASSWORD, demo=True)
    assert any(line.startswith("Loaded demo data") for line in lines)
    demo_accounts = User.objects(email__endswith=f"@{seed.DEMO_DOMAIN}")
    assert demo_accounts.count() == len(seed.DEMO_USERS)
    # Demo accounts are never administrators, and each must choose its own password.
    assert all("admin" not in u.roles for u in demo_accounts)
    assert all(u.must_change_password for u in demo_accounts)


def test_the_demo_is_never_loaded_into_an_install_with_data(clean_db):
    # The first administrator exists already: this is not a first start.
    assert setup.first_start(ADMIN_EMAIL, PASSWORD, demo=True) == []
    assert Review.objects.count() == 0
    assert User.objects.count() == 1


def test_the_seed_command_refuses_the_demo_into_an_install_with_accounts(runner, clean_db):
    make_user("viewer")
    result = runner.invoke(args=["lif", "seed", "--demo"])
    assert result.exit_code == 1
    assert "only into an empty install" in result.output
    assert Review.objects.count() == 0
    assert User.objects(email__endswith=f"@{seed.DEMO_DOMAIN}").count() == 0
