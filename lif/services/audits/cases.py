"""Phase 2, the population: the cases a sample is drawn from, imported from a checked table
(all or nothing), added or removed by hand, and listed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from mongoengine.errors import BulkWriteError, NotUniqueError

from ... import audit_trail
from ...actors import actor_email
from ...dates import read_date
from ...errors import Conflict, InvalidInput, NotFound
from ...models import Audit, AuditCase
from ...models.learning import new_uid
from ...rows import Table, cell_text
from .. import content, operations
from .common import _agency_lookup, _now, _problems_error, _require_setup
from .rules import (
    COLUMN_ALIASES,
    CRITERIA_FIELDS,
    DATE_COLUMNS,
    KNOWN_COLUMNS,
    MAX_EXTRA_COLUMNS,
    MAX_POPULATION_ROWS,
    REQUIRED_COLUMNS,
)


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
            content.validate(case)
        except InvalidInput as error:
            problems.extend(f"{k}: {v}" for k, v in error.errors.items())
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
    # All the cases or (after a failure, or a crash part-way) none of them.
    with operations.several_writes(
            "imports", actor, label=f"import of {len(cases)} cases into the population of "
            f"'{audit.title}'", inserts=[(AuditCase._get_collection_name(), {"batch": batch})]):
        try:
            AuditCase.objects.insert(cases, load_bulk=False)
        except (NotUniqueError, BulkWriteError):  # (one case, or several, taken meanwhile)
            raise Conflict(
                "Some of these cases were added by someone else at the same moment; nothing "
                "was stored from this file. Reload the population and try again."
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

