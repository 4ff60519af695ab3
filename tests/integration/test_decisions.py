"""Decisions are recorded only when someone chooses them, by the role the source gives them to.

Issue 17, point 1: the referral form stored "SCR" as the Chair's decision for every referral
(its selects had no blank choice), a CIEC member could fill in the Chair's decision, the
Chair's "Record Chair's decision" button with nothing chosen recorded that stored SCR, and the
statutory clock said "Decided in time" before anyone decided. The same holds for the CIEC
recommendation (CIEC members), PDC verdicts (PDC members) and the Section 11 panel outcome
(QAEC). The business manager may record one in their place, giving the reason; it is shown
as an override wherever the decision is.
"""

from __future__ import annotations

import datetime as dt
import io

import docx
import lxml.html
import pytest

from documents.writers import render
from lif import workflow
from lif.errors import InvalidInput, PermissionDenied
from lif.models import AuditEvent, Notification, PDCReview, Referral, Review, Section11Outcome
from lif.models.referral import Person
from lif.services import audits, content, pdc, referrals

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user

NOTIFIED = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def people(clean_db):
    return {
        "referrer": make_user("ciec", "csc", "referrer@csc.test"),
        "ciec": make_user("ciec", "police"),
        "ciec_chair": make_user("ciec_chair"),
        "chair": make_user("chair"),
        "admin": make_user("admin"),
        "lead": make_user("lead", "police"),
        "training": make_user("training"),
        "pdc": make_user("pdc"),
        "qaec": make_user("qaec"),
    }


def submit(referrer, **extra) -> Referral:
    data = {"title": "CIEC 26/07", "reasons": "Serious injury; concerns about joint working",
            "case_summary": "A three-year-old admitted with injuries.", "agency": "csc",
            "child": Person(name="Jayden Example", date_of_birth=dt.date(2019, 4, 12)),
            "criteria": ["reg5_2a_b_ii"], "notified_on": NOTIFIED, **extra}
    return content.create(Referral, data, referrer)


def considered(people) -> Referral:
    """A referral with the CIEC's recommendation, waiting for the Chair."""
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"], now=at(NOTIFIED))
    referrals.recommend(referral, "critical_case_review", "Learning about joint working.",
                        people["ciec"], now=at(NOTIFIED + dt.timedelta(days=10)))
    return referral


def as_the_old_form_left_it(referral: Referral) -> Referral:
    """What the referral form stored before the fix: SCR, affirmed, a rationale and a date,
    although nobody decided (set directly: no door stores it any more)."""
    Referral.objects(pk=referral.pk).update_one(
        set__decision="scr", set__chair_stance="affirmed",
        set__decision_rationale="Typed to get past the form.", set__decided_on=NOTIFIED)
    referral.reload()
    return referral


def browser_for(app, user):
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(user.email, PASSWORD)
    return client, auth.csrf("/admin/")


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def initial_value(select) -> str:
    """The value a browser submits for a single select nobody touched."""
    options = select.xpath(".//option")
    chosen = [o for o in options if o.get("selected") is not None] or options[:1]
    return chosen[0].get("value", chosen[0].text_content()) if chosen else ""


def untouched_selects(html: str, form_xpath: str = "//form") -> dict[str, str]:
    """``{name: value}`` of every single-choice select a browser would submit untouched."""
    tree = lxml.html.fromstring(html)
    return {s.get("name"): initial_value(s) for form in tree.xpath(form_xpath)
            for s in form.xpath(".//select[not(@multiple)]")}


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def document(kind: str, item, actor) -> str:
    return docx_text(render(kind, item, actor)[1])


# --- the referral form ----------------------------------------------------------------------


def test_the_referral_form_offers_no_decision_and_no_select_starts_at_a_value(app, people):
    client, _ = browser_for(app, people["admin"])
    page = page_of(client, "/admin/referral/new/")
    for name in ("recommendation", "chair_stance", "decision", "decision_rationale",
                 "decided_on", "recommendation_rationale", "reviewers"):
        assert f'name="{name}"' not in page, f"the form offers {name}"
    chosen = {name: value for name, value in untouched_selects(page).items() if value}
    assert chosen == {}, f"selects that start at a value nobody chose: {chosen}"


def test_a_referral_saved_from_the_form_records_no_decision(app, people):
    client, token = browser_for(app, people["admin"])
    # What the old form sent untouched: its selects' first options and a rationale it asked for.
    client.post("/admin/referral/new/", data={
        "csrf_token": token, "title": "CIEC 26/08", "reasons": "Serious injury",
        "agency": "csc", "child-name": "Jayden Example", "recommendation": "scr",
        "chair_stance": "affirmed", "decision": "scr",
        "decision_rationale": "Asked for by the form."})
    referral = Referral.objects.get(title="CIEC 26/08")
    assert (referral.recommendation, referral.chair_stance, referral.decision,
            referral.decided_on) == (None, None, None, None)
    assert referral.decision_rationale == "" and referral.state == "submitted"


def test_decisions_are_never_set_by_creating_or_editing_whoever_asks(people):
    with pytest.raises(PermissionDenied, match="Record Chair's decision"):
        submit(people["ciec"], agency="police", decision="scr",
               decision_rationale="A CIEC member deciding for the Chair.")
    with pytest.raises(PermissionDenied, match="Record recommendation"):
        submit(people["admin"], recommendation="scr", recommendation_rationale="Typed in.")
    referral = considered(people)
    version = referral.version
    for who in ("admin", "ciec"):
        with pytest.raises(PermissionDenied, match="Record Chair's decision"):
            content.update(referral, {"decision": "scr", "decision_rationale": "Edited in.",
                                      "chair_stance": "affirmed"}, people[who],
                           base_version=referral.version)
    assert Referral.objects.get(pk=referral.pk).version == version
    assert Referral.objects.get(pk=referral.pk).decision is None


# --- the Chair's decision -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ciec", "ciec_chair", "admin", "lead", "training"])
def test_only_the_chair_records_the_chairs_decision(people, who):
    referral = considered(people)
    version = referral.version
    # The business manager may only override, giving the reason (the test below).
    refused = (PermissionDenied, InvalidInput) if who == "admin" else PermissionDenied
    with pytest.raises(refused):
        referrals.decide(referral, "affirmed", "critical_case_review", "Agreed.", people[who])
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.state, stored.decision, stored.version) == ("considered", None, version)


def test_the_decision_button_with_nothing_chosen_records_nothing(app, people):
    referral = as_the_old_form_left_it(considered(people))
    version = referral.version
    client, token = browser_for(app, people["chair"])
    # The Workflow box's "Record Chair's decision", and the decision form left untouched.
    client.post("/admin/referral/transition/", data={
        "csrf_token": token, "id": str(referral.pk), "transition": "decide",
        "base_version": str(version)})
    page = client.post("/admin/referral/decide/", data={
        "csrf_token": token, "id": str(referral.pk), "stance": "", "decision": "",
        "rationale": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Not recorded" in page
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.state, stored.version, stored.notices) == ("considered", version, [])
    assert Review.objects(referral=referral).count() == 0
    assert not Notification.objects(key__contains=":decided:").count()


def test_the_chair_sees_no_decision_until_they_choose_one(app, people):
    referral = as_the_old_form_left_it(considered(people))
    client, _ = browser_for(app, people["chair"])
    page = page_of(client, f"/admin/referral/details/?id={referral.pk}")
    assert "Decided in time" not in page and "Decided late" not in page
    # The decision form starts blank, and no generic button records a decision.
    assert untouched_selects(page, "//form[contains(@action, '/decide/')]") == {
        "stance": "", "decision": ""}
    assert 'value="decide"' not in page
    tree = lxml.html.fromstring(page)
    shown = [" ".join(td.text_content().split())
             for td in tree.xpath("//tr[th[normalize-space()='Decision']]/td")]
    assert not any(shown), f"the page shows the decision {shown!r}"


def test_an_administrator_override_needs_a_reason_and_shows_as_one(app, people):
    referral = considered(people)
    with pytest.raises(InvalidInput, match="reason"):
        referrals.decide(referral, "affirmed", "critical_case_review", "Agreed by phone.",
                         people["admin"], override_reason=" ")
    assert Referral.objects.get(pk=referral.pk).state == "considered"
    client, token = browser_for(app, people["admin"])
    page = page_of(client, f"/admin/referral/details/?id={referral.pk}")
    assert 'name="override_reason"' in page and "in place of" in page
    client.post("/admin/referral/decide/", data={
        "csrf_token": token, "id": str(referral.pk), "stance": "affirmed",
        "decision": "critical_case_review", "rationale": "Agreed by phone on 20 March.",
        "override_reason": "The Chair is abroad and decided by phone."})
    referral.reload()
    assert referral.state == "decided" and referral.decision == "critical_case_review"
    entry = referral.workflow_history[-1]
    assert entry.in_place_of == ["chair"] and entry.actor == people["admin"].email
    assert "The Chair is abroad" in entry.comment
    page = page_of(client, f"/admin/referral/details/?id={referral.pk}")
    assert "Override" in page and "The Chair is abroad and decided by phone." in page
    row = referrals.register(people["admin"])[0]
    assert "override" in row["decision"].lower()
    summary = document("cigsum1", referral, people["admin"])
    assert "in place of the LSCB Independent Chair" in summary
    assert "The Chair is abroad and decided by phone." in summary
    event = AuditEvent.objects(object_id=str(referral.pk), action="transition").order_by(
        "-at").first()
    assert "in place of" in event.detail.lower()


def test_no_clock_register_row_or_document_shows_a_decision_before_one_exists(app, people):
    referral = as_the_old_form_left_it(considered(people))
    assert referrals.decision_clock(referral, dt.date(2026, 3, 20))["rag"] == "amber"
    row = referrals.register(people["admin"], today=dt.date(2026, 3, 20))[0]
    assert row["decision"] == "" and row["decision_rag"] == "amber"
    summary = document("cigsum1", referral, people["admin"])
    assert "Decision: Serious Case Review" not in summary and "Affirmed" not in summary
    assert "Typed to get past the form." not in summary
    assert "Not yet decided" in summary
    client, _ = browser_for(app, people["admin"])
    cells = [" ".join(td.text_content().split()) for td in
             lxml.html.fromstring(page_of(client, "/admin/referral/")).xpath("//td")]
    assert "CIEC 26/07" in cells and "Serious Case Review" not in cells


# --- the CIEC recommendation ----------------------------------------------------------------


@pytest.mark.parametrize("who", ["chair", "admin", "lead"])
def test_only_ciec_members_record_the_recommendation(people, who):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"], now=at(NOTIFIED))
    refused = (PermissionDenied, InvalidInput) if who == "admin" else PermissionDenied
    with pytest.raises(refused):
        referrals.recommend(referral, "scr", "Criteria met.", people[who])
    assert Referral.objects.get(pk=referral.pk).state == "accepted"


def test_a_recommendation_is_shown_only_once_recorded(app, people):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"], now=at(NOTIFIED))
    Referral.objects(pk=referral.pk).update_one(
        set__recommendation="scr", set__recommendation_rationale="Left by the old form.")
    referral.reload()
    assert referrals.register(people["admin"])[0]["recommendation"] == ""
    summary = document("cigsum1", referral, people["admin"])
    assert "Left by the old form." not in summary
    client, _ = browser_for(app, people["ciec_chair"])
    page = page_of(client, f"/admin/referral/details/?id={referral.pk}")
    assert untouched_selects(page, "//form[contains(@action, '/recommend/')]") == {
        "recommendation": ""}
    with pytest.raises(InvalidInput, match="reason"):
        referrals.recommend(referral, "scr", "Criteria met.", people["admin"])
    referrals.recommend(referral, "scr", "Criteria met.", people["admin"],
                        override_reason="Recorded from the signed minutes of the meeting.")
    assert referral.workflow_history[-1].in_place_of == ["ciec", "ciec_chair"]
    assert "override" in referrals.register(people["admin"])[0]["recommendation"].lower()


# --- PDC verdicts ---------------------------------------------------------------------------


@pytest.fixture
def pdc_review(people):
    plan = f.in_state(f.make_plan(), "ratified")
    action = f.add_evidence(f.make_action(plan=plan, title="Evidenced one"))
    return f.make_pdc_review(plan=plan), action


def test_pdc_verdicts_start_blank_and_only_pdc_members_record_them(app, people, pdc_review):
    review, action = pdc_review
    client, token = browser_for(app, people["pdc"])
    page = page_of(client, f"/admin/pdc_review/details/?id={review.pk}")
    assert untouched_selects(page, "//form[contains(@action, '/verdict/')]") == {
        "verdict": ""}
    client.post("/admin/pdc_review/verdict/", data={
        "csrf_token": token, "id": str(review.pk), "action": str(action.pk), "verdict": "",
        "comment": ""})
    assert PDCReview.objects.get(pk=review.pk).verdicts == []
    for who in ("training", "admin"):
        with pytest.raises((PermissionDenied, InvalidInput)):
            pdc.record_verdict(review, action, "evidenced", "", people[who])
    assert PDCReview.objects.get(pk=review.pk).verdicts == []
    pdc.record_verdict(review, action, "evidenced", "", people["admin"],
                       override_reason="Recorded from the minutes; the members were absent.")
    verdict = PDCReview.objects.get(pk=review.pk).verdicts[0]
    assert verdict.recorded_by == people["admin"].email
    assert verdict.override_reason.startswith("Recorded from the minutes")
    review.reload()
    pack = document("pdc-pack", review, people["admin"])
    assert "in place of the Professional Development Committee" in pack
    page = page_of(client, f"/admin/pdc_review/details/?id={review.pk}")
    assert "Override" in page


# --- the Section 11 panel outcome -----------------------------------------------------------


def test_section11_outcome_starts_blank_and_only_qaec_records_it(app, people):
    audit = audits.plan_audit({
        "title": "Section 11 audit", "audit_type": "section_11", "committee": "qaec",
        "participants": [{"agency": "police", "lead_auditor": "a@example.org"}],
        "start_date": dt.date(2026, 3, 1), "due_date": dt.date(2026, 11, 30)},
        people["qaec"])
    tool = audits.create_section11_tool(audit, people["qaec"])
    audits.publish_tool(tool, people["qaec"])
    workflow.fire(audit, "start_sampling", people["qaec"])
    workflow.fire(audit, "start_fieldwork", people["qaec"])
    audits.assign_tool(audit, tool, people["qaec"])
    client, token = browser_for(app, people["qaec"])
    page = page_of(client, f"/admin/audit_work/{audit.pk}/section11/")
    assert untouched_selects(page, "//form[contains(@action, '/section11/outcome')]").get(
        "outcome-outcome") == ""
    client.post(f"/admin/audit_work/{audit.pk}/section11/outcome", data={
        "outcome-csrf_token": token, "outcome-agency": "police"})
    assert Section11Outcome.objects.count() == 0
    for who in ("training", "admin"):
        with pytest.raises((PermissionDenied, InvalidInput)):
            audits.record_section11_outcome(audit, "police", {"outcome": "assured"},
                                            people[who])
    assert Section11Outcome.objects.count() == 0
    audits.record_section11_outcome(audit, "police", {
        "outcome": "assured", "override_reason": "The panel's chair sent it by email."},
        people["admin"])
    outcome = Section11Outcome.objects.get()
    assert outcome.override_reason == "The panel's chair sent it by email."
    page = page_of(client, f"/admin/audit_work/{audit.pk}/section11/")
    assert "Override" in page and "The panel&#39;s chair sent it by email." in page
