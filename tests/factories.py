"""Small `make_*` helpers that build real items through the services."""

from __future__ import annotations

import datetime as dt

from lif.actors import SYSTEM
from lif.models import (
    Action,
    ActionPlan,
    Audit,
    Evidence,
    InformationRequest,
    Meeting,
    PDCReview,
    Referral,
    Review,
    WorkflowEntry,
)
from lif.services import content


def in_state(item, state: str):
    """Put ``item`` in ``state`` directly (test set-up only), as the history would show it."""
    type(item).objects(pk=item.pk).update_one(
        set__state=state,
        push__workflow_history=WorkflowEntry(action="test", from_state=item.state,
                                             to_state=state, actor="test",
                                             at=dt.datetime(2026, 1, 1)),
    )
    item.reload()
    return item


def make_review(title="Child T", review_type="scr", **extra):
    data = {"title": title, "review_type": review_type, **extra}
    return content.create(Review, data, SYSTEM)


def make_audit(title="Audit T", **extra):
    return content.create(Audit, {"title": title, "audit_type": "multi_agency", **extra}, SYSTEM)


def make_plan(title="Plan T", kind="multi_agency", agency=None, review=None, **extra):
    review = review or make_review(title=f"Source of {title}")
    data = {"title": title, "kind": kind, "agency": agency, "source_kind": "review",
            "review": review, **extra}
    return content.create(ActionPlan, data, SYSTEM)


def make_action(plan=None, agency="police", due=None, title="Action T", **extra):
    plan = plan or make_plan()
    data = {"title": title, "plan": plan, "description": f"Do {title}",
            "lead_name": "Named Lead", "lead_email": "named.lead@example.org", "agency": agency,
            "due_date": due or dt.date.today() + dt.timedelta(days=90), **extra}
    return content.create(Action, data, SYSTEM)


def add_evidence(action, text="Audit of 20 cases shows the change in 17."):
    Evidence(action=action.pk, uid="e1", at=dt.datetime(2026, 1, 1), author="test",
             description=text, measure="dip sample").save()
    action.reload()
    return action


def make_referral(title="Referral T", agency="police", **extra):
    data = {"title": title, "reasons": "Child seriously harmed", "agency": agency, **extra}
    return content.create(Referral, data, SYSTEM)


def make_information_request(referral=None, agency="police"):
    referral = referral or make_referral()
    return content.create(InformationRequest, {
        "title": f"RFI {agency}", "referral": referral, "agency": agency,
        "issued_on": dt.date(2026, 1, 1), "due_on": dt.date(2026, 1, 8)}, SYSTEM)


def make_pdc_review(plan=None):
    plan = plan or make_plan()
    return content.create(PDCReview, {"title": f"PDC review of {plan.title}", "plan": plan,
                                      "scheduled_for": dt.date(2026, 7, 15)}, SYSTEM)


def make_meeting(committee="ciec"):
    return content.create(Meeting, {"title": "CIEC meeting", "committee": committee,
                                    "date": dt.date(2026, 7, 15)}, SYSTEM)
