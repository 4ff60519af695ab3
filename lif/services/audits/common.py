"""What several phases of an audit share: the percentages the reports print, the check that
the audit is still being set up, the agency look-up and the one error that lists problems.

Percentages are whole numbers found by the largest-remainder method (see :func:`percentages`).
"""

from __future__ import annotations

import datetime as dt

from mongoengine.errors import ValidationError

from ... import clock, policy
from ...errors import InvalidInput, NotFound, PermissionDenied
from ...models import Audit
from .. import content, reference
from .rules import SETUP_STATES, SHOWN_PROBLEMS

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


def _one_of(model, audit: Audit, pk, missing: str):
    """The record ``pk`` of ``model`` that belongs to ``audit``.

    :raises NotFound: with ``missing`` when there is none (or ``pk`` is no id).
    """
    try:
        found = model.objects(pk=pk, audit=audit).first()
    except (ValidationError, TypeError):
        found = None
    if found is None:
        raise NotFound(missing)
    return found
