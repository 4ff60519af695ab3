"""Phase 1, plan: the audit's type, theme, scope, the agencies taking part with a lead
auditor each, and its timescale; creating and changing the audit item itself.
"""

from __future__ import annotations

import datetime as dt

from config import taxonomy

from ... import emails
from ...errors import InvalidInput
from ...models import Audit, Participant
from .. import content, reference


def _participants(rows, stored=()) -> list[Participant]:
    """The agencies taking part, each one of the agencies (chosen, never typed) with its
    lead auditor's email. A row exactly as ``stored`` is kept as it is: what nobody changed
    never blocks saving another change.

    :raises InvalidInput: on ``participants``, naming each row's problem.
    """
    names = reference.agency_names()
    unchanged = {(p.agency, p.lead_auditor) for p in stored}
    seen: set[str] = set()
    problems: list[str] = []
    out: list[Participant] = []
    for number, row in enumerate(rows or [], start=1):
        if isinstance(row, Participant):
            agency, lead = row.agency, row.lead_auditor
        else:
            agency, lead = row.get("agency"), row.get("lead_auditor")
        agency = (agency or "").strip()
        lead = (lead or "").strip()
        if not agency and not lead:
            continue
        if (agency, lead) in unchanged:
            seen.add(agency)
            out.append(Participant(agency=agency, lead_auditor=lead))
            continue
        lead = lead.lower()
        if agency not in names:
            problems.append(f"participant {number}: choose one of the agencies")
        elif agency in seen:
            problems.append(f"participant {number}: {names[agency]} is listed twice")
        seen.add(agency)
        if not lead:
            problems.append(f"participant {number}: give the lead auditor's email")
        elif not emails.is_email(lead):
            problems.append(f"participant {number}: '{lead}' is not an email address")
        out.append(Participant(agency=agency, lead_auditor=lead))
    if problems:
        message = "Check the agencies taking part: " + "; ".join(problems) + "."
        raise InvalidInput(message, field="participants")
    return out


def _checked(data: dict, stored: Audit | None) -> dict:
    """``data`` for an audit, its choices checked: participants from the agencies, the
    theme from the themes, each recommendation's finding one of the audit's findings.
    Values as ``stored`` are left as they are.

    :raises InvalidInput: with the message at each field concerned; nothing is stored.
    """
    data = dict(data)
    errors: dict[str, str] = {}
    if "participants" in data:
        try:
            data["participants"] = _participants(data["participants"],
                                                 stored.participants if stored else ())
        except InvalidInput as error:
            errors.update(error.errors)
    theme = data.get("theme") or ""
    if theme and theme not in dict(taxonomy.THEMES) and theme != (stored.theme if stored
                                                                  else None):
        errors["theme"] = "Choose one of the themes."
    if "recommendations" in data:
        findings = data.get("findings", stored.findings if stored else [])
        known = {finding.uid for finding in findings or [] if finding.uid}
        for number, recommendation in enumerate(data["recommendations"] or [], start=1):
            uid = recommendation.finding_uid or ""
            if uid and uid not in known:
                errors["recommendations"] = (
                    f"Recommendation {number} answers a finding that is not one of this "
                    "audit's findings: choose one of them, or none.")
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return data


def create_audit(data: dict, actor, *, now: dt.datetime | None = None) -> Audit:
    """Create an audit from a form: its choices checked (:func:`_checked`), then stored.

    :raises PermissionDenied: the actor may not create audits.
    :raises InvalidInput: a field is missing or wrong; nothing is stored.
    """
    return content.create(Audit, _checked(data, None), actor, now=now)


def update_audit(audit: Audit, data: dict, actor, *, base_version: int | None,
                 now: dt.datetime | None = None) -> Audit:
    """Change an audit from a form: its choices checked (:func:`_checked`), then stored.

    :raises PermissionDenied: the actor may not make this change.
    :raises InvalidInput: a field is wrong; nothing is stored.
    :raises Conflict: someone saved a newer version first.
    """
    return content.update(audit, _checked(data, audit), actor, base_version=base_version,
                          now=now)


def plan_audit(data: dict, actor, *, now: dt.datetime | None = None) -> Audit:
    """Plan an audit: type, theme, scope and question, agencies with a lead auditor each,
    timescale and the committee it reports to.

    :param data: ``title``, ``audit_type`` (a key of ``taxonomy.AUDIT_TYPES``), ``theme``,
        ``scope``, ``question``, ``participants`` (``[{"agency", "lead_auditor"}]``),
        ``start_date``, ``due_date``, ``committee`` and any other :class:`Audit` field.
    :raises PermissionDenied: the actor may not create audits.
    :raises InvalidInput: a field is missing or wrong; nothing is stored.
    """
    data = dict(data)
    participants = _participants(data.get("participants"))
    if not participants:
        raise InvalidInput(
            "Name at least one agency taking part, with its lead auditor.", field="participants"
        )
    if data.get("audit_type") == "single_agency" and len(participants) != 1:
        raise InvalidInput(
            "A single agency audit has exactly one agency taking part.", field="participants"
        )
    errors = {}
    if not data.get("start_date"):
        errors["start_date"] = "Give the date the audit starts."
    if not data.get("due_date"):
        errors["due_date"] = "Give the date the audit is due to report."
    theme = data.get("theme") or ""
    themes = dict(taxonomy.THEMES)
    if theme and theme not in themes:
        errors["theme"] = "Choose one of the themes."
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    data["participants"] = participants
    data["agencies"] = sorted({*(data.get("agencies") or []), *(p.agency for p in participants)})
    if theme:
        data["themes"] = sorted({*(data.get("themes") or []), theme})
    data.setdefault("section", "audit")
    return content.create(Audit, data, actor, note="Audit planned", now=now)

