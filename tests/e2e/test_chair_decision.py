"""The Independent Chair sees no decision until they choose one (issue 17), in a real browser.

The business manager takes a referral in on the referral form and accepts it; a CIEC member
records the committee's recommendation; the Chair opens the referral. Before the fix the
referral form stored "SCR" as the Chair's decision (its selects had no blank choice), the
clock said "Decided in time", and the Workflow box's "Record Chair's decision" recorded that
SCR with nothing chosen.
"""

from __future__ import annotations

import re
import uuid

from .conftest import ADMIN_EMAIL, ADMIN_PASSWORD, needs_browser
from .test_journeys import expect_text, open_from_list

pytestmark = needs_browser

CIEC = "ciec.csc@demo.lif.local"
CHAIR = "chair@demo.lif.local"


def open_referral(session, title: str) -> None:
    session.goto("/admin/referral/")
    open_from_list(session.page, title)
    session.page.wait_for_url("**/referral/details/**")


def test_the_chair_sees_no_decision_until_they_choose_one(session_for, server):
    title = f"CIEC e2e {uuid.uuid4().hex[:6]}"

    # The business manager takes the referral (CIGSCR1) in. The form offers no decision.
    manager = session_for("chair-manager")
    manager.login(ADMIN_EMAIL, server.chosen.get(ADMIN_EMAIL, ADMIN_PASSWORD))
    manager.goto("/admin/referral/new/")
    page = manager.page
    for name in ("recommendation", "chair_stance", "decision", "decision_rationale"):
        assert page.locator(f"[name={name}]").count() == 0, f"the referral form offers {name}"
    page.locator("#title").fill(title)
    page.locator("#reasons").fill(
        "A two-year-old seriously injured; concerns about how agencies shared information.")
    page.locator("#child-name").fill("Child known as E2E")
    page.locator("#agency").select_option("csc")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    refused = page.locator(".alert-danger")
    assert refused.count() == 0, refused.all_inner_texts()
    manager.shot("referred")

    # ... and accepts it for the next CIEC meeting.
    open_referral(manager, title)
    manager.page.get_by_role("button", name="Accept for next CIEC").click()
    manager.page.wait_for_load_state()
    expect_text(manager.page, "Accepted for CIEC")

    # A CIEC member records the committee's recommendation on the referral's page.
    member = session_for("chair-ciec")
    member.login(CIEC)
    open_referral(member, title)
    page = member.page
    form = page.locator("form[action$='/recommend/']")
    assert form.get_by_label("Recommendation").input_value() == ""
    form.get_by_label("Recommendation").select_option(label="Critical Case Review")
    form.get_by_label("Rationale").fill("Learning about information sharing, below the SCR "
                                        "threshold.")
    form.get_by_role("button", name="Record recommendation").click()
    page.wait_for_load_state()
    expect_text(page, "Considered by CIEC")
    member.shot("recommended")

    # The Chair opens it: the recommendation, and no decision anywhere.
    chair = session_for("chair")
    chair.login(CHAIR)
    open_referral(chair, title)
    page = chair.page
    expect_text(page, "The Independent Chair has not decided yet.")
    body = page.locator("body").inner_text()
    assert "Decided in time" not in body and "Decided late" not in body
    assert "Critical Case Review" in page.locator("#outcome-heading + p").inner_text()
    decision_row = page.locator("tr", has=page.locator("th", has_text=re.compile(r"^Decision$")))
    assert all(not text.strip() for text in decision_row.locator("td").all_inner_texts())
    form = page.locator("form[action$='/decide/']")
    assert form.get_by_label("The recommendation is").input_value() == ""
    assert form.get_by_label("Decision", exact=True).input_value() == ""
    # No bare button records the decision: only the form does.
    assert page.locator("form[action$='/transition/'] button",
                        has_text="Record Chair's decision").count() == 0
    chair.shot("nothing-decided")

    # The button with nothing chosen: the browser asks for a choice; nothing is sent.
    url = page.url
    form.get_by_role("button", name="Record Chair's decision").click()
    assert page.url == url
    assert form.get_by_label("The recommendation is").evaluate("e => e.validationMessage")
    # Sent anyway (the browser's check switched off): the server refuses and keeps nothing.
    form.evaluate("f => { f.noValidate = true; }")
    form.get_by_role("button", name="Record Chair's decision").click()
    page.wait_for_load_state()
    expect_text(page, "Not recorded")
    page.goto(url)
    expect_text(page, "Considered by CIEC")
    expect_text(page, "The Independent Chair has not decided yet.")
    chair.shot("nothing-recorded")

    # Chosen: affirmed, a critical case review, with the rationale.
    form = page.locator("form[action$='/decide/']")
    form.get_by_label("The recommendation is").select_option(label="Affirmed")
    form.get_by_label("Decision", exact=True).select_option(label="Critical Case Review")
    form.get_by_label("Rationale").fill("Agreed: a critical case review will give the learning.")
    form.get_by_role("button", name="Record Chair's decision").click()
    page.wait_for_load_state()
    expect_text(page, "The Chair's decision is recorded")
    expect_text(page, "Decided by Independent Chair")
    outcome = page.locator("section[aria-labelledby=outcome-heading]").inner_text()
    assert "Independent Chair's decision: Critical Case Review" in outcome
    assert "recorded by chair@demo.lif.local" in outcome
    chair.shot("decided")
