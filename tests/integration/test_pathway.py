"""Every document states what the record says, at every step (issue 17, point 2).

Two scripted walks through the real doors (the forms people use, the services behind them):
a referral from intake to the notices marked sent, and a PDC review from scheduled to closed.
After each step every Word document that step concerns is generated and its text checked
against the record: who returned each request for information and when (and how late), what
is still outstanding, the recommendation and the decision with their rationale and who
recorded them, each notice and when it was sent; the day a PDC review was held and each
action's verdict as recorded. No document prints LIF's internal ids.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import docx
import pytest

from documents.writers import render
from documents.writers.pdc_pack import render as render_pack
from lif import workflow
from lif.models import Action, InformationRequest, Meeting, PDCReview, Referral, Review
from lif.models.referral import Person
from lif.services import content, referrals, sweeps

from ..conftest import PASSWORD, AuthActions, make_user
from .deadline_helpers import at, ratified_plan, travel

D = dt.date
NOTIFIED = D(2026, 3, 2)
OBJECT_ID = re.compile(r"\b[0-9a-f]{24}\b")


def docx_text(data: bytes) -> str:
    """The text of a .docx as a reader sees it: paragraphs, then table rows "a | b | c"."""
    document = docx.Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        lines += [" | ".join(cell.text for cell in row.cells) for row in table.rows]
    return "\n".join(lines)


def text_of(kind: str, item, actor) -> str:
    text = docx_text(render(kind, item, actor)[1])
    found = OBJECT_ID.search(text)
    context = text[max(0, found.start() - 80):found.end()] if found else ""
    assert found is None, f"{kind} prints an internal id: …{context}"
    return text


def rows(text: str) -> set[str]:
    return set(text.splitlines())


class Browser:
    """One signed-in person posting the forms on the item pages, as the browser does.

    Made inside the ``travel`` of the step it is used in: a session and a CSRF token are
    only good for the time they were made in.
    """

    def __init__(self, app, user):
        self.client = app.test_client()
        auth = AuthActions(self.client)
        auth.login(user.email, PASSWORD)
        self.token = auth.csrf("/admin/")

    def post(self, path: str, **data) -> str:
        response = self.client.post(path, data={"csrf_token": self.token, **data},
                                    follow_redirects=True)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


@pytest.fixture
def people(clean_db):
    return {
        "referrer": make_user("lead", "csc", "referrer@csc.test"),
        "police": make_user("ciec", "police", "ciec@police.test"),
        "health": make_user("ciec", "alder_hey", "ciec@alderhey.test"),
        "ciec_chair": make_user("ciec_chair", email="chair.ciec@test.lif"),
        "chair": make_user("chair", email="independent.chair@test.lif"),
        "admin": make_user("admin"),
    }


def test_a_referral_from_intake_to_the_notices_sent(app, people):
    admin = people["admin"]
    # 1. Intake: a workforce lead refers a case (CIGSCR1).
    with travel(at(NOTIFIED)):
        referral = content.create(Referral, {
            "title": "CIEC 26/07", "reasons": "Serious injury; concerns about joint working",
            "case_summary": "A three-year-old admitted with injuries.", "agency": "csc",
            "child": Person(name="Jayden Example", date_of_birth=D(2019, 4, 12)),
            "criteria": ["reg5_2a_b_ii"], "notified_on": NOTIFIED}, people["referrer"])
    form = text_of("cigscr1", referral, admin)
    assert "Status | Submitted (CIGSCR1)" in rows(form)
    assert "Received by LSCB | 2 March 2026" in rows(form)

    # 2. Accepted for the next CIEC meeting: a request to each agency, due in 7 days.
    referrals.accept(referral, people["ciec_chair"], now=at(D(2026, 3, 3)))
    requests = {r.agency: r for r in InformationRequest.objects(referral=referral)}
    assert set(requests) == {"csc", "police", "alder_hey"}
    assert {r.due_on for r in requests.values()} == {D(2026, 3, 10)}
    meeting = Meeting.objects.get(pk=referral.meeting.pk)
    for request in requests.values():
        ciginf1 = text_of("ciginf1", request, admin)
        assert "Date returned | Not yet returned (due 10 March 2026)" in rows(ciginf1)
        assert "CIEC member | Not yet returned" in rows(ciginf1)
    agenda = text_of("cigm1", meeting, admin)
    assert agenda.count("Not yet returned (due 10 March 2026)") == 3
    assert "Recommendation: To be agreed." in agenda
    summary = text_of("cigsum1", referral, admin)
    assert "Recommendation: Not yet recorded" in summary
    assert "Decision: Not yet decided" in summary

    # 3. Police answer on the request's page before the date; Alder Hey two days late.
    with travel(at(D(2026, 3, 9))):
        police = Browser(app, people["police"])
        police.post("/admin/information_request/answer/", id=str(requests["police"].pk),
                    response="Known to police since 2024: two domestic incidents.",
                    key_practitioners="PC A. Smith")
    referrals.answer_request(requests["alder_hey"], "Seen in ED twice in 2025.",
                             "Dr B. Jones", people["health"], now=at(D(2026, 3, 12)))
    for request in requests.values():
        request.reload()
    assert (requests["police"].responded_by, requests["police"].responded_on) == (
        "ciec@police.test", D(2026, 3, 9))
    police_form = text_of("ciginf1", requests["police"], admin)
    assert "CIEC member | ciec@police.test" in rows(police_form)
    assert "Date returned | 9 March 2026 by ciec@police.test" in rows(police_form)
    assert "Known to police since 2024: two domestic incidents." in police_form
    health_form = text_of("ciginf1", requests["alder_hey"], admin)
    assert ("Date returned | 12 March 2026 by ciec@alderhey.test (2 days late)"
            in rows(health_form))
    expected_returns = {
        "9 March 2026 by ciec@police.test",
        "12 March 2026 by ciec@alderhey.test (2 days late)",
        "Not yet returned (due 10 March 2026)",
    }
    agenda = text_of("cigm1", meeting, admin)
    summary = text_of("cigsum1", referral, admin)
    for returned in expected_returns:
        assert returned in agenda and returned in summary
    assert "Awaited" not in agenda + summary
    row = referrals.register(admin)[0]
    assert (row["requests_total"] - row["requests_out"], row["requests_total"]) == (2, 3)

    # 4. The CIEC recommends (CIGSUM1), on what it has; the CSC return is still outstanding.
    with travel(at(D(2026, 3, 15))):
        Browser(app, people["police"]).post(
            "/admin/referral/recommend/", id=str(referral.pk), recommendation="scr",
            rationale="Criteria 5(2)(a) and (b)(ii) met.")
    referral.reload()
    assert referral.state == "considered"
    summary = text_of("cigsum1", referral, admin)
    assert "Recommendation: Serious Case Review" in summary
    assert "Criteria 5(2)(a) and (b)(ii) met." in summary
    assert "Recorded: by ciec@police.test" in summary
    assert "Decision: Not yet decided" in summary
    agenda = text_of("cigm1", meeting, admin)
    assert "Recommendation: Serious Case Review" in agenda
    assert "Rationale: Criteria 5(2)(a) and (b)(ii) met." in agenda
    assert referrals.register(admin)[0]["decision"] == ""

    # 5. The Independent Chair challenges it and decides on a critical case review.
    with travel(at(D(2026, 3, 20))):
        Browser(app, people["chair"]).post(
            "/admin/referral/decide/", id=str(referral.pk), stance="challenged",
            decision="critical_case_review",
            rationale="Learning is about practice below the SCR threshold.")
    referral.reload()
    assert referral.state == "decided" and referral.decided_on == D(2026, 3, 20)
    summary = text_of("cigsum1", referral, admin)
    assert "The Chair: Challenged the CIEC recommendation" in summary
    assert "Decision: Critical Case Review" in summary
    assert "Decided on: 20 March 2026" in summary
    assert "Recorded: by independent.chair@test.lif on 20 March 2026" in summary
    assert "Learning is about practice below the SCR threshold." in summary
    assert "Override" not in summary
    assert "Ofsted | 20 March 2026 | Not yet sent" in rows(summary)
    assert "National Panel | 3 April 2026 | Not yet sent" in rows(summary)
    assert "(by 3 April 2026)" in summary
    assert Review.objects.get(referral=referral).review_type == "critical_case_review"
    row = referrals.register(admin, today=D(2026, 3, 21))[0]
    assert (row["decision"], row["decision_rag"]) == ("Critical Case Review", "done")
    assert sweeps.send_national_panel_notices(at(D(2026, 3, 21)))["notices"] == 1

    # 6. The business manager marks the notices sent; the summary and register say when.
    with travel(at(D(2026, 3, 23))):
        Browser(app, admin).post("/admin/referral/notice-sent/", id=str(referral.pk),
                                 kind="ofsted")
    with travel(at(D(2026, 3, 27))):
        Browser(app, admin).post("/admin/referral/notice-sent/", id=str(referral.pk),
                                 kind="national_panel")
    referral.reload()
    summary = text_of("cigsum1", referral, admin)
    assert "Ofsted | 20 March 2026 | 23 March 2026" in rows(summary)
    assert "National Panel | 3 April 2026 | 27 March 2026" in rows(summary)
    row = referrals.register(admin)[0]
    assert row["panel_notice_sent"] == D(2026, 3, 27)
    # Nobody is told again to notify the Panel: it is done.
    assert sweeps.send_national_panel_notices(at(D(2026, 4, 10))) == {}


def test_a_pdc_review_from_scheduled_to_closed(app, clean_db):
    member = make_user("pdc", email="member@pdc.test")
    plan = ratified_plan(D(2026, 1, 15), actions=[
        {"title": "Train ED staff on bruising"}, {"title": "Audit strategy meetings"},
        {"title": "Refresh the threshold guide"}])
    packs = []
    # 1. Scheduled by the sweep six months on, with its pack.
    sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)),
                                  on_review_created=lambda r: packs.append(render_pack(r)))
    review = PDCReview.objects.get()
    pack = docx_text(packs[0])
    assert "Held | Not yet held" in rows(pack)
    assert verdicts_in(pack) == dict.fromkeys(titles(plan), "Not yet recorded")
    assert "Agreed" not in pack

    # 2. Verdicts on the review's page: one evidenced, one challenged, one not yet due.
    actions = {a.title: a for a in Action.objects(plan=plan)}
    chosen = {"Train ED staff on bruising": ("evidenced", ""),
              "Audit strategy meetings": ("challenged", "No evidence the audit changed practice."),
              "Refresh the threshold guide": ("not_yet_due", "")}
    with travel(at(D(2026, 7, 16))):
        browser = Browser(app, member)
        for title, (verdict, comment) in chosen.items():
            browser.post("/admin/pdc_review/verdict/", id=str(review.pk),
                         action=str(actions[title].pk), verdict=verdict, comment=comment)
    review.reload()
    pack = text_of("pdc-pack", review, member)
    assert verdicts_in(pack) == {"Train ED staff on bruising": "Impact evidenced",
                                 "Audit strategy meetings": "Challenged",
                                 "Refresh the threshold guide": "Not yet due"}
    assert "Comment: No evidence the audit changed practice." in pack
    assert "Recorded: by member@pdc.test on 16 July 2026" in pack
    assert "Held | Not yet held" in rows(pack)
    assert "Agreed" not in pack

    # 3. Recorded as held, on the day the person gives.
    with travel(at(D(2026, 7, 17))):
        browser = Browser(app, member)
        page = browser.post("/admin/pdc_review/hold/", id=str(review.pk), held_on="")
        assert "Give the date the review was held." in page
        browser.post("/admin/pdc_review/hold/", id=str(review.pk), held_on="2026-07-16")
    review.reload()
    assert (review.state, review.held_on) == ("held", D(2026, 7, 16))
    pack = text_of("pdc-pack", review, member)
    assert "Held | 16 July 2026" in rows(pack)

    # 4. Closed: the closed review's pack still says when it was held and what was decided.
    with travel(at(D(2026, 7, 20))):
        workflow.fire(review, "close", member)
    review.reload()
    pack = text_of("pdc-pack", review, member)
    assert "Held | 16 July 2026" in rows(pack)
    assert verdicts_in(pack)["Audit strategy meetings"] == "Challenged"
    assert "Agreed" not in pack
    plan.reload()
    assert plan.next_pdc_review == D(2027, 1, 15)


def titles(plan) -> list[str]:
    return sorted(a.title for a in Action.objects(plan=plan))


def verdicts_in(pack: str) -> dict[str, str]:
    """``{action title: verdict}`` as the pack states it under each action's heading."""
    found: dict[str, str] = {}
    current = None
    for line in pack.splitlines():
        heading = re.match(r"Action \d+: (.+)$", line)
        if heading:
            current = heading.group(1)
        elif current and line.startswith("Verdict: "):
            found[current] = line.removeprefix("Verdict: ")
            current = None
    return found


def test_no_response_is_recorded_without_who_sent_it_and_when(app, people):
    """Before: the business manager typed the response into the edit form and pressed the
    Workflow box's "Send response"; responded by/on stayed empty and CIGINF1 said "Not yet
    returned" for an answered request."""
    referral = content.create(Referral, {"title": "CIEC 26/09", "reasons": "Injury",
                                         "agency": "csc"}, people["referrer"])
    referrals.accept(referral, people["ciec_chair"])
    request = InformationRequest.objects.get(referral=referral, agency="police")
    browser = Browser(app, people["admin"])
    browser.client.post(f"/admin/information_request/edit/?id={request.pk}", data={
        "csrf_token": browser.token, "title": request.title, "base_version": request.version,
        "response": "Typed into the edit form.", "key_practitioners": "PC A. Smith"})
    browser.post("/admin/information_request/transition/", id=str(request.pk),
                 transition="answer", base_version=str(InformationRequest.objects.get(
                     pk=request.pk).version))
    request.reload()
    assert (request.state, request.response, request.responded_on) == ("issued", "", None)
    assert "Date returned | Not yet returned (due" in text_of("ciginf1", request,
                                                               people["admin"])


def test_no_review_is_recorded_as_held_without_the_day(app, clean_db):
    """Before: "Record as held" left "held on" empty and the pack said "Not yet held"."""
    member = make_user("pdc", email="member@pdc.test")
    plan = ratified_plan(D(2026, 1, 15))
    sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)))
    review = PDCReview.objects.get()
    with travel(at(D(2026, 7, 16))):
        browser = Browser(app, member)
        browser.post("/admin/pdc_review/verdict/", id=str(review.pk),
                     action=str(Action.objects.get(plan=plan).pk), verdict="not_yet_due")
        review.reload()
        browser.post("/admin/pdc_review/transition/", id=str(review.pk), transition="hold",
                     base_version=str(review.version))
    review.reload()
    assert (review.state, review.held_on) == ("scheduled", None)
