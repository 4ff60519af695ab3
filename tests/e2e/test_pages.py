"""Item pages and forms in the real browser: pages read as documents, choices instead of
typing, nothing typed lost (issue 17, points 4-6).

The server is `python app.py` with the demo data (see ``conftest.py``); each test adds what
it needs, so their order does not matter.
"""

from __future__ import annotations

import re
import uuid

from .conftest import needs_browser
from .test_journeys import expect_text, open_from_list

pytestmark = needs_browser

LEAD = "lead.police@demo.lif.local"
QAEC = "qaec@demo.lif.local"
MB = 1024 * 1024


def open_action(session, title_part: str = "") -> str:
    """Open a demo action of the police from its list; return its title."""
    page = session.page
    session.goto("/admin/action/")
    row = page.locator("tr", has_text=title_part).first if title_part else \
        page.locator("tbody tr").first
    row.get_by_title("View Record").click()
    page.wait_for_url("**/admin/action/details/**")
    return page.locator("h1").last.inner_text().strip()


def test_an_action_page_reads_as_a_document(session_for):
    lead = session_for("page-action")
    lead.login(LEAD)
    open_action(lead)
    page = lead.page
    text = page.locator("article.lif-item").inner_text()
    assert "What happens next" in text
    assert re.search(r"Answers\s+Finding \d+ of ", text), text[:2000]
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\bNone\b|\bFalse\b|_", text), text[:2000]
    history = page.locator("aside").inner_text()
    assert "Not started → In progress" in history or "→" not in history
    lead.shot("action-page")


def test_a_file_over_the_limit_is_refused_at_its_field_and_the_text_stays(session_for):
    lead = session_for("too-big")
    lead.login(LEAD)
    open_action(lead)
    page = lead.page
    form = page.locator("form.lif-action-form")
    note = f"Briefings done in every team ({uuid.uuid4().hex[:6]})."
    form.get_by_label("Progress update").fill(note)
    form.get_by_label("What changed for practice or for children").fill("17 of 20 cases.")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/my_actions/update/" in r.url else None)
    form.get_by_label("Supporting file").set_input_files(files=[{
        "name": "whole archive.csv", "mimeType": "text/csv", "buffer": b"a" * (26 * MB)}])
    expect_text(page, "is larger than the upload limit of 25 MB")
    lead.shot("file-too-big")
    form.get_by_role("button", name="Save update").click()
    assert not sent, "nothing is sent while the file is over the limit"
    assert form.get_by_label("Progress update").input_value() == note
    form.get_by_label("Supporting file").set_input_files(files=[])
    form.get_by_role("button", name="Save update").click()
    page.locator(".alert-success").first.wait_for()
    expect_text(page, note)


def test_a_measure_alone_comes_back_with_the_reason_at_the_evidence(session_for):
    lead = session_for("measure")
    lead.login(LEAD)
    open_action(lead)
    page = lead.page
    form = page.locator("form.lif-action-form")
    form.get_by_label("How it was measured").fill("Dip sample of 20 cases")
    form.get_by_role("button", name="Save update").click()
    page.locator(".alert-danger").first.wait_for()
    form = page.locator("form.lif-action-form")
    assert form.get_by_label("How it was measured").input_value() == "Dip sample of 20 cases"
    evidence = form.get_by_label("What changed for practice or for children")
    assert evidence.get_attribute("aria-invalid") == "true"
    expect_text(page, "Say what changed for practice or for children")
    lead.shot("measure-refused")
    evidence.fill("17 of 20 cases show the change.")
    form.get_by_role("button", name="Save update").click()
    page.locator(".alert-success").first.wait_for()
    expect_text(page, "Measured by:")


def test_a_demo_action_takes_a_new_title(session_for):
    lead = session_for("title")
    lead.login(LEAD)
    open_action(lead)
    page = lead.page
    page.get_by_role("link", name="Edit").first.click()
    page.wait_for_url("**/admin/action/edit/**")
    title = f"Brief response officers on sharing information ({uuid.uuid4().hex[:4]})"
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    assert "Invalid email address" not in page.content()
    assert "Enter a valid email address" not in page.content()
    if "/details/" not in page.url:
        open_from_list(page, title)
    expect_text(page, title)


def test_an_audit_takes_its_agencies_from_the_list(session_for):
    qaec = session_for("participants")
    qaec.login(QAEC)
    page = qaec.page
    title = f"Front door audit (e2e {uuid.uuid4().hex[:4]})"
    qaec.goto("/admin/audit/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Add Participants").click()
    agency = page.locator("select[name='participants-0-agency']")
    agency.select_option(label="Alder Hey Children's Hospital")
    page.locator("input[name='participants-0-lead_auditor']").fill("auditor@alder-hey.example.org")
    qaec.shot("participant-chosen")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    if "/details/" not in page.url:
        open_from_list(page, title)
    section = page.locator("section[aria-labelledby=participants-heading]")
    assert "Alder Hey Children's Hospital" in section.inner_text()
    assert "auditor@alder-hey.example.org" in section.inner_text()
    qaec.shot("audit-page")
