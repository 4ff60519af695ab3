"""Browser tests: `python app.py` as a real server and Debian's Chromium driven by Playwright.

One server per test session (demo data on, scheduler off, its own temporary data dir, a free
port) and one headless browser; each test opens its own browser context (own cookies). The
demo accounts' shared password is read from the server's first-start output, as an operator
would. Screenshots go to ``tests/e2e/artifacts/`` (gitignored).

Playwright never downloads a browser here: it drives ``/usr/bin/chromium`` (``.ci/run``
installs Debian's package). Without it, or without the ``playwright`` package, the e2e modules
are skipped with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lif.db import free_port

from ..polling import wait_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path(os.environ.get("LIF_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ADMIN_EMAIL = "business.manager@e2e.lif.test"
ADMIN_PASSWORD = "e2e administrator passphrase"
START_TIMEOUT = 120  # seconds: first start creates the database and loads the demo

try:
    import playwright.sync_api  # noqa: F401

    _HAVE_PLAYWRIGHT = True
except ImportError:  # pragma: no cover - requirements-test.txt pins it
    _HAVE_PLAYWRIGHT = False


def skip_reason() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if not CHROMIUM.exists():
        return (f"{CHROMIUM} is missing: browser tests need Debian's chromium "
                "(`apt-get install chromium`; .ci/run installs it)")
    if not _HAVE_PLAYWRIGHT:
        return "the playwright package is missing (pip install -r requirements-test.txt)"
    return None


# Each e2e module sets ``pytestmark = needs_browser``.
needs_browser = pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")


@dataclass
class Server:
    base_url: str
    data_dir: Path
    log_path: Path
    demo_password: str
    process: subprocess.Popen
    # The password each demo account chose at its first sign-in (the shared one opens once).
    chosen: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _wait_healthy(port: int, process: subprocess.Popen, log_path: Path) -> None:
    def healthy() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"python app.py exited ({process.returncode}):\n"
                               + log_path.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    try:
        wait_for(healthy, what="python app.py to become healthy", timeout=START_TIMEOUT,
                 every=0.3)
    except AssertionError as error:
        raise RuntimeError(f"{error}\n" + log_path.read_text(errors="replace")) from None


@pytest.fixture(scope="session")
def server():
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    data_dir = Path(tempfile.mkdtemp(prefix="lif-e2e-"))
    log_path = data_dir / "server.log"
    port = free_port()
    env = {**os.environ, "LIF_DATA_DIR": str(data_dir / "data"), "LIF_PORT": str(port),
           "LIF_HOST": "127.0.0.1", "LIF_DEMO_DATA": "1", "LIF_SCHEDULER": "0",
           "LIF_ADMIN_EMAIL": ADMIN_EMAIL, "LIF_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "LIF_ENV": "development", "PYTHONUNBUFFERED": "1"}
    for name in ("MONGODB_URI", "LIF_SECRET_KEY", "LIF_BASE_URL", "LIF_SMTP_HOST"):
        env.pop(name, None)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, process, log_path)
        match = re.search(r"share the password: (\S+)", log_path.read_text())
        assert match, "no demo password in the first-start output:\n" + log_path.read_text()
        yield Server(f"http://127.0.0.1:{port}", data_dir / "data", log_path, match.group(1),
                     process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # stops the embedded database too
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # this run's screenshots only
        old.unlink()
    return ARTIFACTS


class Session:
    """One person's browser context: log in, visit, take screenshots."""

    def __init__(self, browser, server: Server, artifacts: Path, prefix: str):
        self.server = server
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="en-GB", timezone_id="Europe/London")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.artifacts = artifacts
        self.prefix = prefix
        self.step = 0
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"JS error: {error}"))
        self.page.on("console", self._on_console)
        self.page.on("response", self._on_response)

    def _on_console(self, message) -> None:
        # Chromium reports what the Content-Security-Policy refused on the console.
        if "Content Security Policy" in message.text:
            self.problems.append(f"CSP: {message.text}")

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"{response.status} from {response.url}")

    def goto(self, path: str):
        response = self.page.goto(self.server.url(path))
        assert response is not None and response.status < 400, (
            f"{path}: {response.status if response else 'no response'}")
        return response

    def login(self, email: str, password: str | None = None) -> None:
        """Sign in; a demo account chooses its own password the first time, as it must."""
        password = password or self.server.chosen.get(email) or self.server.demo_password
        self.goto("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(re.compile(r".*/(admin|account/password)/.*"))
        if "/account/password/" in self.page.url:
            chosen = "violet harbour lantern walks"
            self.page.get_by_label("Current password").fill(password)
            self.page.get_by_label("New password", exact=True).fill(chosen)
            self.page.get_by_label("New password again").fill(chosen)
            self.page.get_by_role("button", name="Change password").click()
            self.page.wait_for_url("**/admin/**")
            self.server.chosen[email] = chosen

    def shot(self, name: str) -> Path:
        self.step += 1
        path = self.artifacts / f"{self.prefix}-{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


def own_password(browser, server: Server, artifacts: Path, email: str) -> str:
    """The password a demo account chose at its first sign-in (signing in once if need be)."""
    if email not in server.chosen:
        first = Session(browser, server, artifacts, "first-sign-in")
        try:
            first.login(email)
        finally:
            first.close()
    return server.chosen[email]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def session_for(request, browser, server, artifacts):
    """``session_for(prefix)`` opens a fresh browser context; all are closed after the test.

    When the test fails, each open page is saved as ``<prefix>-failed.png`` to see why.
    """
    opened: list[Session] = []

    def open_session(prefix: str) -> Session:
        session = Session(browser, server, artifacts, prefix)
        opened.append(session)
        return session

    yield open_session
    failed = getattr(request.node, "rep_call", None)
    problems = [p for s in opened for p in s.problems]
    for session in opened:
        if failed is not None and failed.failed:
            session.page.screenshot(path=str(artifacts / f"{session.prefix}-failed.png"),
                                    full_page=True)
        session.close()
    assert not problems, "server errors or JavaScript errors during the test: " + "; ".join(
        problems)
