"""The workspace at a glance: an audit's counts, the audits a user may open, and the returns
a user still owes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ... import policy
from ...models import Audit, AuditTool, RecommendationLink, SampleDraw, ToolAssignment
from .cases import population_size
from .returns import answering_agencies
from .rules import ANSWER_STATES
from .tool_builder import latest_tools


@dataclass
class Overview:
    population: int
    sample: int
    draws: int
    tools: int
    published_tools: int
    returns: int
    returned: int
    recommendations: int
    actions: int


def overview(audit: Audit) -> Overview:
    """Return the counts the workspace's first page shows."""
    pop, smp = population_size(audit)
    return Overview(
        population=pop,
        sample=smp,
        draws=SampleDraw.objects(audit=audit, withdrawn_at=None).count(),
        tools=len(latest_tools(audit)),
        published_tools=AuditTool.objects(audit=audit, published=True).count(),
        returns=ToolAssignment.objects(audit=audit).count(),
        returned=ToolAssignment.objects(audit=audit, state="returned").count(),
        recommendations=len(audit.recommendations),
        actions=RecommendationLink.objects(audit=audit).count(),
    )


def audits_for(user, *, limit: int = 200) -> list[Audit]:
    """Return the audits ``user`` may see that are not closed, most recently changed first."""
    flt = policy.view_filter(user, "audit")
    if flt is None:
        return []
    return list(Audit.objects(__raw__=flt, state__ne="closed").order_by("-modified_at")
                .only("title", "audit_type", "state", "due_date", "modified_at").limit(limit))


def my_outstanding(user, *, limit: int = 200) -> list[ToolAssignment]:
    """Return the returns ``user`` answers for that are not yet returned, in open audits."""
    flt = policy.view_filter(user, "audit")
    if flt is None:
        return []
    audits = {a.pk: a for a in Audit.objects(__raw__=flt, state__in=list(ANSWER_STATES))
              .only("title", "participants", "state")}
    out = []
    for audit in audits.values():
        agencies = answering_agencies(user, audit)
        if not agencies or policy.is_admin(user):
            continue
        out.extend(ToolAssignment.objects(audit=audit, agency__in=agencies,
                                          state__ne="returned").limit(limit))
    return out[:limit]

