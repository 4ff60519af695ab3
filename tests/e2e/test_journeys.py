"""Journeys through a real browser: what a workforce lead, a PDC member and a QAEC member do.

Each step leaves a screenshot in ``tests/e2e/artifacts/``. The server is `python app.py` with
the demo data (see ``conftest.py``); the tests only add to it, so their order does not matter.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import uuid
from pathlib import Path

import pytest

from ..polling import wait_for
from .conftest import needs_browser

pytestmark = needs_browser

LEAD = "lead.police@demo.lif.local"
PDC = "pdc@demo.lif.local"
QAEC = "qaec@demo.lif.local"
PDC_PLAN = "Child A (Alex): multi-agency L&I action plan"  # demo plan, ratified, 4 actions
# A word found nowhere else, so search can only find it in the uploaded Word file.
MARKER = "Quillbrook" + uuid.uuid4().hex[:6]


def expect_text(page, text: str, timeout: float = 10_000) -> None:
    page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=timeout)


def open_from_list(page, title: str) -> None:
    """Open an item from a Flask-Admin list: its row's "View Record" icon link."""
    page.locator("tr", has_text=title).first.get_by_title("View Record").click()


def make_word_file(folder: Path) -> Path:
    from docx import Document

    document = Document()
    document.add_heading("Dip sample of domestic abuse incidents, before and after", level=1)
    document.add_paragraph(
        f"The {MARKER} dip sample of 20 domestic abuse incidents found a MERIT risk "
        "assessment, or the recorded reason it was refused, in 18 of 20 cases (9 of 20 before "
        "the briefing).")
    table = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(table.rows, [("Measure", "Cases with MERIT recorded"),
                                                 ("Before", "9 of 20"), ("After", "18 of 20")],
                                  strict=True):
        row.cells[0].text, row.cells[1].text = label, value
    path = folder / "MERIT dip sample.docx"
    document.save(path)
    return path


@pytest.fixture(scope="module")
def lead_update(browser, server, artifacts, tmp_path_factory):
    """The workforce lead's journey, once per module: search needs the file it uploads."""
    from .conftest import Session

    folder = tmp_path_factory.mktemp("word")
    word = make_word_file(folder)
    lead = Session(browser, server, artifacts, "lead")
    page = lead.page
    try:
        lead.login(LEAD)
        lead.shot("dashboard")
        page.get_by_role("link", name="Action plans").click()
        page.get_by_role("link", name="My actions").click()
        page.wait_for_url("**/admin/my_actions/**")
        page.get_by_role("heading", name=re.compile("^My actions")).wait_for()
        lead.shot("my-actions")

        card = page.locator("article.card").first
        title = card.locator("h2").inner_text().strip()
        action_id = card.get_attribute("id").removeprefix("action-")
        progress = f"Briefed all response teams on MERIT recording ({MARKER} follow-up)."
        evidence = ("Dip sample after the briefings: MERIT recorded or refusal explained "
                    "in 18 of 20.")
        card.get_by_label("Progress update").fill(progress)
        card.get_by_label("What changed for practice or for children").fill(evidence)
        card.get_by_label("How it was measured").fill("Dip sample of 20 incidents, before/after")
        card.get_by_label("Supporting file").set_input_files(str(word))
        lead.shot("form-filled")
        card.get_by_role("button", name="Save update").click()
        page.wait_for_load_state()

        alert = page.locator(".alert-success")
        alert.wait_for()
        message = alert.inner_text()
        lead.shot("saved")

        saved = page.locator(f"#action-{action_id}")
        saved.locator("summary").click()
        record = saved.locator("details")
        expect_text(record, progress)
        expect_text(record, evidence)
        lead.shot("record-shown")
        link = record.get_by_role("link", name="supporting file").first
        download = lead.context.request.get(server.url(link.get_attribute("href")))
        received = {"status": download.status, "body": download.body(),
                    "type": download.headers.get("content-type", "")}
        return {"title": title, "action_id": action_id, "message": message,
                "progress": progress, "evidence": evidence, "download": received,
                "sent": hashlib.sha256(word.read_bytes()).hexdigest(), "problems": lead.problems}
    finally:
        lead.close()


def test_lead_adds_progress_and_evidence_with_a_word_file(lead_update):
    assert "progress added" in lead_update["message"]
    assert "evidence of impact recorded" in lead_update["message"]
    download = lead_update["download"]
    assert download["status"] == 200
    assert hashlib.sha256(download["body"]).hexdigest() == lead_update["sent"]
    assert "wordprocessingml" in download["type"]
    assert not lead_update["problems"]


def test_search_finds_the_uploaded_word_document_text(lead_update, session_for):
    lead = session_for("search")
    page = lead.page
    lead.login(LEAD)
    # The navbar search box, as a person would use it.
    def found() -> bool:
        page.get_by_label("Search LIF").fill(MARKER)
        page.get_by_label("Search LIF").press("Enter")
        page.wait_for_url("**/admin/search/**")
        heading = page.locator("#results-heading")
        return bool(heading.count()) and not heading.inner_text().startswith("0 ")

    # Indexing follows the save in the server's background queue: search until it has.
    wait_for(found, what="search to find the Word file's text", timeout=20, every=1)
    lead.shot("search-results")
    hits = page.locator("article")
    texts = " ".join(hits.all_inner_texts())
    assert MARKER.lower() in texts.lower()
    assert page.get_by_text("In an attached file").count() >= 1, texts
    # The highlighted word is in the snippet of the file hit.
    assert "dip sample" in texts.lower()


def test_pdc_member_records_a_verdict_on_an_action(session_for):
    pdc = session_for("pdc")
    page = pdc.page
    pdc.login(PDC)
    page.get_by_role("link", name="Committees").click()
    page.get_by_role("link", name="PDC reviews").click()
    page.wait_for_url("**/admin/pdc_review/**")
    pdc.shot("pdc-reviews")
    page.get_by_role("link", name="Create").first.click()
    page.get_by_label("Title").fill("Six-month PDC review: Child A (Alex)")
    # The plan field is a select2 box: open it, type, choose, like a person.
    page.locator("#s2id_plan").click()
    page.keyboard.type("Child A")
    page.locator(".select2-results li", has_text=PDC_PLAN).first.click()
    page.get_by_label("Scheduled For").fill(dt.date.today().isoformat())
    pdc.shot("pdc-review-form")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    refused = page.locator(".alert-danger")
    assert refused.count() == 0, refused.all_inner_texts()
    # Open the review just made (Save goes to the item or to the list).
    if "/details/" not in page.url:
        open_from_list(page, "Six-month PDC review: Child A (Alex)")
    page.wait_for_url("**/details/**")
    pdc.shot("pdc-review")

    # Before any verdict, "Record as held" is blocked by its guard, which says why.
    expect_text(page, "Record a verdict for at least one action.")

    # An open action not already red: a challenge at the PDC turns it red.
    card = page.locator("article[id^=verdict-]").filter(
        has_not=page.locator(".rag-red")).filter(has_not_text="Verified").first
    action_title = card.locator("h3 a").inner_text().strip()
    comment = "No evidence yet that ED and ward induction cover the bruising guidance."
    card.get_by_label("Verdict", exact=True).select_option(label="Challenged")
    card.get_by_label("Challenge / comment").fill(comment)
    pdc.shot("verdict-filled")
    card.get_by_role("button", name="Record verdict").click()
    page.wait_for_load_state()
    expect_text(page, f"Verdict recorded for '{action_title}'.")
    card = page.locator("article[id^=verdict-]", has_text=action_title).first
    assert f"Verdict: Challenged — {comment}" in " ".join(card.inner_text().split())
    assert card.get_by_label("Verdict", exact=True).input_value() == "challenged"
    assert card.locator(".rag").inner_text().strip() == "Red"
    pdc.shot("verdict-recorded")

    # With a verdict recorded, the review can be recorded as held, on the day given.
    held_on = dt.date.today()
    page.get_by_label("Held on").fill(held_on.isoformat())
    page.get_by_role("button", name="Record as held").click()
    page.wait_for_load_state()
    expect_text(page, "Held (verdicts recorded)")
    expect_text(page, f"Held on {held_on:%d %B %Y}")
    pdc.shot("review-held")


def population_csv(folder: Path) -> Path:
    agencies = ["police", "csc", "alder_hey", "education"]
    bands = ["0-1", "2-4", "5-10", "11-15", "16-17"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["case_ref", "agency", "age_band", "gender", "area", "referred_on"])
    for i in range(1, 25):
        writer.writerow([f"E2E-{i:03d}", agencies[i % 4], bands[i % 5],
                         "female" if i % 2 else "male", ["North", "Central", "South"][i % 3],
                         (dt.date(2026, 1, 1) + dt.timedelta(days=7 * i)).isoformat()])
    path = folder / "neglect population.csv"
    path.write_text(buffer.getvalue())
    return path


def test_qaec_member_draws_a_sample(session_for, tmp_path):
    qaec = session_for("qaec")
    page = qaec.page
    qaec.login(QAEC)
    title = f"Neglect case file audit (e2e {uuid.uuid4().hex[:4]})"
    page.get_by_role("link", name="Audits", exact=True).first.click()
    page.get_by_role("link", name="Audits", exact=True).last.click()
    page.wait_for_url("**/admin/audit/**")
    page.get_by_role("link", name="Create").first.click()
    page.get_by_label("Title").fill(title)
    qaec.shot("new-audit")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    if "/details/" not in page.url:
        open_from_list(page, title)
    page.get_by_role("link", name="Open the audit workspace").click()
    qaec.shot("workspace")

    page.get_by_role("link", name="Population").click()
    page.get_by_label("Population file (CSV or XLSX)").set_input_files(
        str(population_csv(tmp_path)))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()
    expect_text(page, "Imported 24 cases.")
    qaec.shot("population-imported")

    page.get_by_role("link", name="Sample", exact=True).click()
    form = page.locator("form", has=page.get_by_role("button", name="Draw", exact=True)).first
    form.get_by_label("Number of cases").fill("6")
    form.get_by_label("Seed").fill("2026")
    form.get_by_role("button", name="Draw", exact=True).click()
    page.wait_for_load_state()
    expect_text(page, "Draw 1: 6 cases added to the sample with seed 2026.")
    expect_text(page, "6 of 24 cases are in the sample")
    draws = page.locator("section[aria-labelledby=draws-heading] tbody tr").first
    assert len(re.findall(r"E2E-\d{3}", draws.inner_text())) == 6
    qaec.shot("sample-drawn")
