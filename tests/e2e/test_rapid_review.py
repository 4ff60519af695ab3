"""A rapid review in a real browser (issue 20): an install working to Working Together 2023.

Its own server (``LIF_FRAMEWORK=wt_2023``, no demo): the business manager records a serious
incident with the day the local authority became aware, records the Serious Incident
Notification on the incident's page, starts the rapid review, and records the partners'
decision in their place (with the reason, as an override); the register shows the stage and
both clocks done in time; the dashboard names the framework.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from lif.db import free_port

from .conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    ROOT,
    Server,
    Session,
    _wait_healthy,
    needs_browser,
)
from .test_journeys import expect_text, open_from_list

pytestmark = needs_browser


@pytest.fixture(scope="module")
def partnership_server():
    data_dir = Path(tempfile.mkdtemp(prefix="lif-e2e-wt-"))
    log_path = data_dir / "server.log"
    port = free_port()
    env = {**os.environ, "LIF_DATA_DIR": str(data_dir / "data"), "LIF_PORT": str(port),
           "LIF_HOST": "127.0.0.1", "LIF_DEMO_DATA": "0", "LIF_SCHEDULER": "0",
           "LIF_FRAMEWORK": "wt_2023", "LIF_ADMIN_EMAIL": ADMIN_EMAIL,
           "LIF_ADMIN_PASSWORD": ADMIN_PASSWORD, "LIF_ENV": "development",
           "PYTHONUNBUFFERED": "1"}
    for name in ("MONGODB_URI", "LIF_SECRET_KEY", "LIF_BASE_URL", "LIF_SMTP_HOST"):
        env.pop(name, None)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(port, process, log_path)
        yield Server(f"http://127.0.0.1:{port}", data_dir / "data", log_path, "", process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(browser):
    """The session's chromium (one Playwright per process: a second one inside the first's
    event loop is refused)."""
    return browser


def test_a_rapid_review_in_the_browser(partnership_server, chromium, artifacts):
    server = partnership_server
    manager = Session(chromium, server, artifacts, "rapid-review")
    try:
        manager.login(ADMIN_EMAIL, server.chosen.get(ADMIN_EMAIL, ADMIN_PASSWORD))
        page = manager.page
        expect_text(page, "Working to: Working Together to Safeguard Children 2023 (England)")

        today = dt.date.today()
        title = f"SIN e2e {uuid.uuid4().hex[:6]}"
        manager.goto("/admin/referral/new/")
        assert page.locator("[name=notified_on]").count() == 0  # recorded by its own step
        page.locator("#title").fill(title)
        page.locator("#reasons").fill("A baby seriously injured; known to three agencies.")
        page.locator("#child-name").fill("Child known as E2E")
        page.locator("#agency").select_option("csc")
        page.locator("#aware_on").fill(today.isoformat())
        page.get_by_role("button", name="Save", exact=True).click()
        page.wait_for_load_state()
        assert page.locator(".alert-danger").count() == 0, page.locator(
            ".alert-danger").all_inner_texts()

        manager.goto("/admin/referral/")
        open_from_list(page, title)
        page.wait_for_url("**/referral/details/**")
        expect_text(page, "Notification to the National Panel due")
        manager.shot("incident-recorded")

        form = page.locator("form[action$='/record/']", has=page.locator("[name=notified_on]"))
        form.locator("[name=notified_on]").fill(today.isoformat())
        form.get_by_role("button", name="Record the Serious Incident Notification").click()
        page.wait_for_load_state()
        expect_text(page, "Notified to the National Panel: rapid review due")

        page.get_by_role("button", name="Start the rapid review: ask the agencies for "
                                        "summaries").click()
        page.wait_for_load_state()
        expect_text(page, "Rapid review under way")
        manager.shot("rapid-review")

        form = page.locator("form[action$='/record/']", has=page.locator("[name=decision]"))
        assert form.locator("[name=decision]").input_value() == ""  # nothing chosen for anyone
        form.locator("[name=override_reason]").fill("The partners decided at their meeting; "
                                                    "their lead is on leave.")
        form.locator("[name=decision]").select_option("lcspr")
        form.locator("[name=decision_rationale]").fill("Practice issues across three agencies.")
        form.locator("[name=decided_on]").fill(today.isoformat())
        form.get_by_role("button", name="Record the rapid review's decision").click()
        page.wait_for_load_state()
        expect_text(page, "Rapid review decided")
        manager.shot("decided")

        manager.goto("/admin/referral_register/")
        row = page.locator("tr", has_text=title).first.inner_text()
        assert "Rapid review decided" in row
        assert re.search(r"Notification to the National Panel: .* \(done in time\)", row), row
        assert re.search(r"Rapid review: .* \(done in time\)", row), row
        assert not manager.problems, manager.problems
    finally:
        manager.close()
