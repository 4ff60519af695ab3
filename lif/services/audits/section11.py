"""Section 11 self-assessments: the standards as a RAG-with-evidence tool, the panel's
scrutiny-and-challenge outcome per agency (the QAEC's to record), and each agency's ratings
with the outcome.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from ... import audit_trail, policy
from ...actors import actor_email
from ...errors import InvalidInput
from ...models import Audit, AuditTool, Question, Section11Outcome, ToolAssignment
from .. import reference
from .common import _now
from .returns import participant
from .rules import OUTCOME_LABELS, RAG, SECTION11_STANDARDS
from .tool_builder import create_tool


def create_section11_tool(audit: Audit, actor, *, name: str = "Section 11 self-assessment",
                          standards: list[str] | None = None,
                          now: dt.datetime | None = None) -> AuditTool:
    """Create the Section 11 self-assessment: one RAG-with-evidence question per standard.

    :raises InvalidInput: the audit is not a Section 11 self-assessment.
    """
    if audit.audit_type != "section_11":
        raise InvalidInput("Only a Section 11 self-assessment has Section 11 standards.")
    questions = [{"text": text, "kind": "rag"}
                 for text in (standards or SECTION11_STANDARDS)]
    return create_tool(audit, name, actor, purpose="section11", questions=questions, now=now)


def record_section11_outcome(
    audit: Audit,
    agency: str,
    data: dict,
    actor,
    *,
    now: dt.datetime | None = None,
) -> Section11Outcome:
    """Record (or replace) the panel's scrutiny-and-challenge outcome for one agency.

    The outcome is the panel's, recorded by the QAEC (``config.roles.DECISIONS``); the
    business manager may record it in their place only with ``override_reason``, kept on the
    outcome and shown as an override.

    :param data: ``outcome`` (a key of ``SECTION11_OUTCOMES``), ``challenge``,
        ``agreed_actions``, ``panel_date``, ``override_reason``.
    :raises PermissionDenied: the actor may not record it, even as an override.
    :raises InvalidInput: not a Section 11 audit, an agency not taking part, no outcome, a
        challenge without its reason, or an override without its reason.
    """
    now = _now(now)
    policy.require(actor, "record", audit, what="section11_outcome", override=True)
    if audit.audit_type != "section_11":
        raise InvalidInput("Only a Section 11 self-assessment has panel outcomes.")
    if participant(audit, agency) is None:
        raise InvalidInput("That agency is not taking part in this audit.", field="agency")
    outcome = data.get("outcome") or ""
    challenge = (data.get("challenge") or "").strip()
    if outcome not in OUTCOME_LABELS:
        raise InvalidInput("Choose the panel's outcome.", field="outcome")
    if outcome in ("challenged", "not_assured") and not challenge:
        raise InvalidInput("Record the panel's challenge.", field="challenge")
    whose = section11_in_place_of(audit, actor)
    reason = (data.get("override_reason") or "").strip()[:5000] if whose else ""
    if whose and not reason:
        raise InvalidInput(f"You record this in place of {whose}: give the reason.",
                           field="override_reason")
    values = {
        "outcome": outcome,
        "challenge": challenge[:10000],
        "agreed_actions": (data.get("agreed_actions") or "").strip()[:10000],
        "panel_date": data.get("panel_date") or None,
        "recorded_at": now,
        "recorded_by": actor_email(actor),
        "override_reason": reason,
    }
    Section11Outcome.objects(audit=audit, agency=agency).update_one(
        upsert=True, **{f"set__{k}": v for k, v in values.items()}
    )
    audit_trail.record("section11_outcome", actor, audit, at=now,
                       detail=f"{reference.agency_name(agency)}: {OUTCOME_LABELS[outcome]}"
                       + (f" (in place of {whose}: {reason})" if whose else ""))
    return Section11Outcome.objects.get(audit=audit, agency=agency)


def section11_in_place_of(audit: Audit, user) -> str:
    """Whose outcome ``user`` would record only as an override, in words ("" when they are
    a QAEC member): the page then asks for the reason."""
    roles = policy.in_place_of(user, "record", audit, what="section11_outcome")
    return policy.deciding_body(roles) if roles else ""


def may_record_section11_outcome(audit: Audit, user) -> bool:
    return policy.allows(user, "record", audit, what="section11_outcome", override=True)


def section11_override(outcome: Section11Outcome) -> str:
    """"Recorded by X in place of the QAEC: reason" for an outcome recorded as an override."""
    if not outcome.override_reason:
        return ""
    owners = policy.decision_owners("audit", "section11_outcome")
    return (f"Recorded by {outcome.recorded_by} in place of {policy.deciding_body(owners)}: "
            f"{outcome.override_reason}")


@dataclass
class SelfAssessment:
    """One agency's Section 11 self-assessment and the panel's outcome."""

    agency: str
    agency_name: str
    state: str
    ratings: list[tuple[Question, dict | None]]
    outcome: Section11Outcome | None

    @property
    def rag_counts(self) -> dict[str, int]:
        counts = Counter((v or {}).get("rating") for _, v in self.ratings)
        return {key: counts[key] for key, _ in RAG}


def section11_summary(audit: Audit) -> list[SelfAssessment]:
    """Return each agency's ratings and evidence per standard, with the panel's outcome."""
    outcomes = {o.agency: o for o in Section11Outcome.objects(audit=audit)}
    out = []
    sent = ToolAssignment.objects(audit=audit, case_ref="").order_by("agency")
    for assignment in sent:
        tool = assignment.tool
        if tool is None or tool.purpose != "section11":
            continue
        out.append(SelfAssessment(
            agency=assignment.agency,
            agency_name=reference.agency_name(assignment.agency),
            state=assignment.state,
            ratings=[(q, assignment.answers.get(q.uid)) for q in tool.questions],
            outcome=outcomes.get(assignment.agency),
        ))
    return sorted(out, key=lambda s: s.agency_name)

