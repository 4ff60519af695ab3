"""Named workflow guards. Each returns ``None`` when the transition may go ahead, or the reason
it may not, in words a person can act on."""

from __future__ import annotations

from . import clocks
from .models import Action, Evidence


def has_findings(item, actor, now):
    if not item.findings:
        return "Add at least one finding first."
    return None


def publication_window_over(item, actor, now):
    """An SCR stays published at least 12 months (Working Together 2015, p79)."""
    if getattr(item, "review_type", None) != "scr" or not item.effective:
        return None
    if not clocks.publication_window_over(item.effective, now.date()):
        until = clocks.publication_window_end(item.effective)
        return (
            "A Serious Case Review must stay published for at least "
            f"{clocks.describe('scr_publication')}: published on {item.effective:%d %B %Y}, "
            f"it can be withdrawn from {until:%d %B %Y}."
        )
    return None


def plan_actions_complete(item, actor, now):
    actions = Action.objects(plan=item, trashed__ne=True)
    if not actions.count():
        return "Add at least one action first."
    return None


def plan_impact_evidenced(item, actor, now):
    """Impact is the gate: no plan closes while an action lacks evidence of impact."""
    actions = Action.objects(plan=item, trashed__ne=True, state__ne="cancelled")
    evidenced = Evidence.objects(action__in=list(actions.scalar("id"))).distinct("action")
    lacking = actions.filter(id__nin=evidenced).only("title")
    titles = [a.title for a in lacking[:5]]
    if titles:
        more = lacking.count() - len(titles)
        listed = "; ".join(titles) + (f" and {more} more" if more > 0 else "")
        return f"Every action needs evidence of impact (or to be cancelled): missing for {listed}."
    return None


def action_has_evidence(item, actor, now):
    if not item.evidence_count:
        return "An action cannot be verified without at least one piece of evidence of impact."
    return None


def has_recommendation(item, actor, now):
    if not item.recommendation or not item.recommendation_rationale.strip():
        return "Record the CIEC recommendation and its rationale first."
    return None


def has_decision(item, actor, now):
    if not item.decision or not item.decision_rationale.strip() or not item.chair_stance:
        return "Record the Chair's decision, whether it affirms or challenges, and the rationale."
    return None


def has_response(item, actor, now):
    if not item.response.strip():
        return "Write the agency's response first."
    return None


def has_verdicts(item, actor, now):
    if not item.verdicts:
        return "Record a verdict for at least one action."
    return None


GUARDS = {
    name: func
    for name, func in globals().items()
    if callable(func) and not name.startswith("_") and func.__module__ == __name__
}


def check(name: str | None, item, actor, now) -> str | None:
    if not name:
        return None
    return GUARDS[name](item, actor, now)
