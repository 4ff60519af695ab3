"""A Learning and Improvement action plan, in the framework's L&I action plan layout.

"L & I Action plan to include: L&I actions / Named leads with responsibility / Timescales /
Evidence of Impact or Practice improvement. Also to include MA learning." One table holds
the actions (the finding each answers, the action, its named lead and agency, the timescale,
status and RAG — :func:`lif.services.plans.rag`, the one place RAG is decided — and the
evidence of impact); then each action's progress updates. Publishable: written through the
publication redactor.
"""

from __future__ import annotations

from collections.abc import Callable

from lif import policy, workflow
from lif.models import Action, ActionPlan
from lif.models.action_plan import ACTION_STATUSES, PDC_VERDICTS, PLAN_KINDS
from lif.services import plans
from lif.services.plans import rag

from .common import DocumentBuilder, agency_label, fmt_date, publication_redactor

TITLE = "Learning and Improvement Action Plan"
ACTION_HEADER = ("No.", "Learning (finding)", "L&I action", "Named lead", "Agency",
                 "Timescale", "Status", "RAG", "Evidence of impact or practice improvement")
_STATUS = dict(ACTION_STATUSES)
_VERDICT = dict(PDC_VERDICTS)
_KIND = dict(PLAN_KINDS)


def actions_of(plan: ActionPlan, actor) -> list[Action]:
    """Return the actions of ``plan`` that ``actor`` may view, by due date."""
    flt = policy.view_filter(actor, "action")
    if flt is None:
        return []
    return plans.read_records(list(Action.objects(__raw__={"$and": [flt, {"plan": plan.pk}]})
                                   .order_by("due_date", "created_at")))


def status_label(action: Action) -> str:
    return _STATUS.get(action.state, action.state)


def evidence_text(action: Action) -> str:
    """Return an action's evidence of impact as lines: description, measure, PDC verdict."""
    lines = []
    for item in action.evidence:
        line = item.description
        if item.measure:
            line += f" (measure: {item.measure})"
        if item.pdc_verdict:
            line += f" [PDC: {_VERDICT.get(item.pdc_verdict, item.pdc_verdict)}]"
        lines.append(line)
    return "\n".join(lines) or "None yet."


def plan_fields(plan: ActionPlan) -> list[tuple[str, str]]:
    """Return the plan's details as (label, value) rows."""
    kind = _KIND.get(plan.kind, plan.kind)
    if plan.kind == "single_agency":
        kind = f"{kind}: {agency_label(plan.agency)}"
    return [
        ("Plan", plan.title),
        ("Type", kind),
        ("Learning source", plan.source_title or "Not recorded"),
        ("Owner", plan.owner or "Not recorded"),
        ("Status", workflow.state_title(plan)),
        ("Ratified", fmt_date(plan.ratified_on, "Not yet ratified")),
        ("Next PDC six-month review", fmt_date(plan.next_pdc_review, "Not scheduled")),
        ("Closed", fmt_date(plan.closed_on, "Open")),
    ]


def action_rows(actions: list[Action]) -> list[tuple[str, ...]]:
    return [
        (str(number), action.finding_text or "", action.description, action.lead_name,
         agency_label(action.agency), fmt_date(action.due_date), status_label(action),
         rag(action).capitalize(), evidence_text(action))
        for number, action in enumerate(actions, 1)
    ]


def build(plan: ActionPlan, actor, *,
          progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return ``plan`` as an L&I action plan .docx.

    :param plan: The action plan.
    :param actor: Who it is written for; only the actions they may view are listed.
    :param progress: Called with (actions written, total).
    """
    actions = actions_of(plan, actor)
    b = DocumentBuilder(f"{TITLE}: {plan.title}", actor, subject="L&I action plan",
                        redact=publication_redactor(), landscape=True,
                        keywords="action plan; learning and improvement")
    b.fields(plan_fields(plan))
    if plan.summary:
        b.heading("Summary", 1)
        b.paragraphs(plan.summary)
    b.heading("L&I actions", 1)
    if actions:
        b.table(ACTION_HEADER, action_rows(actions), rag_column=7,
                widths=(1, 4.5, 5, 3, 2.5, 2.3, 2, 1.6, 4.5))
    else:
        b.paragraph("No actions yet.", italic=True)
    b.heading("Progress updates", 1)
    for number, action in enumerate(actions, 1):
        b.heading(f"Action {number}: {action.title}", 2)
        updates = sorted(action.progress, key=lambda u: u.at)
        if updates:
            b.bullets(f"{fmt_date(u.at)}: {u.text}" for u in updates)
        else:
            b.paragraph("No progress recorded.", italic=True)
        if progress is not None:
            progress(number, len(actions))
    return b.to_bytes()
