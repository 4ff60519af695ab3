"""The Professional Development Committee's six-month review: a verdict per action.

"MA and SA L & I activity and impact on practice reviewed for scrutiny and challenge." A
verdict is impact evidenced, challenged (with the challenge) or not yet due. A challenged
action turns red (``plans.rag``) and its lead is told; actions without evidenced impact stay
open and are listed again at the plan's next review.
"""

from __future__ import annotations

import datetime as dt

from .. import clock, clocks, policy, workflow
from ..actors import actor_email
from ..errors import InvalidInput
from ..models import Action, PDCReview, User, Verdict
from ..models.action_plan import PDC_VERDICTS
from . import content, notifications

VERDICT_LABELS = dict(PDC_VERDICTS)


def actions_under_review(review: PDCReview) -> list[Action]:
    return list(Action.objects(plan=review.plan, trashed=False).order_by("due_date"))


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


def verdict_in_place_of(review: PDCReview, user) -> str:
    """Whose verdicts ``user`` would record only as an override, in words ("" when they are
    a PDC member): the page then asks for the reason."""
    roles = policy.in_place_of(user, "record", review, what="verdict")
    return policy.deciding_body(roles) if roles else ""


def may_record_verdicts(review: PDCReview, user) -> bool:
    return policy.allows(user, "record", review, what="verdict", override=True)


def record_verdict(review: PDCReview, action: Action, verdict: str, comment: str, actor, *,
                   override_reason: str = "", now: dt.datetime | None = None):
    """Record (or change) the committee's verdict on one action of the plan under review.

    Verdicts are the Professional Development Committee's (``config.roles.DECISIONS``); the
    business manager may record one in its place only with ``override_reason``, kept on the
    verdict and shown as an override on the page and in the pack.

    :raises PermissionDenied: the actor may not record verdicts (even as an override), or
        the review is not open.
    :raises InvalidInput: no verdict chosen, a challenge without its reason, an action of
        another plan, or an override without its reason.
    """
    now = now or clock.now()
    policy.require(actor, "record", review, what="verdict", override=True)
    if verdict not in VERDICT_LABELS:
        raise InvalidInput(f"Choose one of: {', '.join(VERDICT_LABELS.values())}.",
                           field="verdict")
    comment = (comment or "").strip()
    if verdict == "challenged" and not comment:
        raise InvalidInput("Say what the committee challenges.", field="comment")
    if action.plan.pk != review.plan.pk:
        raise InvalidInput("That action is not part of the plan under review.", field="action")
    whose = verdict_in_place_of(review, actor)
    reason = (override_reason or "").strip() if whose else ""
    if whose and not reason:
        raise InvalidInput(f"You record this in place of {whose}: give the reason.",
                           field="override_reason")
    verdicts = [v for v in review.verdicts if v.action != action.pk]
    verdicts.append(Verdict(action=action.pk, verdict=verdict, comment=comment,
                            recorded_by=actor_email(actor), recorded_at=now,
                            override_reason=reason))
    note = f"Verdict on '{action.title}': {VERDICT_LABELS[verdict]}" + (
        f" (in place of {whose}: {reason})" if whose else "")
    content.update(review, {"verdicts": verdicts}, actor, base_version=review.version,
                   note=note, now=now)
    updates = {"set__last_pdc_verdict": verdict, "set__last_pdc_comment": comment}
    if verdict == "evidenced" and action.evidence:
        updates["set__evidence__S__pdc_verdict"] = verdict
        Action.objects(pk=action.pk, evidence__uid=action.evidence[-1].uid).update_one(**updates)
    else:
        Action.objects(pk=action.pk).update_one(**updates)
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


def verdict_override(review: PDCReview, verdict: Verdict) -> str:
    """"Recorded by X in place of the Professional Development Committee: reason" for a
    verdict recorded as an override ("" otherwise)."""
    if not verdict.override_reason:
        return ""
    owners = policy.decision_owners("pdc_review", "verdict")
    return (f"Recorded by {verdict.recorded_by} in place of "
            f"{policy.deciding_body(owners)}: {verdict.override_reason}")


def hold(review: PDCReview, held_on, actor, *, comment: str = "",
         now: dt.datetime | None = None) -> PDCReview:
    """Record that the review meeting was held, and on which day (the person says which: no
    date is filled in for them).

    :raises InvalidInput: no date, a date that cannot be read, or a day still to come.
    :raises GuardFailed: no verdict is recorded yet.
    """
    now = now or clock.now()
    policy.require(actor, "fire", review, transition="hold")
    if isinstance(held_on, str):
        try:
            held_on = dt.date.fromisoformat(held_on.strip()) if held_on.strip() else None
        except ValueError:
            raise InvalidInput("Give the date the review was held as a date.",
                               field="held_on") from None
    if held_on is None:
        raise InvalidInput("Give the date the review was held.", field="held_on")
    if held_on > now.date():
        raise InvalidInput("The review cannot be recorded as held on a day still to come.",
                           field="held_on")
    return workflow.fire(review, "hold", actor, comment, now=now, fields={"held_on": held_on})


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
