"""`python app.py` for real: a subprocess on a free port, a login over HTTP, a restart."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..polling import wait_for

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "smoke test password 1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(data_dir: Path, port: int, *, command: tuple[str, ...] = ("app.py",),
          **extra) -> subprocess.Popen:
    env = {**os.environ, "LIF_DATA_DIR": str(data_dir), "LIF_PORT": str(port),
           "LIF_DEMO_DATA": "0", "LIF_SCHEDULER": "0", "LIF_ADMIN_EMAIL": "boss@example.org",
           "LIF_ADMIN_PASSWORD": PASSWORD, **extra}
    env.pop("LIF_SECRET_KEY", None)
    return subprocess.Popen([sys.executable, *command], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def healthy(port: int, process: subprocess.Popen | None = None) -> bool:
    """Return whether LIF on ``port`` answers /healthz with 200 (its process still running)."""
    assert process is None or process.poll() is None, process.stdout.read()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_healthy(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    wait_for(lambda: healthy(port, process), what="the server to become healthy",
             timeout=timeout, every=0.3)


def login(port: int, password: str = PASSWORD) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"http://127.0.0.1:{port}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"email": "boss@example.org", "password": password,
                                   "csrf_token": token}).encode()
    return opener.open(f"http://127.0.0.1:{port}/login", body).read().decode()


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return out


def test_serves_logs_in_and_keeps_data_across_a_restart(tmp_path):
    port = free_port()
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process)
        assert "Waiting for me" in login(port)
    finally:
        first_output = stop(process)
    assert "Created the first administrator: boss@example.org" in first_output
    # The embedded database stopped with the app.
    assert not (tmp_path / "db.port").exists()
    # Starting again finds the same data: no new administrator, the same password works.
    process = start(tmp_path, port)
    try:
        wait_healthy(port, process)
        assert "Waiting for me" in login(port)
    finally:
        second_output = stop(process)
    assert "Created the first administrator" not in second_output


def test_under_gunicorn_the_apps_log_lines_are_kept(tmp_path):
    # gunicorn builds the app with create_app() and never calls main(): logging is set up
    # there, or LIF's INFO lines (the embedded database starting, sweeps) are dropped.
    port = free_port()
    process = start(tmp_path, port, command=(
        "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:create_app()"))
    try:
        wait_healthy(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert "INFO lif.db embedded database started on port" in output
    assert not (tmp_path / "db.port").exists()  # the worker stopped it on its way out


def test_unreachable_mongodb_uri_stops_with_a_clear_message(tmp_path):
    process = start(tmp_path, free_port(), MONGODB_URI="mongodb://127.0.0.1:9/lif")
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "LIF cannot start: Cannot reach the MongoDB server in MONGODB_URI" in out
    assert "Traceback" not in out


def test_with_the_scheduler_ctrl_c_stops_it_before_the_database(tmp_path):
    port = free_port()
    process = start(tmp_path, port, LIF_SCHEDULER="1")
    try:
        wait_healthy(port, process)
    finally:
        output = stop(process)
    assert process.returncode == 0
    assert "Scheduler started" in output and "Scheduler has been shut down" in output
    # Stopped after the database, it queried its job store once more, and that failed.
    assert "Error getting due jobs" not in output and "Connection refused" not in output
    assert not (tmp_path / "db.port").exists()
