"""Run an audit end to end, as the Quality and Audit Evidence Committee does.

Plan the audit; import its case population; draw the sample by a stored, reproducible rule;
build versioned audit tools; send one tool per case per agency; let each agency's lead auditor
answer for that agency only; see who has not returned what; compute the findings per question,
overall and by agency; hand recommendations to action plans; and, for a Section 11
self-assessment, collect each agency's RAG self-rating with evidence per standard and record the
panel's scrutiny-and-challenge outcome.

Every rule of this work is in this module (the states each step is open in, who may answer,
the columns a population file needs, how percentages are rounded). Views, the command line and
the scheduler call these functions; nothing else writes the audit's working records.

Percentages are whole numbers found by the largest-remainder method (see :func:`percentages`).
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bson import ObjectId
from mongoengine import ValidationError
from mongoengine.errors import BulkWriteError, NotUniqueError, SaveConditionError

from config import taxonomy

from .. import audit_trail, clock, emails, policy, workflow
from ..actors import SYSTEM, actor_email
from ..dates import read_date
from ..errors import Conflict, InvalidInput, LIFError, NotFound, PermissionDenied
from ..models import (
    Action,
    ActionPlan,
    Audit,
    AuditCase,
    AuditTool,
    Participant,
    Question,
    RecommendationLink,
    SampleDraw,
    Section11Outcome,
    ToolAssignment,
)
from ..models.audit_work import QUESTION_KINDS, SAMPLE_RULES, SECTION11_OUTCOMES
from ..models.learning import new_uid
from ..rows import Table, cell_text
from . import content, plans, reference

# --- the rules ------------------------------------------------------------------------------

# Audit states in which the committee sets the audit up: population, sample, tools,
# assignments. Top-ups are drawn during fieldwork too (the Front Door audit added 6 cases).
SETUP_STATES = ("planned", "sampling", "fieldwork")
# Audit states in which lead auditors answer: the tools are out.
ANSWER_STATES = ("fieldwork",)
# Besides the participant's named lead auditor (by email), users with one of these roles whose
# agency is the assignment's agency answer for it. An administrator may enter any return
# (paper returns sent to the LSCB office).

REQUIRED_COLUMNS = ("case_ref", "agency")
KNOWN_COLUMNS = (
    "case_ref", "agency", "age_band", "gender", "area", "ethnicity", "referred_on", "closed_on",
)
COLUMN_ALIASES = {
    "case": "case_ref",
    "case_id": "case_ref",
    "case_no": "case_ref",
    "case_number": "case_ref",
    "case_reference": "case_ref",
    "reference": "case_ref",
    "ref": "case_ref",
    "referring_agency": "agency",
    "agency_key": "agency",
    "referrer": "agency",
    "age": "age_band",
    "age_group": "age_band",
    "sex": "gender",
    "locality": "area",
    "ward": "area",
    "district": "area",
    "referral_date": "referred_on",
    "date_of_referral": "referred_on",
    "date_referred": "referred_on",
    "referred": "referred_on",
    "closure_date": "closed_on",
    "date_closed": "closed_on",
    "closed": "closed_on",
}
DATE_COLUMNS = ("referred_on", "closed_on")
MAX_POPULATION_ROWS = 50_000
MAX_EXTRA_COLUMNS = 30
SHOWN_PROBLEMS = 20

# Attributes a top-up may filter on, and those the sample's make-up is shown by.
CRITERIA_FIELDS = ("agency", "age_band", "gender", "area", "ethnicity")
MAKEUP_FIELDS = (("agency", "Referring agency"), ("age_band", "Age band"), ("gender", "Gender"))
MAX_SEED = 2**62

YES_NO_NA = (("yes", "Yes"), ("no", "No"), ("na", "Not applicable"))
RAG = (("red", "Red"), ("amber", "Amber"), ("green", "Green"))
CHOICE_KINDS = ("single", "multiple")
MIN_OPTIONS = 2
MAX_OPTIONS = 40
MAX_SCALE_STEPS = 100
MAX_TEXT_ANSWER = 10_000

# The Section 11 standards (Working Together to Safeguard Children 2015, chapter 2,
# paragraph 4): the starting questionnaire of a self-assessment; the committee may edit it.
SECTION11_STANDARDS = (
    "A clear line of accountability for the commissioning and/or provision of services "
    "designed to safeguard and promote the welfare of children.",
    "A senior board level lead to take leadership responsibility for the organisation's "
    "safeguarding arrangements.",
    "A culture of listening to children and taking account of their wishes and feelings, both "
    "in individual decisions and the development of services.",
    "Arrangements which set out clearly the processes for sharing information, with other "
    "professionals and with the LSCB.",
    "A designated professional lead (or, for health provider organisations, named "
    "professionals) for safeguarding.",
    "Safe recruitment practices for individuals whom the organisation will permit to work "
    "regularly with children, including policies on when to obtain a criminal record check.",
    "Appropriate supervision and support for staff, including undertaking safeguarding "
    "training.",
    "Clear policies, in line with those from the LSCB, for dealing with allegations against "
    "people who work with children.",
)

KIND_LABELS = dict(QUESTION_KINDS)
RULE_LABELS = dict(SAMPLE_RULES)
OUTCOME_LABELS = dict(SECTION11_OUTCOMES)


# --- percentages ----------------------------------------------------------------------------


def percent(count: int, total: int) -> int:
    """Return ``count`` as a whole percentage of ``total``, rounded half up (0 when no total).

    Integer arithmetic, so 18.75 is 19 and 31.25 is 31 with no floating-point surprises. Used
    where parts do not add up to a whole (multiple-choice options, a part shown alone).
    """
    if total <= 0:
        return 0
    return (200 * count + total) // (2 * total)


def percentages(counts: list[int]) -> list[int]:
    """Return whole percentages of ``counts`` that add up to exactly 100.

    The rule is the largest-remainder (Hamilton) method: each part gets the whole part of its
    exact percentage; the points still missing to reach 100 go, one each, to the parts with the
    largest remainders (on equal remainders, the larger count, then the earlier part). It
    agrees with rounding half up whenever that already adds up to 100, and otherwise moves the
    fewest points.

    It reproduces the Front Door audit's published figures from its 32 returned tools:
    10/22 → 31% and 69%; 10/16/6 → 31%, 50%, 19%; 29/3 → 91% (and 9%); 15/17 → 47% and 53%;
    10/7/3/5/7 → 31%, 22%, 9%, 16%, 22%. The report also prints 19/13 as "60%" and "40%";
    exactly those are 59.375% and 40.625%, and no rounding rule that gives the report's
    other figures gives 60/40 (it rounds 40.625 down there and 90.625 up for 29/32; every
    standard apportionment method gives 59/41). This function returns 59 and 41; see
    docs/audits.md.
    """
    total = sum(counts)
    if total <= 0:
        return [0 for _ in counts]
    floors = [100 * c // total for c in counts]
    remainders = [100 * c % total for c in counts]
    missing = 100 - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], -counts[i], i))
    for index in order[:missing]:
        floors[index] += 1
    return floors


def format_count(count: int, pct: int | None) -> str:
    """Return a count the way the published reports print it: ``"19 (60%)"``."""
    return f"{count} ({pct}%)" if pct is not None else str(count)


# --- helpers --------------------------------------------------------------------------------


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or clock.now()


def _agency_lookup() -> dict[str, str]:
    """Map agency keys and names (lower-cased) to keys."""
    lookup: dict[str, str] = {}
    for key, name in reference.agency_names().items():
        lookup[key.lower()] = key
        lookup[name.lower()] = key
    return lookup


def _require_setup(actor, audit: Audit) -> None:
    policy.require(actor, "edit", audit)
    if audit.state not in SETUP_STATES and not policy.is_admin(actor):
        raise PermissionDenied(
            "The audit is past fieldwork: its population, sample and tools are fixed."
        )


def _problems_error(lead: str, problems: list[str], field_name: str = "file") -> InvalidInput:
    shown = problems[:SHOWN_PROBLEMS]
    more = len(problems) - len(shown)
    message = f"{lead}: " + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    message += ". Nothing was stored."
    return InvalidInput(message, field=field_name)


def get_audit(audit_id, user) -> Audit:
    """Return the audit ``audit_id`` if ``user`` may see it.

    :raises NotFound: no such audit.
    :raises PermissionDenied: the user may not see it.
    """
    return content.get("audit", audit_id, user)


# --- 1. plan --------------------------------------------------------------------------------


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


# --- 2. population --------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What an import stored."""

    added: int
    batch: str
    columns: list[str]
    extra_columns: list[str]


def _column_key(key: str) -> str:
    return COLUMN_ALIASES.get(key, key)


def _row_to_case(
    audit, values: dict, agencies: dict[str, str], given_dates: dict | None = None
) -> tuple[AuditCase, list[str]]:
    """Build a case from ``values`` (text by column) and ``given_dates`` (the date columns as
    given: text, a number or a date; ``values`` when not given)."""
    given_dates = values if given_dates is None else given_dates
    problems = []
    case_ref = values.get("case_ref", "")
    if not case_ref:
        problems.append("no case reference")
    elif len(case_ref) > 64:
        problems.append("the case reference is longer than 64 characters")
    agency_text = values.get("agency", "")
    agency = agencies.get(agency_text.lower())
    if not agency_text:
        problems.append("no agency")
    elif agency is None:
        problems.append(f"'{agency_text}' is not a known agency (use its key or full name)")
    dates = {}
    for name in DATE_COLUMNS:
        try:
            dates[name] = read_date(given_dates.get(name), name)
        except InvalidInput as error:
            problems.append(f"{name}: {error.message.rstrip('.')}")
    case = AuditCase(
        audit=audit,
        case_ref=case_ref,
        agency=agency or agency_text,
        age_band=values.get("age_band", ""),
        gender=values.get("gender", ""),
        area=values.get("area", ""),
        ethnicity=values.get("ethnicity", ""),
        referred_on=dates.get("referred_on"),
        closed_on=dates.get("closed_on"),
        extra={k: v for k, v in values.items() if k not in KNOWN_COLUMNS and v != ""},
    )
    if not problems:
        try:
            case.validate()
        except ValidationError as error:
            problems.extend(f"{k}: {v}" for k, v in content.flatten_errors(error).items())
    return case, problems


def import_population(
    audit: Audit, table: Table, actor, *, source: str = "", now: dt.datetime | None = None
) -> ImportResult:
    """Add the cases of a table to the audit's population, all or nothing.

    The table comes from :func:`documents.tables.read_table` (file type, encoding, zip checks,
    header, row count all checked there). Its columns: ``case_ref`` and ``agency`` are
    required; ``age_band``, ``gender``, ``area``, ``ethnicity``, ``referred_on``,
    ``closed_on`` are known (with common aliases such as "Case reference" or "Referring
    agency"); any other column is kept in ``extra``. Agencies are given by key or full name;
    dates as :func:`lif.dates.read_date` reads them.

    :param source: What the table was read from (a file name), for the audit trail.
    :raises PermissionDenied: the actor may not set this audit up.
    :raises InvalidInput: missing columns, or rows with problems (each named by its row
        number, including duplicate case references within the file or with the population
        already stored); nothing is stored.
    :raises Conflict: another import stored some of the same cases at the same moment.
    """
    now = _now(now)
    _require_setup(actor, audit)
    columns = [_column_key(key) for key in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        found = ", ".join(name for name in table.headers if name) or "none"
        raise InvalidInput(
            f"The file has no {' or '.join(missing)} column (row {table.header_row} must name "
            f"the columns; found: {found}). Nothing was stored.",
            field="file",
        )
    repeated = [c for c, n in Counter(columns).items() if n > 1]
    if repeated:
        raise InvalidInput(
            f"Row {table.header_row} names the column {', '.join(repeated)} more than once. "
            "Nothing was stored.",
            field="file",
        )
    extra = [c for c in columns if c not in KNOWN_COLUMNS]
    if len(extra) > MAX_EXTRA_COLUMNS:
        raise InvalidInput(
            f"The file has {len(extra)} columns LIF does not know; at most "
            f"{MAX_EXTRA_COLUMNS} are kept. Remove some and try again.", field="file",
        )
    if len(table) > MAX_POPULATION_ROWS:
        raise InvalidInput(
            f"The file has more than {MAX_POPULATION_ROWS} cases; split it.", field="file"
        )
    agencies = _agency_lookup()
    existing = set(AuditCase.objects(audit=audit).scalar("case_ref"))
    first_row_of: dict[str, int] = {}
    problems: list[str] = []
    cases: list[AuditCase] = []
    batch = new_uid()
    for row in table:
        cells = {column: row.get(key) for column, key in zip(columns, table.columns,
                                                              strict=True)}
        values = {column: cell_text(cell) for column, cell in cells.items()}
        case, row_problems = _row_to_case(audit, values, agencies, cells)
        ref = case.case_ref
        if ref and ref in first_row_of:
            row_problems.append(f"case '{ref}' is also on row {first_row_of[ref]}")
        elif ref and ref in existing:
            row_problems.append(f"case '{ref}' is already in this audit's population")
        if ref:
            first_row_of.setdefault(ref, row.number)
        problems.extend(f"row {row.number}: {p}" for p in row_problems)
        case.batch, case.added_at, case.added_by = batch, now, actor_email(actor)
        cases.append(case)
    if problems:
        raise _problems_error("The population was not imported", problems)
    try:
        AuditCase.objects.insert(cases, load_bulk=False)
    except (NotUniqueError, BulkWriteError):  # (one case, or several, taken meanwhile)
        AuditCase.objects(audit=audit, batch=batch).delete()
        raise Conflict(
            "Some of these cases were added by someone else at the same moment; nothing was "
            "stored from this file. Reload the population and try again."
        ) from None
    audit_trail.record(
        "import_population", actor, audit, at=now,
        detail=f"{len(cases)} cases from {source or 'a file'} (import {batch})",
    )
    return ImportResult(len(cases), batch, columns, extra)


def add_case(audit: Audit, data: dict, actor, *, now: dt.datetime | None = None) -> AuditCase:
    """Add one case to the population by hand.

    :raises InvalidInput: a field is missing or wrong, or the case reference is taken.
    """
    now = _now(now)
    _require_setup(actor, audit)
    values = {k: cell_text(data.get(k)) for k in KNOWN_COLUMNS}
    case, problems = _row_to_case(audit, values, _agency_lookup(), data)
    if problems:
        raise InvalidInput("Not added: " + "; ".join(problems) + ".", field="case_ref")
    case.added_at, case.added_by = now, actor_email(actor)
    try:
        case.save(force_insert=True, validate=False)
    except NotUniqueError:
        raise InvalidInput(
            f"Case '{case.case_ref}' is already in this audit's population.", field="case_ref"
        ) from None
    audit_trail.record("add_case", actor, audit, at=now, detail=case.case_ref)
    return case


def remove_case(audit: Audit, case_ref: str, actor) -> None:
    """Remove a case that is not in the sample from the population.

    :raises InvalidInput: the case is in the sample (withdraw its draw first).
    """
    _require_setup(actor, audit)
    case = AuditCase.objects(audit=audit, case_ref=case_ref).first()
    if case is None:
        raise NotFound(f"No case '{case_ref}' in this audit's population.")
    if case.in_sample:
        raise InvalidInput(f"Case '{case_ref}' is in the sample; withdraw its draw first.")
    case.delete()
    audit_trail.record("remove_case", actor, audit, detail=case_ref)


def population(audit: Audit, *, in_sample: bool | None = None, limit: int = 500,
               offset: int = 0) -> list[AuditCase]:
    """Return cases of the audit's population (or only its sample) by case reference."""
    query = AuditCase.objects(audit=audit)
    if in_sample is not None:
        query = query.filter(in_sample=in_sample)
    return list(query.order_by("case_ref").skip(offset).limit(limit))


def population_size(audit: Audit) -> tuple[int, int]:
    """Return (cases in the population, cases in the sample)."""
    return (
        AuditCase.objects(audit=audit).count(),
        AuditCase.objects(audit=audit, in_sample=True).count(),
    )


def attribute_values(audit: Audit) -> dict[str, list[str]]:
    """Return the distinct values of each criteria field in the population (for forms)."""
    return {
        name: sorted(v for v in AuditCase.objects(audit=audit).distinct(name) if v)
        for name in CRITERIA_FIELDS
    }


# --- 2. sampling ----------------------------------------------------------------------------


def _seed(seed) -> int:
    if seed in (None, ""):
        return secrets.randbelow(2**31 - 1) + 1
    try:
        value = int(seed)
    except (TypeError, ValueError):
        raise InvalidInput("The seed must be a whole number.", field="seed") from None
    if not 0 <= value < MAX_SEED:
        raise InvalidInput("The seed must be a whole number from 0 up.", field="seed")
    return value


def _count(value, name: str, *, allow_zero: bool = False) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Give a whole number.", field=name) from None
    if number < (0 if allow_zero else 1):
        raise InvalidInput(
            "Give a number of cases of 0 or more." if allow_zero
            else "Give a number of cases of 1 or more.", field=name,
        )
    return number


def _eligible(audit: Audit, criteria: dict[str, list[str]] | None = None) -> list[AuditCase]:
    query = AuditCase.objects(audit=audit, in_sample=False).only(
        "case_ref", *CRITERIA_FIELDS
    )
    for name, values in (criteria or {}).items():
        query = query.filter(**{f"{name}__in": list(values)})
    # Sorted here, not by the database, so the order (and so the draw) is the same anywhere.
    return sorted(query, key=lambda c: c.case_ref)


def _select(rule: str, pool: list[AuditCase], parameters: dict, seed: int | None) -> list[str]:
    """Apply ``rule`` to ``pool`` (sorted by case reference): the one place a draw is made."""
    refs = [c.case_ref for c in pool]
    if rule in ("random_n", "top_up"):
        return random.Random(seed).sample(refs, parameters["n"])
    if rule == "per_agency":
        rng = random.Random(seed)
        chosen: list[str] = []
        for agency in sorted(parameters["quotas"]):
            quota = parameters["quotas"][agency]
            stratum = [c.case_ref for c in pool if c.agency == agency]
            chosen.extend(rng.sample(stratum, quota))
        return chosen
    if rule == "hand_picked":
        return list(parameters["case_refs"])
    raise InvalidInput(f"Unknown sampling rule '{rule}'.", field="rule")


def _validate_draw(audit: Audit, rule: str, parameters: dict, reason: str,
                   ) -> tuple[dict, list[AuditCase], str]:
    """Check a draw's parameters against the population; return (parameters, pool, text)."""
    names = reference.agency_names()
    if rule == "random_n":
        n = _count(parameters.get("n"), "n")
        pool = _eligible(audit)
        if n > len(pool):
            raise InvalidInput(
                f"The sample ({n}) is larger than its population ({len(pool)} cases not yet "
                "in the sample). Nothing was drawn.", field="n",
            )
        return {"n": n}, pool, f"random sample of {n}"
    if rule == "per_agency":
        raw = parameters.get("quotas") or {}
        quotas = {a: _count(q, f"quota_{a}", allow_zero=True) for a, q in raw.items()}
        quotas = {a: q for a, q in quotas.items() if q > 0}
        if not quotas:
            raise InvalidInput("Give at least one agency a quota of 1 or more.", field="quotas")
        pool = _eligible(audit)
        available = Counter(c.agency for c in pool)
        problems = []
        errors = {}
        for agency, quota in sorted(quotas.items()):
            label = names.get(agency, agency)
            if available[agency] == 0:
                problems.append(f"{label} has no cases in the population")
            elif quota > available[agency]:
                problems.append(
                    f"{label}: a quota of {quota} is larger than its {available[agency]} "
                    "cases not yet in the sample"
                )
            else:
                continue
            errors[f"quota_{agency}"] = problems[-1]
        if problems:
            message = "The quotas cannot be met: " + "; ".join(problems) + ". Nothing was drawn."
            raise InvalidInput(message, errors={"quotas": message, **errors})
        text = ", ".join(f"{names.get(a, a)} {q}" for a, q in sorted(quotas.items()))
        return {"quotas": quotas}, pool, f"per agency: {text}"
    if rule == "top_up":
        n = _count(parameters.get("n"), "n")
        criteria = {
            name: sorted({str(v) for v in values if str(v).strip()})
            for name, values in (parameters.get("criteria") or {}).items()
            if values
        }
        unknown = [name for name in criteria if name not in CRITERIA_FIELDS]
        if unknown:
            raise InvalidInput(f"Cannot select on {', '.join(unknown)}.", field="criteria")
        criteria = {k: v for k, v in criteria.items() if v}
        if not criteria:
            raise InvalidInput(
                "Say which cases the top-up is for (e.g. the age bands under 12).",
                field="criteria",
            )
        pool = _eligible(audit, criteria)
        described = "; ".join(f"{name.replace('_', ' ')} {' or '.join(v)}"
                              for name, v in criteria.items())
        if n > len(pool):
            raise InvalidInput(
                f"The top-up ({n}) is larger than the {len(pool)} cases not yet in the sample "
                f"where {described}. Nothing was drawn.", field="n",
            )
        return {"n": n, "criteria": criteria}, pool, f"top-up of {n} where {described}"
    if rule == "hand_picked":
        raw = parameters.get("case_refs") or []
        if isinstance(raw, str):
            raw = re.split(r"[\s,;]+", raw)
        refs = list(dict.fromkeys(r.strip() for r in raw if r and r.strip()))
        if not refs:
            raise InvalidInput("Give the case references to add.", field="case_refs")
        if not reason.strip():
            raise InvalidInput("Say why these cases were picked.", field="reason")
        cases = {c.case_ref: c for c in AuditCase.objects(audit=audit, case_ref__in=refs)}
        problems = []
        for ref in refs:
            case = cases.get(ref)
            if case is None:
                problems.append(f"'{ref}' is not in the population")
            elif case.in_sample:
                problems.append(f"'{ref}' is already in the sample")
        if problems:
            message = "Not picked: " + "; ".join(problems) + ". Nothing was drawn."
            raise InvalidInput(message, field="case_refs")
        return {"case_refs": refs}, [cases[r] for r in refs], "hand-picked"
    raise InvalidInput(f"Unknown sampling rule '{rule}'.", field="rule")


def draw_sample(
    audit: Audit,
    rule: str,
    parameters: dict,
    actor,
    *,
    seed: int | str | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
) -> SampleDraw:
    """Draw cases into the sample by ``rule`` and store the draw so it can be reproduced.

    :param rule: ``random_n`` (``parameters={"n": 10}``), ``per_agency``
        (``{"quotas": {"police": 10, "nspcc": 10}}``), ``top_up`` (``{"n": 6, "criteria":
        {"age_band": ["0-4", "5-11"]}}``) or ``hand_picked`` (``{"case_refs": [...]}`` and a
        ``reason``).
    :param seed: the random seed; a new one is chosen (and stored) when not given. The same
        population, rule, parameters and seed always give the same cases.
    :raises PermissionDenied: the actor may not set this audit up.
    :raises InvalidInput: a sample larger than its population, a quota for an agency with no
        (or too few) cases, no criteria, unknown cases; nothing is stored.
    :raises Conflict: another draw was made at the same moment; nothing is stored.
    """
    now = _now(now)
    _require_setup(actor, audit)
    reason = (reason or "").strip()
    params, pool, text = _validate_draw(audit, rule, parameters, reason)
    used_seed = None if rule == "hand_picked" else _seed(seed)
    refs = _select(rule, pool, params, used_seed)
    last = SampleDraw.objects(audit=audit).order_by("-number").only("number").first()
    number = (last.number if last else 0) + 1
    draw = SampleDraw(
        audit=audit, number=number, rule=rule, parameters=params, seed=used_seed,
        reason=reason, pool=[c.case_ref for c in pool] if rule != "hand_picked" else [],
        pool_agencies=[c.agency for c in pool] if rule == "per_agency" else [],
        case_refs=refs, drawn_by=actor_email(actor), drawn_at=now,
    )
    try:
        draw.save(force_insert=True)
    except NotUniqueError:
        raise Conflict("Another draw was made at the same moment; try again.") from None
    explanation = f"Draw {number}: {text}" + (f", seed {used_seed}" if used_seed is not None
                                               else "") + (f" ({reason})" if reason else "")
    updated = AuditCase.objects(audit=audit, case_ref__in=refs, in_sample=False).update(
        set__in_sample=True, set__drawn_by=draw, set__sample_reason=explanation[:2000]
    )
    if updated != len(refs):
        # Someone else's draw took some of these cases meanwhile: undo ours entirely.
        AuditCase.objects(audit=audit, drawn_by=draw).update(
            set__in_sample=False, unset__drawn_by=True, set__sample_reason=""
        )
        draw.delete()
        raise Conflict("Another draw took some of these cases at the same moment; try again.")
    audit_trail.record("draw_sample", actor, audit, at=now, detail=explanation[:2000])
    return draw


def draw_random(audit: Audit, n: int, actor, *, seed=None, now=None) -> SampleDraw:
    """Draw ``n`` cases at random (see :func:`draw_sample`)."""
    return draw_sample(audit, "random_n", {"n": n}, actor, seed=seed, now=now)


def draw_per_agency(audit: Audit, quotas: dict[str, int], actor, *, seed=None,
                    now=None) -> SampleDraw:
    """Draw a quota of cases from each agency's referrals (see :func:`draw_sample`)."""
    return draw_sample(audit, "per_agency", {"quotas": quotas}, actor, seed=seed, now=now)


def draw_top_up(audit: Audit, n: int, criteria: dict[str, list[str]], actor, *, seed=None,
                reason: str = "", now=None) -> SampleDraw:
    """Draw a further ``n`` cases among those matching ``criteria`` (see :func:`draw_sample`)."""
    return draw_sample(audit, "top_up", {"n": n, "criteria": criteria}, actor, seed=seed,
                       reason=reason, now=now)


def hand_pick(audit: Audit, case_refs: list[str], reason: str, actor, *,
              now=None) -> SampleDraw:
    """Add named cases to the sample, with the reason (see :func:`draw_sample`)."""
    return draw_sample(audit, "hand_picked", {"case_refs": case_refs}, actor, reason=reason,
                       now=now)


def reproduce_draw(draw: SampleDraw) -> list[str]:
    """Make ``draw`` again from its stored pool, parameters and seed; return the case refs."""
    if draw.rule == "hand_picked":
        return list(draw.parameters["case_refs"])
    agencies = list(draw.pool_agencies) or [""] * len(draw.pool)
    pool = [AuditCase(case_ref=ref, agency=agency) for ref, agency in zip(draw.pool, agencies,
                                                                            strict=True)]
    return _select(draw.rule, pool, dict(draw.parameters), draw.seed)


def draws(audit: Audit, *, include_withdrawn: bool = True) -> list[SampleDraw]:
    """Return the audit's sample draws in order (without their pools, which can be long)."""
    query = SampleDraw.objects(audit=audit).exclude("pool", "pool_agencies")
    if not include_withdrawn:
        query = query.filter(withdrawn_at=None)
    return list(query.order_by("number"))


def withdraw_draw(audit: Audit, number: int, actor, *, now: dt.datetime | None = None
                  ) -> SampleDraw:
    """Take a draw's cases out of the sample again; the draw stays on record, withdrawn.

    :raises InvalidInput: a tool was already sent about one of its cases.
    """
    now = _now(now)
    _require_setup(actor, audit)
    draw = SampleDraw.objects(audit=audit, number=number).first()
    if draw is None or draw.withdrawn_at:
        raise NotFound(f"No draw {number} to withdraw.")
    sent = ToolAssignment.objects(audit=audit, case_ref__in=draw.case_refs).count()
    if sent:
        raise InvalidInput(
            f"Tools were already sent about {sent} of these cases; the draw stays."
        )
    AuditCase.objects(audit=audit, drawn_by=draw).update(
        set__in_sample=False, unset__drawn_by=True, set__sample_reason=""
    )
    SampleDraw.objects(pk=draw.pk).update_one(set__withdrawn_at=now,
                                              set__withdrawn_by=actor_email(actor))
    draw.reload()
    audit_trail.record("withdraw_draw", actor, audit, at=now, detail=f"Draw {number}")
    return draw


@dataclass
class MakeupRow:
    """One value of an attribute: how many cases have it in the population and the sample."""

    value: str
    label: str
    population: int
    population_pct: int
    sample: int
    sample_pct: int


def sample_makeup(audit: Audit) -> dict[str, list[MakeupRow]]:
    """Return the sample's make-up by agency, age band and gender against the population's.

    :return: ``{field: [MakeupRow, ...]}`` for each field of ``MAKEUP_FIELDS``; each column of
        percentages adds up to 100 (see :func:`percentages`).
    """
    names = reference.agency_names()
    out: dict[str, list[MakeupRow]] = {}
    for name, _label in MAKEUP_FIELDS:
        counts = AuditCase.objects(audit=audit).aggregate([
            {"$group": {"_id": {"v": f"${name}", "s": "$in_sample"}, "n": {"$sum": 1}}},
        ])
        pop: Counter = Counter()
        smp: Counter = Counter()
        for row in counts:
            value = row["_id"].get("v") or ""
            pop[value] += row["n"]
            if row["_id"].get("s"):
                smp[value] += row["n"]
        values = sorted(pop, key=lambda v: (v == "", v))
        pop_pct = percentages([pop[v] for v in values])
        smp_pct = percentages([smp[v] for v in values])
        out[name] = [
            MakeupRow(
                value=v,
                label=(names.get(v, v) if name == "agency" else v) or "(not recorded)",
                population=pop[v], population_pct=pop_pct[i],
                sample=smp[v], sample_pct=smp_pct[i],
            )
            for i, v in enumerate(values)
        ]
    return out


# --- 3. audit tools -------------------------------------------------------------------------


def _options(raw) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    return [str(o).strip() for o in (raw or []) if str(o).strip()]


def clean_question(data: dict, uid: str | None = None) -> Question:
    """Build a question from form data, or raise :class:`InvalidInput` naming the field.

    :param data: ``text``, ``kind``, ``options`` (a list or one option per line), ``scale_min``,
        ``scale_max``, ``help``, ``required``.
    """
    text = (data.get("text") or "").strip()
    kind = data.get("kind") or ""
    errors = {}
    if not text:
        errors["text"] = "Write the question."
    elif len(text) > 2000:
        errors["text"] = "Keep the question under 2,000 characters."
    if kind not in KIND_LABELS:
        errors["kind"] = "Choose the kind of answer."
    question = Question(uid=uid or data.get("uid") or new_uid(), text=text, kind=kind,
                        help=(data.get("help") or "").strip()[:2000],
                        required=bool(data.get("required", True)))
    if kind in CHOICE_KINDS:
        options = _options(data.get("options"))
        if len(options) < MIN_OPTIONS:
            errors["options"] = (
                "A choice question needs at least two options, one per line."
                if options else "A choice question needs its options: give at least two, "
                "one per line."
            )
        elif len(options) > MAX_OPTIONS:
            errors["options"] = f"Give at most {MAX_OPTIONS} options."
        elif len({o.lower() for o in options}) != len(options):
            errors["options"] = "Each option must be different."
        elif any(len(o) > 300 for o in options):
            errors["options"] = "Keep each option under 300 characters."
        question.options = options
    elif kind == "scale":
        try:
            low = int(data.get("scale_min") if data.get("scale_min") not in (None, "") else 1)
            high = int(data.get("scale_max") if data.get("scale_max") not in (None, "") else 5)
        except (TypeError, ValueError):
            errors["scale_min"] = "Give whole numbers for the ends of the scale."
        else:
            if high <= low:
                errors["scale_max"] = "The top of the scale must be above its bottom."
            elif high - low > MAX_SCALE_STEPS:
                errors["scale_max"] = f"A scale has at most {MAX_SCALE_STEPS} steps."
            question.scale_min, question.scale_max = low, high
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return question


def _touch(tool: AuditTool, actor, now: dt.datetime) -> AuditTool:
    """Save a draft tool unless someone changed it since it was read."""
    before = tool.modified_at
    tool.modified_at, tool.modified_by = now, actor_email(actor)
    try:
        if before is None:
            tool.save()
        else:
            tool.save(save_condition={"modified_at": before})
    except SaveConditionError:
        raise Conflict(
            "Someone else changed this tool meanwhile; reload it and make your change again."
        ) from None
    return tool


def create_tool(
    audit: Audit,
    name: str,
    actor,
    *,
    purpose: str = "case_file",
    questions: list[dict] | None = None,
    now: dt.datetime | None = None,
) -> AuditTool:
    """Create version 1 of an audit tool, as a draft.

    :raises InvalidInput: no name, an unknown purpose, or a bad question; nothing is stored.
    """
    now = _now(now)
    _require_setup(actor, audit)
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Name the tool.", field="name")
    if len(name) > 300:
        raise InvalidInput("Keep the name under 300 characters.", field="name")
    if purpose not in ("case_file", "section11"):
        raise InvalidInput("Choose what the tool is for.", field="purpose")
    built = []
    for number, data in enumerate(questions or [], start=1):
        try:
            built.append(clean_question(data))
        except InvalidInput as error:
            raise InvalidInput(f"Question {number}: {error.message}", errors={
                k: f"Question {number}: {v}" for k, v in error.errors.items()}) from None
    tool = AuditTool(audit=audit, name=name, purpose=purpose, version=1, questions=built,
                     created_at=now, created_by=actor_email(actor), modified_at=now,
                     modified_by=actor_email(actor))
    tool.save(force_insert=True)
    audit_trail.record("create_tool", actor, audit, at=now, detail=str(tool))
    return tool


def tools(audit: Audit) -> list[AuditTool]:
    """Return every version of every tool of the audit, by name and version."""
    return list(AuditTool.objects(audit=audit).order_by("name", "key", "version"))


def latest_tools(audit: Audit) -> list[AuditTool]:
    """Return the newest version of each tool of the audit."""
    newest: dict[str, AuditTool] = {}
    for tool in tools(audit):
        if tool.key not in newest or tool.version > newest[tool.key].version:
            newest[tool.key] = tool
    return sorted(newest.values(), key=lambda t: t.name.lower())


def get_tool(audit: Audit, tool_id) -> AuditTool:
    """Return one tool version of ``audit``.

    :raises NotFound: no such tool in this audit.
    """
    try:
        tool = AuditTool.objects(pk=tool_id, audit=audit).first()
    except (ValidationError, TypeError):
        tool = None
    if tool is None:
        raise NotFound("No such audit tool in this audit.")
    return tool


def draft_of(tool: AuditTool, actor, *, now: dt.datetime | None = None) -> AuditTool:
    """Return the draft to edit for ``tool``: itself if a draft, else a new version.

    Changing a published tool never changes what was asked: a copy with the next version
    number (same question uids) becomes the draft.
    """
    now = _now(now)
    _require_setup(actor, tool.audit)
    if not tool.published:
        return tool
    newest = AuditTool.objects(audit=tool.audit, key=tool.key).order_by("-version").first()
    if newest is not None and not newest.published:
        return newest
    copy = AuditTool(
        audit=tool.audit, key=tool.key, name=tool.name, purpose=tool.purpose,
        version=newest.version + 1,
        questions=[Question(**q.to_mongo().to_dict()) for q in tool.questions],
        created_at=now, created_by=actor_email(actor), modified_at=now,
        modified_by=actor_email(actor),
    )
    try:
        copy.save(force_insert=True)
    except NotUniqueError:
        raise Conflict("Someone else started a new version of this tool; reload it.") from None
    audit_trail.record("new_tool_version", actor, tool.audit, at=now, detail=str(copy))
    return copy


def add_question(tool: AuditTool, data: dict, actor, *, now: dt.datetime | None = None
                 ) -> AuditTool:
    """Add a question to the tool (to a new draft version if it is published).

    :return: the draft version the question was added to.
    :raises InvalidInput: no text, unknown kind, a choice question without options, a bad
        scale; nothing is stored.
    """
    now = _now(now)
    question = clean_question(data, uid=new_uid())
    draft = draft_of(tool, actor, now=now)
    draft.questions.append(question)
    return _touch(draft, actor, now)


def update_question(tool: AuditTool, uid: str, data: dict, actor, *,
                    now: dt.datetime | None = None) -> AuditTool:
    """Change a question (in a new draft version if the tool is published); its uid stays."""
    now = _now(now)
    if tool.question(uid) is None:
        raise NotFound("No such question in this tool.")
    question = clean_question(data, uid=uid)
    draft = draft_of(tool, actor, now=now)
    draft.questions = [question if q.uid == uid else q for q in draft.questions]
    return _touch(draft, actor, now)


def remove_question(tool: AuditTool, uid: str, actor, *, now: dt.datetime | None = None
                    ) -> AuditTool:
    """Remove a question (from a new draft version if the tool is published)."""
    now = _now(now)
    if tool.question(uid) is None:
        raise NotFound("No such question in this tool.")
    draft = draft_of(tool, actor, now=now)
    draft.questions = [q for q in draft.questions if q.uid != uid]
    return _touch(draft, actor, now)


def move_question(tool: AuditTool, uid: str, offset: int, actor, *,
                  now: dt.datetime | None = None) -> AuditTool:
    """Move a question up (``offset`` -1) or down (+1)."""
    now = _now(now)
    draft = draft_of(tool, actor, now=now)
    uids = [q.uid for q in draft.questions]
    if uid not in uids:
        raise NotFound("No such question in this tool.")
    index = uids.index(uid)
    target = max(0, min(len(uids) - 1, index + offset))
    questions = list(draft.questions)
    questions.insert(target, questions.pop(index))
    draft.questions = questions
    return _touch(draft, actor, now)


def publish_tool(tool: AuditTool, actor, *, now: dt.datetime | None = None) -> AuditTool:
    """Publish a draft version: it is frozen and can be sent out.

    Assignments of earlier versions that nobody has started move to this version; those with
    answers stay on the version they were answered in.

    :raises InvalidInput: the tool has no questions, or is already published.
    """
    now = _now(now)
    _require_setup(actor, tool.audit)
    if tool.published:
        raise InvalidInput(f"Version {tool.version} is already published.")
    if not tool.questions:
        raise InvalidInput("Add at least one question before publishing.", field="questions")
    updated = AuditTool.objects(pk=tool.pk, published=False).update_one(
        set__published=True, set__published_at=now, set__published_by=actor_email(actor)
    )
    if not updated:
        raise Conflict("This version was published meanwhile.")
    tool.reload()
    moved = ToolAssignment.objects(
        audit=tool.audit, tool_key=tool.key, state="assigned", tool_version__lt=tool.version,
    ).update(set__tool=tool, set__tool_version=tool.version, inc__version=1)
    audit_trail.record("publish_tool", actor, tool.audit, at=now,
                       detail=f"{tool}; {moved} unstarted returns moved to it")
    return tool


# --- 3. assignments and answers -------------------------------------------------------------


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
    try:
        found = ToolAssignment.objects(pk=assignment_id, audit=audit).first()
    except (ValidationError, TypeError):
        found = None
    if found is None:
        raise NotFound("No such return in this audit.")
    return found


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


# --- 4. findings ----------------------------------------------------------------------------


@dataclass
class OptionCount:
    """One possible answer: how many gave it, and the percentage of those who answered."""

    value: str
    label: str
    count: int
    percent: int

    @property
    def text(self) -> str:
        return format_count(self.count, self.percent)


@dataclass
class Breakdown:
    """The answers to one question from one group of returns (all, or one agency's)."""

    answered: int
    options: list[OptionCount]
    mean: float | None = None


@dataclass
class QuestionFinding:
    """The findings of one question: overall, by agency, and the text answers."""

    number: int
    question: Question
    overall: Breakdown
    by_agency: list[tuple[str, str, Breakdown]]
    texts: list[tuple[str, str, str]] = field(default_factory=list)  # (case, agency, text)


def _option_values(question: Question) -> list[tuple[str, str]]:
    if question.kind == "yes_no_na":
        return list(YES_NO_NA)
    if question.kind == "rag":
        return list(RAG)
    if question.kind in CHOICE_KINDS:
        return [(o, o) for o in question.options]
    if question.kind == "scale":
        return [(str(v), str(v)) for v in range(question.scale_min, question.scale_max + 1)]
    return []


def _breakdown(question: Question, values: list) -> Breakdown:
    options = _option_values(question)
    answered = len(values)
    if question.kind == "multiple":
        counts = Counter(v for chosen in values for v in chosen)
        rows = [OptionCount(v, label, counts[v], percent(counts[v], answered))
                for v, label in options]
        return Breakdown(answered, rows)
    if question.kind == "rag":
        values = [v.get("rating") for v in values]
    keys = [str(v) for v in values]
    counts = Counter(keys)
    shares = percentages([counts[v] for v, _ in options])
    rows = [OptionCount(v, label, counts[v], shares[i])
            for i, (v, label) in enumerate(options)]
    mean = None
    if question.kind == "scale" and values:
        mean = round(sum(int(v) for v in values) / len(values), 1)
    return Breakdown(answered, rows, mean)


def findings(audit: Audit, tool: AuditTool) -> list[QuestionFinding]:
    """Compute each question's findings from the returned answers to this tool version.

    Counts are of returns that answered the question; percentages are of those (single
    answers: parts add up to 100 by :func:`percentages`; multiple choice: each option's share
    of those who answered, rounded half up).
    """
    returned = list(ToolAssignment.objects(audit=audit, tool=tool, state="returned")
                    .only("case_ref", "agency", "answers").order_by("case_ref", "agency"))
    names = reference.agency_names()
    out = []
    for number, question in enumerate(tool.questions, start=1):
        given = [(a, a.answers.get(question.uid)) for a in returned
                 if a.answers.get(question.uid) not in (None, "", [])]
        texts: list[tuple[str, str, str]] = []
        if question.kind == "text":
            texts = [(a.case_ref, names.get(a.agency, a.agency), v) for a, v in given]
            overall = Breakdown(len(given), [])
            by_agency = []
        else:
            if question.kind == "rag":
                texts = [(a.case_ref, names.get(a.agency, a.agency),
                          f"{v.get('rating', '').title()}: {v.get('evidence', '')}")
                         for a, v in given]
            overall = _breakdown(question, [v for _, v in given])
            grouped: dict[str, list] = defaultdict(list)
            for a, v in given:
                grouped[a.agency].append(v)
            by_agency = sorted(
                ((agency, names.get(agency, agency), _breakdown(question, values))
                 for agency, values in grouped.items()),
                key=lambda row: row[1],
            )
        out.append(QuestionFinding(number, question, overall, by_agency, texts))
    return out


def report(audit: Audit) -> list[tuple[AuditTool, int, list[QuestionFinding]]]:
    """Return the findings of every tool version that has returns: (tool, returned, rows)."""
    out = []
    for tool in tools(audit):
        returned = ToolAssignment.objects(audit=audit, tool=tool, state="returned").count()
        if returned:
            out.append((tool, returned, findings(audit, tool)))
    return out


# --- 5. recommendations → actions -----------------------------------------------------------


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


# --- 7. Section 11 --------------------------------------------------------------------------


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


# --- the workspace at a glance --------------------------------------------------------------


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
