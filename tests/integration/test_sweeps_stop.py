"""Sweeps stop reminding once the thing is done, for every kind of reminder (issue 17).

Each test lets a sweep remind while something is outstanding, does it through the service a
person would use, then adds someone who would be told (a new member of the role) and sweeps
again at a later step of the clock: nothing goes to anyone. Without the new person a sweep
could stay silent only because everyone already had that message.
"""

from __future__ import annotations

import datetime as dt

import pytest

from lif import workflow
from lif.models import Action, Audit, Notification, PDCReview
from lif.services import audits, pdc, referrals, sweeps
from tests.conftest import make_user
from tests.factories import in_state, make_referral, make_review

from .deadline_helpers import at, ratified_plan, travel

D = dt.date


@pytest.fixture
def staff(clean_db):
    return {role: make_user(role, agency) for role, agency in (
        ("pdc", None), ("lead", "police"), ("ciec", "police"), ("chair", None),
        ("admin", None), ("qaec", None))}


def sent_to(email: str) -> list[str]:
    return sorted(Notification.objects(recipient=email).scalar("key"))


def test_pdc_review_reminders_stop_once_the_review_is_held(staff):
    plan = ratified_plan(D(2026, 1, 15))
    first = sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)))
    assert first["reviews_created"] == 1 and sent_to(staff["pdc"].email)
    review = PDCReview.objects.get()
    action = Action.objects.get(plan=plan)
    pdc.record_verdict(review, action, "not_yet_due", "", staff["pdc"])
    pdc.hold(review, D(2026, 7, 16), staff["pdc"], now=at(D(2026, 7, 16)))
    newcomer = make_user("pdc", email="new.pdc@test.lif")
    assert sweeps.create_due_pdc_reviews(at(D(2026, 7, 20))) == {}
    assert sent_to(newcomer.email) == []


def test_action_reminders_stop_once_the_action_is_complete(staff):
    plan = ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 6, 30)}])
    action = Action.objects.get(plan=plan)
    assert sweeps.send_action_reminders(at(D(2026, 7, 1)))["overdue"] == 1
    workflow.fire(action, "complete", staff["lead"], now=at(D(2026, 7, 2)))
    newcomer = make_user("lead", "police", email="new.lead@test.lif")
    assert sweeps.send_action_reminders(at(D(2026, 7, 8))) == {}
    assert sent_to(newcomer.email) == []


def test_information_request_reminders_stop_once_the_response_is_sent(staff):
    with travel(at(D(2026, 3, 2))):
        referral = make_referral(notified_on=D(2026, 3, 2))
        referrals.accept(referral, staff["admin"])
    request = referrals.requests_of(referral)[0]
    assert request.agency == "police"
    due = request.due_on
    assert sweeps.send_information_request_reminders(at(due))["reminders"] == 1
    referrals.answer_request(request, "Known to police since 2024.", "PC A. Smith",
                             staff["ciec"], now=at(due))
    newcomer = make_user("ciec", "police", email="new.ciec@test.lif")
    assert sweeps.send_information_request_reminders(at(due + dt.timedelta(days=1))) == {}
    assert sent_to(newcomer.email) == []


def test_decision_alerts_stop_once_the_chair_decides(staff):
    with travel(at(D(2026, 3, 2))):
        referral = make_referral(notified_on=D(2026, 3, 2))
        referrals.accept(referral, staff["admin"])
    referrals.recommend(referral, "no_review", "Criteria not met.", staff["ciec"],
                        now=at(D(2026, 3, 15)))
    assert sweeps.send_scr_decision_alerts(at(D(2026, 3, 19)))["amber"] == 1
    referrals.decide(referral, "affirmed", "no_review", "Natural causes.", staff["chair"],
                     now=at(D(2026, 3, 20)))
    newcomer = make_user("chair", email="new.chair@test.lif")
    assert sweeps.send_scr_decision_alerts(at(D(2026, 4, 3))) == {}
    assert sent_to(newcomer.email) == []


def test_a_decision_nobody_recorded_does_not_silence_the_decision_clock(staff):
    """The old referral form stored "SCR" for every referral: that is not a decision."""
    with travel(at(D(2026, 3, 2))):
        referral = make_referral(notified_on=D(2026, 3, 2))
    type(referral).objects(pk=referral.pk).update_one(set__decision="scr",
                                                     set__decided_on=D(2026, 3, 2))
    assert sweeps.send_scr_decision_alerts(at(D(2026, 4, 3)))["red"] == 1


def test_national_panel_reminders_stop_once_the_notice_is_marked_sent(staff):
    with travel(at(D(2026, 3, 2))):
        referral = make_referral(notified_on=D(2026, 3, 2))
        referrals.accept(referral, staff["admin"])
    referrals.recommend(referral, "no_review", "Criteria not met.", staff["ciec"],
                        now=at(D(2026, 3, 15)))
    referrals.decide(referral, "affirmed", "no_review", "Natural causes.", staff["chair"],
                     now=at(D(2026, 3, 20)))
    assert sweeps.send_national_panel_notices(at(D(2026, 3, 21)))["notices"] == 1
    referrals.mark_notice_sent(referral, "national_panel", staff["admin"],
                               sent_on=D(2026, 3, 25))
    newcomer = make_user("admin", email="new.manager@test.lif")
    # Neither the first message to a new administrator nor the chase after the 14 days.
    assert sweeps.send_national_panel_notices(at(D(2026, 3, 26))) == {}
    assert sweeps.send_national_panel_notices(at(D(2026, 4, 10))) == {}
    assert sent_to(newcomer.email) == []


def test_national_panel_notice_not_sent_is_chased_once_after_its_date(staff):
    with travel(at(D(2026, 3, 2))):
        referral = make_referral(notified_on=D(2026, 3, 2))
        referrals.accept(referral, staff["admin"])
    referrals.recommend(referral, "no_review", "Criteria not met.", staff["ciec"],
                        now=at(D(2026, 3, 15)))
    referrals.decide(referral, "affirmed", "no_review", "Natural causes.", staff["chair"],
                     now=at(D(2026, 3, 20)))
    assert sweeps.send_national_panel_notices(at(D(2026, 3, 21)))["notices"] == 1
    assert sweeps.send_national_panel_notices(at(D(2026, 4, 3))) == {}
    assert sweeps.send_national_panel_notices(at(D(2026, 4, 4)))["chases"] == 1
    assert sweeps.send_national_panel_notices(at(D(2026, 4, 20))) == {}
    subjects = sorted(Notification.objects(recipient=staff["admin"].email).scalar("subject"))
    assert subjects == ["National Panel notice overdue since 3 April 2026: no SCR decided",
                        "Notify the National Panel by 3 April 2026: no SCR decided"]


def test_publication_window_notices_stop_once_the_review_is_on_request(staff):
    with travel(at(D(2025, 1, 1))):
        review = make_review(title="LSCR 1402", effective=D(2025, 1, 10))
    in_state(review, "published")
    assert sweeps.send_publication_window_notices(at(D(2026, 1, 10)))["notices"] == 1
    workflow.fire(review, "end_publication", staff["admin"], now=at(D(2026, 1, 12)))
    newcomer = make_user("admin", email="new.manager@test.lif")
    assert sweeps.send_publication_window_notices(at(D(2026, 2, 10))) == {}
    assert sent_to(newcomer.email) == []


def test_audit_return_reminders_stop_once_the_return_is_submitted(staff):
    qaec = staff["qaec"]
    audit = audits.plan_audit({
        "title": "Section 11 audit", "audit_type": "section_11", "committee": "qaec",
        "participants": [{"agency": "police", "lead_auditor": "auditor@police.test"}],
        "start_date": D(2026, 3, 1), "due_date": D(2026, 11, 30)}, qaec)
    tool = audits.create_section11_tool(audit, qaec)
    audits.publish_tool(tool, qaec)
    workflow.fire(audit, "start_sampling", qaec)
    workflow.fire(audit, "start_fieldwork", qaec)
    audits.assign_tool(audit, tool, qaec)
    assert sweeps.send_audit_return_reminders(at(D(2026, 4, 6)))["reminders"] == 1
    auditor = make_user("lead", "police", email="auditor@police.test")
    [assignment] = audits.assignments(audit, agency="police")
    audits.save_answers(assignment, {q.uid: {"rating": "green", "evidence": "Policy 12"}
                                     for q in tool.questions}, auditor, submit=True)
    assert sweeps.send_audit_return_reminders(at(D(2026, 4, 13))) == {}
    assert Audit.objects.get(pk=audit.pk).state == "fieldwork"
