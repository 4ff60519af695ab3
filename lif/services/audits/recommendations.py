"""Phase 5, recommendations into actions: a recommendation becomes an action of a new or
existing plan in one step, keeping the link back to the finding it answers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from bson import ObjectId
from mongoengine import ValidationError

from ... import audit_trail, policy, workflow
from ...actors import SYSTEM, actor_email
from ...errors import InvalidInput, LIFError, NotFound
from ...models import Action, ActionPlan, Audit, RecommendationLink
from .. import content, plans, reference
from .common import _now


def _finding_text(audit: Audit, finding_uid: str) -> str:
    finding = next((f for f in audit.findings if f.uid == finding_uid), None)
    if finding is None:
        return ""
    heading = f"{finding.heading}: " if finding.heading else ""
    return f"Finding {finding.number}. {heading}{finding.text}" if finding.number else (
        heading + finding.text)


def recommendation_to_action(
    audit: Audit,
    recommendation_uid: str,
    actor,
    *,
    plan: ActionPlan | str | None = None,
    new_plan: dict | None = None,
    lead_name: str,
    lead_email: str,
    agency: str,
    due_date: dt.date | None,
    title: str = "",
    description: str = "",
    now: dt.datetime | None = None,
) -> Action:
    """Turn a recommendation into an action of a new or existing plan, in one step.

    The action keeps the link back: ``finding_uid`` and ``finding_text`` of the finding the
    recommendation answers, and a :class:`RecommendationLink` from the recommendation.

    :param plan: an existing plan (or its id) to add the action to; or
    :param new_plan: ``{"title", "kind": "multi_agency"|"single_agency", "agency"}`` for a new
        plan sourced from this audit.
    :raises PermissionDenied: the actor may neither change the audit nor create actions for
        ``agency``; or may not see the plan.
    :raises InvalidInput: no such recommendation; neither or both of plan/new plan; a closed
        plan; a single-agency plan of another agency; a missing lead, email or due date;
        nothing is stored.
    """
    now = _now(now)
    policy.require(actor, "view", audit)
    recommendation = next(
        (r for r in audit.recommendations if r.uid == recommendation_uid), None)
    if recommendation is None:
        raise NotFound("No such recommendation in this audit.")
    if (plan is None) == (new_plan is None):
        raise InvalidInput("Choose an existing plan or describe a new one.", field="target")
    policy.require(actor, "create", type_key="action")

    finding_uid = recommendation.finding_uid or ""
    text = recommendation.text.strip()
    action_data = {
        "title": (title or "").strip() or plans.shortened(text),
        "description": (description or "").strip() or text,
        "finding_uid": finding_uid,
        "finding_text": _finding_text(audit, finding_uid),
        "lead_name": (lead_name or "").strip(),
        "lead_email": (lead_email or "").strip().lower(),
        "agency": agency or "",
        "due_date": due_date,
        "themes": list(audit.themes or []),
    }
    errors = {}
    if not action_data["lead_name"]:
        errors["lead_name"] = "Name the lead for this action."
    if agency not in reference.agency_names():
        errors["agency"] = "Choose the agency that leads this action."

    if plan is not None:
        if isinstance(plan, str):
            try:
                plan = ActionPlan.objects(pk=plan).first()
            except (ValidationError, TypeError):
                plan = None
        if plan is None or plan.trashed:
            raise InvalidInput("Choose an existing plan.", field="plan")
        policy.require(actor, "view", plan)
        if plan.state == "closed":
            errors["plan"] = "That plan is closed; choose another or start a new one."
        if plan.kind == "single_agency" and agency and agency != plan.agency:
            errors["agency"] = (
                f"'{plan.title}' is {reference.agency_name(plan.agency)}'s own plan: the "
                "action's agency must be the same."
            )
    else:
        plan_data = {
            "title": (new_plan.get("title") or "").strip(),
            "kind": new_plan.get("kind") or "multi_agency",
            "agency": new_plan.get("agency") or None,
            "source_kind": "audit",
            "audit": audit,
            "finding_uids": [finding_uid] if finding_uid else [],
            "owner": actor_email(actor),
            "themes": list(audit.themes or []),
            "summary": f"Actions from the audit '{audit.title}'.",
        }
        if plan_data["kind"] == "single_agency" and agency and plan_data["agency"] \
                and plan_data["agency"] != agency:
            errors["agency"] = "A single-agency plan's actions belong to that agency."
        if not plan_data["title"]:
            errors["plan_title"] = "Give the new plan a title."
        # An id lets the draft action below refer to the plan before it exists.
        draft = ActionPlan(id=ObjectId(), **plan_data,
                           state=workflow.initial_state("action_plan"), created_at=now)
        try:
            content.validate(draft)
        except InvalidInput as error:
            errors.update({f"plan_{k}" if k in ("title", "kind", "agency") else k: v
                           for k, v in error.errors.items()})
        policy.require(actor, "create", draft)
    # Check the action as it will be stored (its due date against its plan's creation, the
    # plan taking it from this person); a new plan is checked as the draft it will be.
    probe = Action(**action_data, plan=plan if plan is not None else draft,
                   state=workflow.initial_state("action"))
    try:
        content.validate(probe)
    except InvalidInput as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    policy.require(actor, "create", probe)

    source = f"From recommendation of audit '{audit.title}'"
    created_plan = None
    if plan is None:
        plan = created_plan = content.create(ActionPlan, plan_data, actor, note=source,
                                             now=now)
    try:
        action = content.create(Action, {**action_data, "plan": plan}, actor, note=source,
                                now=now)
    except LIFError:
        if created_plan is not None:
            content.purge("action_plan", str(created_plan.pk), SYSTEM,
                          reason="Rolled back: its first action could not be created.")
        raise
    RecommendationLink(
        audit=audit, recommendation_uid=recommendation.uid, finding_uid=finding_uid,
        plan=plan, action=action, created_at=now, created_by=actor_email(actor),
    ).save()
    audit_trail.record(
        "recommendation_to_action", actor, audit, at=now,
        detail=f"'{action.title}' in plan '{plan.title}'",
    )
    return action


def recommendation_links(audit: Audit) -> dict[str, list[RecommendationLink]]:
    """Return the actions each recommendation became: ``{recommendation uid: [links]}``."""
    out: dict[str, list[RecommendationLink]] = defaultdict(list)
    for link in RecommendationLink.objects(audit=audit).order_by("created_at"):
        out[link.recommendation_uid].append(link)
    return dict(out)


def plans_for_actions(user, audit: Audit) -> list[ActionPlan]:
    """Return the open plans ``user`` can see that an action could join (this audit's first)."""
    flt = policy.view_filter(user, "action_plan")
    if flt is None:
        return []
    open_plans = list(ActionPlan.objects(__raw__=flt, state__ne="closed")
                      .only("title", "kind", "agency", "audit", "state").limit(500))
    return sorted(open_plans, key=lambda p: (p.audit is None or p.audit.pk != audit.pk,
                                             p.title.lower()))

