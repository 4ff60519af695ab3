"""The PDC's six-month review: verdicts per action, challenges turn red and tell the lead."""

from __future__ import annotations

import datetime as dt

import pytest

from lif.errors import InvalidInput, PermissionDenied
from lif.models import Action, Notification, PDCReview
from lif.services import content, pdc, plans

from .. import factories as f
from ..conftest import AuthActions, make_user


@pytest.fixture
def review(clean_db):
    plan = f.in_state(f.make_plan(), "ratified")
    f.add_evidence(f.make_action(plan=plan, title="Evidenced one"))
    f.make_action(plan=plan, title="Weak one", agency="police")
    return f.make_pdc_review(plan=plan)


def test_verdicts_per_action_and_a_challenge_turns_red_and_tells_the_lead(review):
    member = make_user("pdc")
    lead = make_user("lead", "police")
    evidenced, weak = (Action.objects.get(title=t) for t in ("Evidenced one", "Weak one"))
    pdc.record_verdict(review, evidenced, "evidenced", "", member)
    with pytest.raises(InvalidInput):
        pdc.record_verdict(review, weak, "challenged", "", member)
    pdc.record_verdict(review, weak, "challenged", "No measure of impact on practice.", member)
    weak.reload()
    assert plans.rag(weak) == "red" and weak.last_pdc_comment.startswith("No measure")
    assert Notification.objects(recipient=lead.email, subject__contains="Challenged").count() == 1
    assert Notification.objects(recipient="named.lead@example.org").count() == 1
    evidenced.reload()
    assert evidenced.evidence[-1].pdc_verdict == "evidenced"
    assert {v.verdict for v in PDCReview.objects.get(pk=review.pk).verdicts} == {
        "evidenced", "challenged"}
    # Changing a verdict replaces it rather than adding a second one.
    pdc.record_verdict(review.reload() or review, weak, "not_yet_due", "", member)
    assert len(PDCReview.objects.get(pk=review.pk).verdicts) == 2


def test_open_items_carry_into_the_next_review(review):
    member = make_user("pdc")
    weak = Action.objects.get(title="Weak one")
    pdc.record_verdict(review, weak, "challenged", "Show the impact.", member)
    nxt = content.create(PDCReview, {"title": "Next", "plan": review.plan,
                                     "scheduled_for": dt.date(2027, 1, 15)}, member)
    assert pdc.carried_over(nxt) == {weak.pk}


def test_only_pdc_records_verdicts(review):
    weak = Action.objects.get(title="Weak one")
    with pytest.raises(PermissionDenied):
        pdc.record_verdict(review, weak, "evidenced", "", make_user("lead", "police"))


def test_verdict_form_over_http(client, review):
    weak = Action.objects.get(title="Weak one")
    AuthActions(client).login(make_user("pdc").email)
    page = client.get(f"/admin/pdc_review/details/?id={review.pk}").get_data(as_text=True)
    assert "Weak one" in page and "Record verdict" in page
    token = AuthActions(client).csrf("/admin/")
    response = client.post("/admin/pdc_review/verdict/", data={
        "csrf_token": token, "id": str(review.pk), "action": str(weak.pk),
        "verdict": "challenged", "comment": "Where is the audit?"})
    assert response.status_code == 302
    assert Action.objects.get(pk=weak.pk).last_pdc_verdict == "challenged"
