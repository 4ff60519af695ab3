"""Named effects of workflow transitions (config/workflows.py names them, this runs them)."""

from __future__ import annotations

from . import clocks
from .services import referrals


def start_publication_window(item, actor, now):
    """Publishing starts the window: ``effective`` is today unless already set."""
    if not item.effective:
        type(item).objects(pk=item.pk).update_one(set__effective=now.date())
        item.reload()


def schedule_first_pdc_review(item, actor, now):
    """Ratifying a plan sets the first PDC review six months on (the sweep makes the record)."""
    ratified = now.date()
    type(item).objects(pk=item.pk).update_one(
        set__ratified_on=ratified,
        set__next_pdc_review=clocks.next_pdc_review(ratified),
    )
    item.reload()


def schedule_next_pdc_review(item, actor, now):
    """Closing a PDC review sets the plan's next one six months after it was due.

    Counted from the scheduled date, not the day the meeting happened, so a late meeting does
    not push every later review back ("every six months from ratification").
    """
    plan = item.plan
    if plan.state == "ratified":
        base = item.scheduled_for
        type(plan).objects(pk=plan.pk).update_one(
            set__next_pdc_review=clocks.next_pdc_review(base)
        )


def record_completion(item, actor, now):
    """The date an action was completed, for "% on time" (completed on or before its due date)."""
    type(item).objects(pk=item.pk).update_one(set__completed_on=now.date())
    item.reload()


def clear_completion(item, actor, now):
    type(item).objects(pk=item.pk).update_one(unset__completed_on=True)
    item.reload()


def issue_information_requests(item, actor, now):
    """Accepting a referral puts it on the next CIEC agenda and asks each member agency."""
    referrals.issue_information_requests(item, actor, now)


def record_decision(item, actor, now):
    """The Chair's decision drafts the notices and starts the review, if any."""
    referrals.record_decision_effects(item, actor, now)


def record_decline_reason(item, actor, now):
    """The comment given when declining is the reason the referrer is told."""
    type(item).objects(pk=item.pk).update_one(
        set__decline_reason=item.workflow_history[-1].comment)
    item.reload()


def notify_referrer(item, actor, now):
    referrals.notify_referrer(item, actor, now)


EFFECTS = {
    name: func
    for name, func in globals().items()
    if callable(func) and not name.startswith("_") and func.__module__ == __name__
}


def run(name: str, item, actor, now) -> None:
    EFFECTS[name](item, actor, now)
