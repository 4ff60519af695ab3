"""The Professional Development Committee's six-month review: a verdict per action.

"MA and SA L & I activity and impact on practice reviewed for scrutiny and challenge." A
verdict is impact evidenced, challenged (with the challenge) or not yet due. A challenged
action turns red (``plans.rag``) and its lead is told; actions without evidenced impact stay
open and are listed again at the plan's next review.
"""

from __future__ import annotations

import datetime as dt

from .. import clocks, policy, workflow
from ..errors import InvalidInput, PermissionDenied
from ..models import Action, Evidence, PDCReview, User, Verdict
from ..models.action_plan import PDC_VERDICTS
from . import content, notifications, plans

VERDICT_LABELS = dict(PDC_VERDICTS)


def actions_under_review(review: PDCReview) -> list[Action]:
    return plans.read_records(
        list(Action.objects(plan=review.plan, trashed=False).order_by("due_date")))


def verdict_for(review: PDCReview, action: Action) -> Verdict | None:
    return next((v for v in review.verdicts if v.action == action.pk), None)


def previous_review(review: PDCReview) -> PDCReview | None:
    return (PDCReview.objects(plan=review.plan, scheduled_for__lt=review.scheduled_for,
                              trashed=False).order_by("-scheduled_for").first())


def carried_over(review: PDCReview) -> set:
    """Ids of actions the previous review did not find evidenced: open items carry over."""
    before = previous_review(review)
    if before is None:
        return set()
    return {v.action for v in before.verdicts if v.verdict != "evidenced"}


def record_verdict(review: PDCReview, action: Action, verdict: str, comment: str, actor):
    """Record (or change) the committee's verdict on one action of the plan under review."""
    if verdict not in VERDICT_LABELS:
        raise InvalidInput(f"Choose one of: {', '.join(VERDICT_LABELS.values())}.",
                           field="verdict")
    comment = (comment or "").strip()
    if verdict == "challenged" and not comment:
        raise InvalidInput("Say what the committee challenges.", field="comment")
    if action.plan.pk != review.plan.pk:
        raise InvalidInput("That action is not part of the plan under review.", field="action")
    if not policy.allows(actor, "edit", review):
        raise PermissionDenied("Only PDC members record verdicts, while the review is open.")
    verdicts = [v for v in review.verdicts if v.action != action.pk]
    verdicts.append(Verdict(action=action.pk, verdict=verdict, comment=comment))
    content.update(review, {"verdicts": verdicts}, actor, base_version=review.version,
                   note=f"Verdict on '{action.title}': {VERDICT_LABELS[verdict]}")
    if verdict == "evidenced":  # on the latest evidence, as the committee saw it
        latest = Evidence.objects(action=action.pk).order_by("-at", "-id").only("id").first()
        if latest is not None:
            Evidence.objects(pk=latest.pk).update_one(set__pdc_verdict=verdict)
    Action.objects(pk=action.pk).update_one(set__last_pdc_verdict=verdict,
                                            set__last_pdc_comment=comment)
    action.reload()
    if verdict == "challenged":
        _tell_lead(review, action, comment)
    return review


def _tell_lead(review: PDCReview, action: Action, comment: str) -> None:
    recipients = {action.lead_email, *(u.email for u in User.objects(
        roles="lead", agency=action.agency, active=True).only("email"))}
    for email in sorted(r for r in recipients if r):
        notifications.notify(
            email, f"Challenged at the PDC review: {action.title}",
            f"The Professional Development Committee challenged this action at its review of "
            f"{review.scheduled_for:%d %B %Y}: {comment}",
            key=notifications.personal_key(f"pdc:{review.pk}:{action.pk}:challenged", email),
            link=f"/admin/action/details/?id={action.pk}",
            about=action,
        )


@workflow.effect("schedule_next_pdc_review")
def schedule_next_pdc_review(review: PDCReview, actor, now: dt.datetime) -> None:
    """Closing a PDC review sets the plan's next one six months after it was due.

    Counted from the scheduled date, not the day the meeting happened, so a late meeting does
    not push every later review back ("every six months from ratification").
    """
    plan = review.plan
    if plan.state == "ratified":
        type(plan).objects(pk=plan.pk).update_one(
            set__next_pdc_review=clocks.next_pdc_review(review.scheduled_for))
