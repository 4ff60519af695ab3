"""The SCR pathway from referral to the Chair's decision, on the statutory clock."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from lif import policy, workflow
from lif.errors import InvalidInput, PermissionDenied
from lif.models import AuditEvent, InformationRequest, Meeting, Notification, Referral, Review
from lif.models.referral import Person
from lif.services import content, referrals

from ..conftest import AuthActions, make_user

NOTIFIED = dt.date(2026, 3, 2)


def submit(referrer, **extra):
    child = Person(name="Jayden Example", date_of_birth=dt.date(2019, 4, 12))
    data = {"title": "CIEC 26/07", "reasons": "Serious injury; concerns about joint working",
            "case_summary": "A three-year-old admitted with injuries.", "agency": "csc",
            "child": child, "criteria": ["reg5_2a_b_ii"], "notified_on": NOTIFIED,
            "named_lead": "Safeguarding lead, CSC", **extra}
    return content.create(Referral, data, referrer)


def at(day: dt.date, hour=10):
    return dt.datetime.combine(day, dt.time(hour))


@pytest.fixture
def people(clean_db):
    return {
        "referrer": make_user("ciec", "csc", "referrer@csc.test"),
        "police": make_user("ciec", "police"),
        "health": make_user("ciec", "alder_hey"),
        "chair": make_user("chair"),
        "admin": make_user("admin"),
    }


def events(referral):
    return [e.action for e in AuditEvent.objects(object_id=str(referral.pk)).order_by("at")]


def test_referral_to_scr_decision(people):
    referral = submit(people["referrer"])
    assert referral.state == "submitted" and referral.referred_by == "referrer@csc.test"
    # Only CIEC members of agencies involved see the child: at intake that is the referrer's.
    assert policy.allows(people["referrer"], "view_personal", referral)
    assert not policy.allows(people["police"], "view_personal", referral)

    referrals.accept(referral, people["admin"], now=at(NOTIFIED + dt.timedelta(days=1)))
    assert referral.state == "accepted"
    meeting = referral.meeting
    assert meeting.committee == "ciec" and meeting.date == dt.date(2026, 3, 15)
    requests = {r.agency: r for r in InformationRequest.objects(referral=referral)}
    assert set(requests) == {"csc", "police", "alder_hey"}
    # Due in 7 days, or by the meeting if sooner.
    assert requests["police"].due_on == dt.date(2026, 3, 10)
    assert policy.allows(people["police"], "view_personal", referral)
    assert Notification.objects(key__startswith=f"referral:{referral.pk}:accepted").count() == 1
    assert {a.part for a in Meeting.objects.get(pk=meeting.pk).agenda} == {"Part A", "Part B"}

    # Each agency answers for itself only.
    with pytest.raises(PermissionDenied):
        referrals.answer_request(requests["police"], "Known to police since 2024.", "",
                                 people["health"])
    referrals.answer_request(requests["police"], "Known to police since 2024.", "PC A. Smith",
                             people["police"])
    assert referrals.outstanding_requests(referral) and all(
        r.agency != "police" for r in referrals.outstanding_requests(referral))

    with pytest.raises(InvalidInput):
        referrals.recommend(referral, "inquiry", "x", people["police"])
    referrals.recommend(referral, "scr", "Criteria 5(2)(a) and (b)(ii) met.", people["police"])
    assert referral.state == "considered"
    clock = referrals.decision_clock(referral, dt.date(2026, 3, 20))
    assert clock["due"] == dt.date(2026, 4, 2) and clock["rag"] == "amber"

    with pytest.raises(PermissionDenied):
        referrals.decide(referral, "affirmed", "scr", "Agreed.", people["police"])
    with pytest.raises(InvalidInput):
        referrals.decide(referral, "affirmed", "scr", "", people["chair"])
    referrals.decide(referral, "affirmed", "scr", "Criteria met; multi-agency concerns.",
                     people["chair"], reviewers=["Independent reviewer (to be named)"],
                     now=at(dt.date(2026, 3, 25)))
    assert referral.state == "decided"
    assert referrals.decision_clock(referral)["rag"] == "done"
    kinds = {n.kind: n for n in referral.notices}
    assert set(kinds) == {"ofsted", "national_panel", "referrer"}
    assert "Independent reviewer (to be named)" in kinds["national_panel"].text
    review = Review.objects.get(referral=referral)
    assert review.state == "initiated" and review.review_type == "scr" and review.restricted
    assert "Jayden" not in review.title + review.summary
    assert Notification.objects(key__startswith=f"referral:{referral.pk}:decided").count() == 1
    assert events(referral).count("transition") == 3
    assert "create" in events(referral) and "update" in events(referral)


def test_requests_issued_within_7_days_of_the_meeting_are_due_by_the_meeting(people):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"], now=at(dt.date(2026, 3, 10)))
    assert referral.meeting.date == dt.date(2026, 3, 15)
    dues = {r.due_on for r in InformationRequest.objects(referral=referral)}
    assert dues == {dt.date(2026, 3, 15)}  # not the 17th: by the meeting if sooner


def test_referral_declined_at_intake(people):
    referral = submit(people["referrer"])
    with pytest.raises(InvalidInput):
        referrals.decline(referral, people["admin"], "")
    referrals.decline(referral, people["admin"], "Does not meet the threshold; single-agency "
                      "review advised.")
    assert referral.state == "declined"
    assert referral.decline_reason.startswith("Does not meet the threshold")
    message = Notification.objects.get(recipient="referrer@csc.test")
    assert "not referred" in message.subject and "threshold" in message.body
    assert InformationRequest.objects(referral=referral).count() == 0


def test_decision_passing_the_one_month_limit(people):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"], now=at(NOTIFIED))
    referrals.recommend(referral, "no_review", "Criteria not met.", people["police"])
    assert referrals.decision_clock(referral, dt.date(2026, 3, 10))["rag"] == "green"
    assert referrals.decision_clock(referral, dt.date(2026, 3, 20))["rag"] == "amber"
    assert referrals.decision_clock(referral, dt.date(2026, 4, 3))["rag"] == "red"
    referrals.decide(referral, "affirmed", "no_review", "Death from natural causes.",
                     people["chair"], now=at(dt.date(2026, 4, 8)))
    assert referrals.decision_clock(referral)["rag"] == "late"
    panel = next(n for n in referral.notices if n.kind == "national_panel")
    assert panel.due_on == dt.date(2026, 4, 22)  # 14 days after the decision
    assert "criteria are not met" in panel.text
    assert Review.objects(referral=referral).count() == 0
    rows = referrals.register(people["admin"])
    assert rows[0]["decision_rag"] == "late" and rows[0]["panel_notice_due"] == panel.due_on


def test_bad_input_is_refused_and_nothing_stored(people):
    with pytest.raises(InvalidInput):
        submit(people["referrer"], child=Person(name="X", date_of_birth=dt.date(2020, 1, 1),
                                                date_of_death=dt.date(2019, 1, 1)))
    assert Referral.objects.count() == 0
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"])
    referrals.recommend(referral, "scr", "Met.", people["police"])
    version = referral.version
    with pytest.raises(InvalidInput):
        referrals.decide(referral, "affirmed", "public_inquiry", "Because.", people["chair"])
    assert Referral.objects.get(pk=referral.pk).version == version


def test_uninvolved_ciec_member_never_sees_the_child(app, people):
    referral = submit(people["referrer"], case_summary="Jayden Example, born 12/04/2019.")
    outsider = people["police"]  # not involved until the case is accepted
    client = app.test_client()
    AuthActions(client).login(outsider.email)
    # Before acceptance the case is the referring agency's, the CIEC chair's and the business
    # manager's: another agency's CIEC member does not see it at all.
    assert client.get(f"/admin/referral/details/?id={referral.pk}").status_code == 403
    assert client.get(f"/admin/referral/diff/?id={referral.pk}&a=1&b=1").status_code == 403
    export = client.get("/admin/referral/export/csv/").get_data(as_text=True)
    assert "CIEC 26/07" not in export and "Jayden" not in export
    register = client.get("/admin/referral_register/export/csv").get_data(as_text=True)
    assert "CIEC 26/07" not in register and "Jayden" not in register
    insider = app.test_client()
    AuthActions(insider).login(people["referrer"].email)
    assert "Jayden Example" in insider.get(
        f"/admin/referral/details/?id={referral.pk}").get_data(as_text=True)


def test_register_page_and_exports(app, people):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"])
    client = app.test_client()
    AuthActions(client).login(people["admin"].email)
    page = client.get("/admin/referral_register/").get_data(as_text=True)
    assert "CIEC 26/07" in page and "Information requests / awaiting CIEC" in page
    assert "0 of 3" in page
    text = client.get("/admin/referral_register/export/csv?state=accepted").get_data(
        as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Case reference" and rows[1][0] == "CIEC 26/07"
    empty = client.get("/admin/referral_register/export/csv?state=declined").get_data(
        as_text=True)
    assert len(list(csv.reader(io.StringIO(empty)))) == 1
    assert client.get("/admin/referral_register/export/xlsx").status_code == 200
    lead = app.test_client()
    AuthActions(lead).login(make_user("lead", "police").email)
    # Any member of staff may refer, and the register lists only their own referrals.
    page = lead.get("/admin/referral_register/")
    assert page.status_code == 200 and referral.title not in page.get_data(as_text=True)


def test_recommend_and_decide_over_http(app, people):
    referral = submit(people["referrer"])
    referrals.accept(referral, people["admin"])
    client = app.test_client()
    AuthActions(client).login(people["police"].email)
    token = AuthActions(client).csrf("/admin/")
    client.post("/admin/referral/recommend/", data={
        "csrf_token": token, "id": str(referral.pk), "recommendation": "ma_concise_review",
        "rationale": "Learning without the SCR threshold."})
    assert Referral.objects.get(pk=referral.pk).state == "considered"
    response = client.post("/admin/referral/decide/", data={
        "csrf_token": token, "id": str(referral.pk), "stance": "affirmed",
        "decision": "ma_concise_review", "rationale": "Agreed."})
    assert response.status_code == 403
    chair = app.test_client()
    AuthActions(chair).login(people["chair"].email)
    token = AuthActions(chair).csrf("/admin/")
    chair.post("/admin/referral/decide/", data={
        "csrf_token": token, "id": str(referral.pk), "stance": "challenged",
        "decision": "critical_case_review", "rationale": "More learning in a CCR."})
    referral.reload()
    assert referral.state == "decided" and referral.chair_stance == "challenged"
    assert Review.objects.get(referral=referral).review_type == "critical_case_review"
    assert workflow.state_title(referral) == "Decided by Independent Chair"
