"""Phase 3, the returns: sending a tool (one return per sampled case per agency), who answers
for an agency, saving and returning the answers, reopening a return, and who has not returned
what.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mongoengine.errors import NotUniqueError

from ... import audit_trail, policy
from ...actors import actor_email
from ...errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ...models import Audit, AuditCase, AuditTool, Participant, Question, ToolAssignment
from .. import reference
from .cases import population
from .common import _now, _one_of, _require_setup, percent
from .rules import ANSWER_STATES, MAX_POPULATION_ROWS, MAX_TEXT_ANSWER, RAG, YES_NO_NA


def participant(audit: Audit, agency: str) -> Participant | None:
    return next((p for p in audit.participants if p.agency == agency), None)


def may_answer_for(user, audit: Audit, agency: str) -> bool:
    """Whether ``user`` answers for ``agency`` in ``audit``.

    The participant's named lead auditor (by email), or a ``lead``/``qaec`` user of that
    agency; an administrator may enter any agency's return.
    """
    return policy.allows(user, "answer_for", audit, agency=agency)


def answering_agencies(user, audit: Audit) -> list[str]:
    """The agencies of ``audit`` that ``user`` answers for."""
    candidates = {p.agency for p in audit.participants}
    if getattr(user, "agency", None):
        candidates.add(user.agency)
    return sorted(a for a in candidates if may_answer_for(user, audit, a))


def assign_tool(
    audit: Audit,
    tool: AuditTool,
    actor,
    *,
    to: str | list[str] = "referring",
    now: dt.datetime | None = None,
) -> int:
    """Send a published tool: one return per sampled case per agency (or per agency).

    :param to: ``"referring"`` (each case to its referring agency, as in the Front Door
        audit), ``"participants"`` (each case to every agency taking part), or a list of
        agency keys. A Section 11 tool goes once to each of these agencies, with no case.
    :return: how many new returns were created (existing ones are left as they are).
    :raises InvalidInput: the tool is a draft, there is no sample, or an agency is not taking
        part in the audit.
    """
    now = _now(now)
    _require_setup(actor, audit)
    if tool.audit.pk != audit.pk:
        raise NotFound("No such audit tool in this audit.")
    if not tool.published:
        raise InvalidInput("Publish the tool before sending it.", field="tool")
    taking_part = [p.agency for p in audit.participants]
    names = reference.agency_names()
    if isinstance(to, list | tuple):
        chosen = list(dict.fromkeys(to))
        if not chosen:
            raise InvalidInput("Choose the agencies to send the tool to.", field="to")
    elif to in ("referring", "participants"):
        chosen = None
    else:
        raise InvalidInput("Choose who the tool goes to.", field="to")
    pairs: list[tuple[AuditCase | None, str]] = []
    if tool.purpose == "section11":
        targets = chosen if chosen is not None else taking_part
        pairs = [(None, agency) for agency in targets]
    else:
        sample = population(audit, in_sample=True, limit=MAX_POPULATION_ROWS)
        if not sample:
            raise InvalidInput("Draw the sample before sending the tool.", field="tool")
        for case in sample:
            if chosen is not None:
                targets = chosen
            elif to == "referring":
                targets = [case.agency]
            else:
                targets = taking_part
            pairs.extend((case, agency) for agency in targets)
    outside = sorted({agency for _, agency in pairs if agency not in taking_part})
    if outside:
        listed = ", ".join(names.get(a, a) for a in outside)
        raise InvalidInput(
            f"Not taking part in this audit: {listed}. Add them to the audit's agencies, with "
            "a lead auditor each, first.", field="to",
        )
    existing = set(
        ToolAssignment.objects(audit=audit, tool_key=tool.key).scalar("case_ref", "agency")
    )
    created = 0
    for case, agency in pairs:
        ref = case.case_ref if case is not None else ""
        if (ref, agency) in existing:
            continue
        assignment = ToolAssignment(
            audit=audit, case=case, case_ref=ref, agency=agency, tool=tool, tool_key=tool.key,
            tool_version=tool.version, assigned_at=now, assigned_by=actor_email(actor),
        )
        try:
            assignment.save(force_insert=True)
        except NotUniqueError:
            continue  # sent by someone else at the same moment: that one stands
        existing.add((ref, agency))
        created += 1
    audit_trail.record("assign_tool", actor, audit, at=now,
                       detail=f"{tool}: {created} returns requested")
    return created


def assignments(audit: Audit, *, agency: str | None = None,
                agencies: list[str] | None = None) -> list[ToolAssignment]:
    """Return the audit's returns (optionally of some agencies), by case and agency."""
    query = ToolAssignment.objects(audit=audit)
    if agency is not None:
        query = query.filter(agency=agency)
    if agencies is not None:
        query = query.filter(agency__in=agencies)
    # One query for the tools of all these returns, not one per row.
    return list(query.order_by("case_ref", "agency").select_related(max_depth=1))


def get_assignment(audit: Audit, assignment_id) -> ToolAssignment:
    """Return one return of ``audit``.

    :raises NotFound: no such return in this audit.
    """
    return _one_of(ToolAssignment, audit, assignment_id, "No such return in this audit.")


def _clean_answer(question: Question, value, *, final: bool):
    """Return ``value`` in its stored form for ``question``; ``None`` when unanswered."""
    kind = question.kind
    if kind == "multiple":
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        values = [str(v) for v in values if str(v).strip()]
        unknown = [v for v in values if v not in question.options]
        if unknown:
            raise ValueError("Choose from the listed options.")
        return [o for o in question.options if o in values] or None
    if kind == "rag":
        value = value if isinstance(value, dict) else {"rating": value}
        rating = (value.get("rating") or "").strip()
        evidence = (value.get("evidence") or "").strip()
        if not rating and not evidence:
            return None
        if rating not in dict(RAG):
            raise ValueError("Choose red, amber or green.")
        if final and not evidence:
            raise ValueError("Give the evidence for this rating.")
        if len(evidence) > MAX_TEXT_ANSWER:
            raise ValueError(f"Keep the evidence under {MAX_TEXT_ANSWER:,} characters.")
        return {"rating": rating, "evidence": evidence}
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind == "yes_no_na":
        text = str(value).strip().lower()
        text = {"y": "yes", "n": "no", "n/a": "na", "not applicable": "na"}.get(text, text)
        if text not in dict(YES_NO_NA):
            raise ValueError("Answer yes, no or not applicable.")
        return text
    if kind == "single":
        if str(value) not in question.options:
            raise ValueError("Choose one of the listed options.")
        return str(value)
    if kind == "scale":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("Choose a point on the scale.") from None
        if not question.scale_min <= number <= question.scale_max:
            raise ValueError(
                f"Choose from {question.scale_min} to {question.scale_max}."
            )
        return number
    text = str(value).strip()
    if len(text) > MAX_TEXT_ANSWER:
        raise ValueError(f"Keep the answer under {MAX_TEXT_ANSWER:,} characters.")
    return text


def save_answers(
    assignment: ToolAssignment,
    answers: dict,
    actor,
    *,
    submit: bool = False,
    base_version: int | None = None,
    now: dt.datetime | None = None,
) -> ToolAssignment:
    """Save an agency's answers to one return; with ``submit``, return it to the committee.

    :param answers: ``{question uid: value}`` for the tool version the return was sent with.
    :param base_version: the return's ``version`` the form was based on.
    :raises PermissionDenied: the actor does not answer for this agency.
    :raises InvalidInput: the audit is not in fieldwork, the return was already sent back, an
        answer does not fit its question, or (on submit) a required question is unanswered;
        the errors name the questions (``q_<uid>``); nothing is stored.
    :raises Conflict: the return was saved by someone else meanwhile.
    """
    now = _now(now)
    audit = assignment.audit
    if not may_answer_for(actor, audit, assignment.agency):
        raise PermissionDenied(
            f"You do not answer for {reference.agency_name(assignment.agency)} in this audit."
        )
    if audit.state not in ANSWER_STATES:
        raise InvalidInput("Answers are taken while the audit tools are out (fieldwork).")
    if assignment.state == "returned":
        raise InvalidInput("This return was already sent; ask the committee to reopen it.")
    tool = assignment.tool
    known = {q.uid for q in tool.questions}
    stray = [uid for uid in answers if uid not in known]
    if stray:
        raise InvalidInput("Some answers are for questions this tool version does not ask.")
    cleaned: dict = {}
    errors: dict[str, str] = {}
    for question in tool.questions:
        try:
            value = _clean_answer(question, answers.get(question.uid), final=submit)
        except ValueError as error:
            errors[f"q_{question.uid}"] = str(error)
            continue
        if value is None:
            if submit and question.required:
                errors[f"q_{question.uid}"] = "Answer this question before returning the tool."
            continue
        cleaned[question.uid] = value
    if errors:
        first = next(iter(errors.values()))
        count = len(errors)
        message = first if count == 1 else f"{count} answers need attention. {first}"
        raise InvalidInput(message, errors=errors)
    expected = assignment.version if base_version is None else int(base_version)
    changes = {
        "set__answers": cleaned,
        "set__saved_at": now,
        "set__saved_by": actor_email(actor),
        "set__state": "returned" if submit else "in_progress",
        "inc__version": 1,
    }
    if submit:
        changes.update(set__returned_at=now, set__returned_by=actor_email(actor))
    updated = ToolAssignment.objects(
        pk=assignment.pk, version=expected, state__ne="returned"
    ).update_one(**changes)
    if not updated:
        raise Conflict("This return was saved by someone else meanwhile; reload it.")
    assignment.reload()
    audit_trail.record(
        "return_tool" if submit else "save_answers", actor, audit, at=now,
        detail=f"{assignment.case_ref or 'self-assessment'} · "
               f"{reference.agency_name(assignment.agency)} · {tool}",
    )
    return assignment


def reopen_return(assignment: ToolAssignment, actor, reason: str, *,
                  now: dt.datetime | None = None) -> ToolAssignment:
    """Send a returned tool back to its agency for changes (the committee's step).

    :raises InvalidInput: no reason, or the return is not returned.
    """
    now = _now(now)
    policy.require(actor, "edit", assignment.audit)
    if not (reason or "").strip():
        raise InvalidInput("Say why the return is reopened.", field="reason")
    updated = ToolAssignment.objects(pk=assignment.pk, state="returned").update_one(
        set__state="in_progress", inc__version=1
    )
    if not updated:
        raise InvalidInput("Only a returned tool can be reopened.")
    assignment.reload()
    audit_trail.record("reopen_return", actor, assignment.audit, at=now,
                       detail=f"{assignment.case_ref} · {assignment.agency}: {reason.strip()}")
    return assignment


@dataclass
class AgencyProgress:
    """How far one agency is with its returns."""

    agency: str
    agency_name: str
    lead_auditor: str
    total: int = 0
    returned: int = 0
    outstanding: list[ToolAssignment] = field(default_factory=list)
    tool_names: dict = field(default_factory=dict)  # tool id → "name (version n)"

    @property
    def percent_returned(self) -> int:
        return percent(self.returned, self.total)


def progress(audit: Audit) -> list[AgencyProgress]:
    """Return, per agency, how many returns were asked for and returned, and what is
    outstanding (who has not returned what)."""
    rows: dict[str, AgencyProgress] = {}
    for p in audit.participants:
        rows[p.agency] = AgencyProgress(p.agency, reference.agency_name(p.agency),
                                        p.lead_auditor)
    names = {t.pk: str(t) for t in AuditTool.objects(audit=audit).only("name", "version")}
    query = ToolAssignment.objects(audit=audit).only(
        "case_ref", "agency", "state", "tool", "tool_version", "saved_at"
    ).order_by("case_ref").no_dereference()
    for assignment in query:
        row = rows.get(assignment.agency)
        if row is None:
            row = rows[assignment.agency] = AgencyProgress(
                assignment.agency, reference.agency_name(assignment.agency), "")
        row.total += 1
        if assignment.state == "returned":
            row.returned += 1
        else:
            row.outstanding.append(assignment)
            tool_id = getattr(assignment.tool, "id", assignment.tool)
            row.tool_names[tool_id] = names.get(tool_id, "")
    return sorted(rows.values(), key=lambda r: r.agency_name)


@dataclass
class PendingReturn:
    """What one agency still owes an audit: for a reminder to its lead auditor."""

    audit_id: str
    audit_title: str
    agency: str
    lead_auditor: str
    case_refs: list[str]
    tools: list[str]
    due_date: dt.date | None


def pending_returns(audit: Audit) -> list[PendingReturn]:
    """Return, per agency with outstanding returns, what it has not returned.

    For the reminder sweep (#6): only audits in fieldwork owe returns; the reminder goes to
    the participant's lead auditor.
    """
    if audit.state not in ANSWER_STATES or audit.trashed:
        return []
    out = []
    for row in progress(audit):
        if not row.outstanding:
            continue
        tool_names = sorted(name for name in row.tool_names.values() if name)
        out.append(PendingReturn(
            audit_id=str(audit.pk), audit_title=audit.title, agency=row.agency,
            lead_auditor=row.lead_auditor,
            case_refs=[a.case_ref or "self-assessment" for a in row.outstanding],
            tools=tool_names, due_date=audit.due_date,
        ))
    return out

