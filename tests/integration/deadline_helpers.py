"""Set-up shared by the deadline tests: ratified plans, open actions, a controlled clock."""

from __future__ import annotations

import datetime as dt

import time_machine

from lif import workflow
from lif.actors import SYSTEM
from lif.models import Action, ActionPlan, Notification, PDCReview, Verdict
from lif.services import content, pdc


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """A sweep time: ``day`` at ``hour`` UTC (naive, as LIF stores it)."""
    return dt.datetime.combine(day, dt.time(hour))


def travel(moment: dt.datetime):
    """Freeze the clock at ``moment`` (UTC)."""
    return time_machine.travel(moment.replace(tzinfo=dt.UTC), tick=False)


def ratified_plan(ratified_on: dt.date, *, owner: str = "owner@example.org",
                  actions: list[dict] | None = None, title: str = "Neglect plan") -> ActionPlan:
    """A multi-agency plan created a week before ``ratified_on`` and ratified on it."""
    created = at(ratified_on - dt.timedelta(days=7))
    with travel(created):
        plan = content.create(ActionPlan, {
            "title": title, "kind": "multi_agency", "source_kind": "other",
            "source_other": "Multi-agency audit of neglect", "owner": owner,
        }, SYSTEM)
        for spec in actions or [{}]:
            add_action(plan, **spec)
        workflow.fire(plan, "submit", SYSTEM)
    with travel(at(ratified_on)):
        workflow.fire(plan, "ratify", SYSTEM)
    plan.reload()
    return plan


def add_action(plan: ActionPlan, *, due: dt.date | None = None, agency: str = "police",
               lead_email: str = "named.lead@example.org", title: str = "Train staff") -> Action:
    due = due or (plan.created_at.date() + dt.timedelta(days=180))
    return content.create(Action, {
        "title": title, "plan": plan, "description": f"{title} on neglect",
        "lead_name": "Named Lead", "lead_email": lead_email, "agency": agency, "due_date": due,
    }, SYSTEM, now=plan.created_at)


def close_review(review: PDCReview, action: Action, when: dt.datetime) -> None:
    """Record a verdict, hold and close ``review`` as the PDC would."""
    with travel(when):
        content.update(review, {"verdicts": [Verdict(action=action.pk, verdict="not_yet_due")]},
                       SYSTEM, base_version=review.version)
        pdc.hold(review, when.date(), SYSTEM)
        workflow.fire(review, "close", SYSTEM)


def keys_for(recipient: str) -> list[str]:
    return sorted(Notification.objects(recipient=recipient).scalar("key"))
