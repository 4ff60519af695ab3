"""Workflows as data: who may fire which transition from which state, and what it records."""

from __future__ import annotations

import pytest

from lif import workflow
from lif.errors import GuardFailed, InvalidInput, PermissionDenied
from lif.models import AuditEvent, Version

from .. import factories as f
from ..conftest import make_user

# (content, state, transition, role, agency of the user) -> expected:
#   "ok" fires, "denied" PermissionDenied, "guard" GuardFailed, "comment" needs a comment,
#   "chosen" needs what the transition records given with it (a decision only when chosen).
TABLE = [
    ("review", "initiated", "identify_panel", "training", None, "ok"),
    ("review", "initiated", "identify_panel", "chair", None, "ok"),
    ("review", "initiated", "identify_panel", "lead", "police", "denied"),
    ("review", "initiated", "identify_panel", "viewer", None, "denied"),
    ("review", "initiated", "publish", "admin", None, "denied"),  # wrong state
    ("review", "systems_review", "send_draft_to_ciec", "training", None, "guard"),  # no findings
    ("review", "draft_to_ciec", "ratify_executive", "chair", None, "ok"),
    ("review", "draft_to_ciec", "ratify_executive", "training", None, "denied"),
    ("review", "ratified_lscb", "publish", "chair", None, "ok"),
    ("review", "ratified_lscb", "publish", "pdc", None, "denied"),
    ("review", "draft_to_ciec", "send_back", "chair", None, "comment"),
    ("action_plan", "draft", "submit", "training", None, "guard"),  # no actions yet
    ("action_plan", "draft", "submit", "lead", "police", "denied"),  # multi-agency plan
    ("action_plan", "submitted", "ratify", "lead", "police", "denied"),
    ("action_plan", "submitted", "return_to_draft", "training", None, "comment"),
    ("action_plan", "ratified", "close", "pdc", None, "ok"),  # no actions: nothing lacks impact
    ("action_plan", "ratified", "close", "qaec", None, "denied"),
    ("action", "not_started", "start", "lead", "police", "ok"),
    ("action", "not_started", "start", "lead", "alder_hey", "denied"),  # another agency
    ("action", "not_started", "start", "viewer", None, "denied"),
    ("action", "complete", "verify", "pdc", None, "guard"),  # no evidence of impact
    ("action", "complete", "verify", "lead", "police", "denied"),
    ("action", "in_progress", "cancel", "training", None, "comment"),
    ("action", "in_progress", "cancel", "lead", "police", "denied"),
    ("audit", "planned", "start_sampling", "qaec", None, "ok"),
    ("audit", "planned", "start_sampling", "pdc", None, "denied"),
    ("audit", "findings", "report", "qaec", None, "guard"),  # no findings
    # Intake is the CIEC chair's and the business manager's (the source's CIEC flowchart).
    ("referral", "submitted", "accept", "ciec_chair", None, "ok"),
    ("referral", "submitted", "accept", "ciec", "police", "denied"),
    ("referral", "submitted", "accept", "lead", "police", "denied"),
    ("referral", "submitted", "decline", "ciec_chair", None, "comment"),
    ("referral", "submitted", "decline", "ciec", "police", "denied"),
    ("referral", "considered", "decide", "chair", None, "chosen"),  # nothing chosen
    ("referral", "considered", "decide", "ciec", "police", "denied"),
    ("referral", "considered", "decide", "ciec_chair", None, "denied"),
    ("referral", "considered", "decide", "admin", None, "denied"),  # only as an override
    ("referral", "accepted", "recommend", "ciec_chair", None, "chosen"),
    ("referral", "accepted", "recommend", "chair", None, "denied"),
    ("referral", "accepted", "recommend", "admin", None, "denied"),  # only as an override
    ("information_request", "issued", "answer", "ciec", "police", "chosen"),  # no response
    ("information_request", "issued", "withdraw", "ciec", "police", "denied"),
    ("pdc_review", "scheduled", "hold", "pdc", None, "chosen"),  # no date held
    ("pdc_review", "scheduled", "hold", "lead", "police", "denied"),
    ("meeting", "planned", "hold", "ciec", "police", "ok"),
    ("meeting", "planned", "hold", "viewer", None, "denied"),
]

MAKERS = {
    "review": f.make_review,
    "action_plan": f.make_plan,
    "action": f.make_action,
    "audit": f.make_audit,
    "referral": f.make_referral,
    "information_request": f.make_information_request,
    "pdc_review": f.make_pdc_review,
    "meeting": f.make_meeting,
}


@pytest.mark.parametrize(("kind", "state", "name", "role", "agency", "expected"), TABLE)
def test_transition_table(clean_db, kind, state, name, role, agency, expected):
    item = f.in_state(MAKERS[kind](), state)
    user = make_user(role, agency)
    before = item.state
    if expected == "ok":
        workflow.fire(item, name, user, "ok")
        assert item.state != before
        assert item.workflow_history[-1].action == name
        assert item.workflow_history[-1].actor == user.email
        return
    error = {"denied": PermissionDenied, "guard": GuardFailed, "comment": InvalidInput,
             "chosen": InvalidInput}[expected]
    with pytest.raises(error):
        workflow.fire(item, name, user, "")
    item.reload()
    assert item.state == before


def test_transition_is_recorded_in_history_versions_and_audit_trail(clean_db):
    review = f.make_review()
    user = make_user("training")
    workflow.fire(review, "identify_panel", user, "Reviewer appointed")
    assert review.state == "panel_identified"
    entry = review.workflow_history[-1]
    assert (entry.from_state, entry.to_state, entry.comment) == (
        "initiated", "panel_identified", "Reviewer appointed")
    assert Version.objects(object_id=str(review.pk)).count() == 2
    event = AuditEvent.objects(object_id=str(review.pk), action="transition").first()
    assert event.changes == {"state": ["initiated", "panel_identified"]}
    assert event.actor == user.email


def test_available_transitions_show_only_what_the_user_may_fire(clean_db):
    review = f.in_state(f.make_review(), "ratified_lscb")
    assert [t["name"] for t in workflow.available_transitions(review, make_user("chair"))] == [
        "publish"]
    assert workflow.available_transitions(review, make_user("viewer")) == []


def test_guard_reason_is_shown_and_admin_can_override_with_a_reason(clean_db):
    action = f.in_state(f.make_action(), "complete")
    admin = make_user("admin")
    [verify] = [t for t in workflow.available_transitions(action, admin) if t["name"] == "verify"]
    assert "evidence of impact" in verify["blocked"]
    with pytest.raises(InvalidInput):
        workflow.fire(action, "verify", admin, "", override=True)
    workflow.fire(action, "verify", admin, "Verified at the PDC meeting", override=True)
    assert action.state == "verified"
    assert "guard overridden" in action.workflow_history[-1].comment


def test_ratify_schedules_the_first_pdc_review_six_months_on(clean_db):
    import datetime as dt

    plan = f.make_plan()
    f.make_action(plan=plan)
    plan = f.in_state(plan, "submitted")
    workflow.fire(plan, "ratify", make_user("training"), now=dt.datetime(2026, 1, 15, 10))
    assert plan.ratified_on == dt.date(2026, 1, 15)
    assert plan.next_pdc_review == dt.date(2026, 7, 15)


def test_worklist_shows_what_waits_for_a_role(clean_db):
    from lif.services import worklist

    plan = f.make_plan(title="Waiting plan")
    f.make_action(plan=plan)
    f.in_state(plan, "submitted")
    groups = worklist.waiting_for(make_user("training"))
    titles = [item.title for g in groups for item in g["items"]]
    assert "Waiting plan" in titles
    assert "Waiting plan" not in [i.title for g in worklist.waiting_for(make_user("viewer"))
                                  for i in g["items"]]
