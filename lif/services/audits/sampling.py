"""Phase 2, the sample: draws by a stored rule (random, per agency, top-up, hand-picked) that
can be reproduced from their pool, parameters and seed; withdrawing a draw; the sample's
make-up against its population.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass

from mongoengine.errors import NotUniqueError

from ... import audit_trail
from ...actors import actor_email
from ...errors import Conflict, InvalidInput, NotFound
from ...models import Audit, AuditCase, SampleDraw, ToolAssignment
from .. import reference
from .common import _now, _require_setup, percentages
from .rules import CRITERIA_FIELDS, MAKEUP_FIELDS, MAX_SEED


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

