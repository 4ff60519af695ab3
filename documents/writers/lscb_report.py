"""The summary Learning and Improvement report to the LSCB.

Flowchart: "Summary L & I Report to LSCB". Counts of reviews, audits, action plans and
actions by status, actions by RAG (:func:`lif.services.plans.rag`), the overdue actions with
their named leads, the PDC's six-month reviews and verdicts, the learning themes, and the
CIEC's referrals as numbers only. Everything counted is what the actor may view; it is a
publishable document, written through the publication redactor, and never reads a
referral's personal fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from config import taxonomy
from config.deadlines import DONE_STATUSES
from config.workflows import WORKFLOWS
from lif import clock, policy
from lif.models import Action, ActionPlan, Audit, PDCReview, Referral, Review
from lif.models.action_plan import ACTION_STATUSES, PDC_VERDICTS
from lif.services import referrals as referral_records
from lif.services.plans import rag

from .common import (
    DocumentBuilder,
    agency_label,
    fmt_date,
    publication_redactor,
    recommendation_label,
)

TITLE = "Summary Learning and Improvement Report to the LSCB"
_REVIEW_TYPES = {t["key"]: t["label"] for t in taxonomy.REVIEW_TYPES}
_AUDIT_TYPES = dict(taxonomy.AUDIT_TYPES)
_THEMES = dict(taxonomy.THEMES)


def _visible(model, actor, *fields: str) -> list:
    flt = policy.view_filter(actor, model.type_key)
    if flt is None:
        return []
    return list(model.objects(__raw__=flt).only(*fields))


def _state_rows(type_key: str, items: Iterable) -> list[tuple[str, str]]:
    counts = Counter(item.state for item in items)
    states = WORKFLOWS[type_key]["states"]
    return [(spec["title"], str(counts[state])) for state, spec in states.items()
            if counts[state]]


def _count_rows(counter: Counter, labels: dict[str, str]) -> list[tuple[str, str]]:
    return [(labels.get(key, key or "Not recorded"), str(number))
            for key, number in counter.most_common()]


def _table_or_none(b: DocumentBuilder, header, rows, **kwargs) -> None:
    if rows:
        b.table(header, rows, **kwargs)
    else:
        b.paragraph("None.", italic=True)


def build(item, actor, *, progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return the summary L&I report as .docx bytes.

    :param item: Unused (the report covers everything the actor may view); ``None``.
    :param actor: Whose view of the data is counted; the report's author.
    :param progress: Called with (parts written, total parts).
    """
    today = clock.today()
    steps = 7
    tick = (lambda n: progress(n, steps)) if progress is not None else (lambda n: None)
    reviews = _visible(Review, actor, "state", "review_type", "themes", "findings",
                       "restricted")
    audits = _visible(Audit, actor, "state", "audit_type", "themes", "findings")
    plans = _visible(ActionPlan, actor, "state", "kind", "title")
    actions = _visible(Action, actor, "state", "due_date", "last_pdc_verdict", "plan",
                       "description", "lead_name", "agency", "title")
    b = DocumentBuilder(TITLE, actor, subject="Summary L&I report to the LSCB",
                        redact=publication_redactor(), keywords="LSCB; report; RAG")
    b.paragraph(f"As at {fmt_date(today)}: the learning cycle of the Learning and Improvement "
                "Framework, from reviews and audits to action plans, their actions and the "
                "Professional Development Committee's scrutiny of impact.")
    b.table(("Measure", "Number"), [
        ("Reviews", str(len(reviews))),
        ("Audits", str(len(audits))),
        ("Action plans", str(len(plans))),
        ("Actions", str(len(actions))),
        ("Overdue actions", str(sum(1 for a in actions if _overdue(a, today)))),
    ], widths=(8, 3))
    tick(1)

    b.heading("Reviews", 1)
    b.heading("By type", 2)
    _table_or_none(b, ("Type of review", "Number"),
                   _count_rows(Counter(r.review_type for r in reviews), _REVIEW_TYPES))
    b.heading("By stage", 2)
    _table_or_none(b, ("Stage", "Number"), _state_rows("review", reviews))
    tick(2)

    b.heading("Audits", 1)
    b.heading("By type", 2)
    _table_or_none(b, ("Type of audit", "Number"),
                   _count_rows(Counter(a.audit_type for a in audits), _AUDIT_TYPES))
    b.heading("By stage", 2)
    _table_or_none(b, ("Stage", "Number"), _state_rows("audit", audits))
    tick(3)

    b.heading("Action plans and actions", 1)
    b.heading("Action plans by stage", 2)
    _table_or_none(b, ("Stage", "Number"), _state_rows("action_plan", plans))
    b.heading("Actions by status", 2)
    _table_or_none(b, ("Status", "Number"),
                   _count_rows(Counter(a.state for a in actions), dict(ACTION_STATUSES)))
    b.heading("Actions by RAG", 2)
    colours = Counter(rag(a, today) for a in actions)
    b.table(("RAG", "Number"), [(c.capitalize(), str(colours.get(c, 0)))
                                for c in ("red", "amber", "green")], rag_column=0)
    tick(4)

    b.heading("Overdue actions", 1)
    plan_titles = {p.pk: p.title for p in plans}
    overdue = sorted((a for a in actions if _overdue(a, today)), key=lambda a: a.due_date)
    _table_or_none(b, ("Plan", "Action", "Named lead", "Agency", "Due", "Days overdue"), [
        (plan_titles.get(_plan_id(a), ""), a.description, a.lead_name,
         agency_label(a.agency), fmt_date(a.due_date), str((today - a.due_date).days))
        for a in overdue
    ])
    tick(5)

    b.heading("PDC six-month reviews", 1)
    pdc = _visible(PDCReview, actor, "state", "verdicts")
    _table_or_none(b, ("Stage", "Number"), _state_rows("pdc_review", pdc))
    verdicts = Counter(v.verdict for review in pdc for v in review.verdicts)
    b.heading("Verdicts on actions", 2)
    _table_or_none(b, ("Verdict", "Number"), _count_rows(verdicts, dict(PDC_VERDICTS)))

    b.heading("Learning themes", 1)
    theme_rows = []
    for key, label in taxonomy.THEMES:
        in_reviews = [r for r in reviews if key in r.themes]
        in_audits = [a for a in audits if key in a.themes]
        if in_reviews or in_audits:
            findings = sum(len(i.findings) for i in in_reviews + in_audits)
            theme_rows.append((label, str(len(in_reviews)), str(len(in_audits)), str(findings)))
    theme_rows.sort(key=lambda row: -int(row[3]))
    _table_or_none(b, ("Theme", "Reviews", "Audits", "Findings"), theme_rows)
    tick(6)

    b.heading("CIEC referrals", 1)
    b.paragraph("Numbers only: referrals hold personal data and are never detailed here.",
                italic=True)
    referrals = _visible(Referral, actor, "state", "recommendation", "decision",
                         "workflow_history")
    _table_or_none(b, ("Stage", "Number"), _state_rows("referral", referrals))
    # Only decisions the Chair's step recorded (a value stored otherwise is no decision).
    decided = Counter(d.value for d in map(referral_records.decision_of, referrals) if d)
    b.heading("Independent Chair's decisions", 2)
    _table_or_none(b, ("Decision", "Number"),
                   [(recommendation_label(key), str(n)) for key, n in decided.most_common()])
    tick(7)
    return b.to_bytes()


def _overdue(action: Action, today) -> bool:
    return (action.state not in DONE_STATUSES and action.due_date is not None
            and action.due_date < today)


def _plan_id(action: Action):
    """Return the id of an action's plan without fetching the plan."""
    ref = action._data.get("plan")
    return getattr(ref, "pk", None) or getattr(ref, "id", None) or ref
