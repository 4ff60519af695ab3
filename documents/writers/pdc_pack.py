"""The Professional Development Committee's six-month review pack for one action plan.

"Professional Development Committee Meeting: 6 month review. MA and SA L & I activity and
impact on practice reviewed for scrutiny and challenge." The pack gives the plan, a summary
by RAG, one row per action (status, RAG, what is new), then per action the progress and the
evidence of impact recorded since the plan's last review, with a box for the committee's
verdict (impact evidenced / challenged / not yet due).

The scheduler calls :func:`render` (as the system) when a review falls due; people get the
same document through :func:`documents.writers.render` as ``pdc-pack``.

The pack states what the record says: the day the review was held once "Record as held"
recorded it, and per action the verdict this review recorded (who recorded it, and whether in
the committee's place), or that none is recorded yet — never a box that reads as agreed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from lif import clock
from lif.actors import SYSTEM
from lif.models import PDCReview
from lif.models.action_plan import PDC_VERDICTS
from lif.services import pdc
from lif.services.plans import rag

from .common import DocumentBuilder, agency_label, fmt_date, publication_redactor
from .plan import actions_of, evidence_text, plan_fields, status_label

TITLE = "PDC six-month review pack"
_VERDICT = dict(PDC_VERDICTS)


def last_review_date(review: PDCReview) -> dt.date | None:
    """Return when the plan was last reviewed before ``review`` (or ratified, if never)."""
    earlier = (PDCReview.objects(plan=review.plan, scheduled_for__lt=review.scheduled_for,
                                 trashed__ne=True)
               .order_by("-scheduled_for").first())
    if earlier is not None:
        return earlier.held_on or earlier.scheduled_for
    plan = review.plan
    return plan.ratified_on or clock.as_date(plan.created_at)


def _since(items, since: dt.date | None) -> list:
    return sorted((i for i in items if since is None or clock.as_date(i.at) > since),
                  key=lambda i: i.at)


def build(review: PDCReview, actor, *,
          progress: Callable[[int, int], None] | None = None) -> bytes:
    """Return the review pack of ``review`` as .docx bytes.

    :param review: The PDC review (its plan is the subject).
    :param actor: Who it is written for; only the actions they may view are listed.
    :param progress: Called with (actions written, total).
    """
    plan = review.plan
    actions = actions_of(plan, actor)
    since = last_review_date(review)
    verdicts = {str(v.action): v for v in review.verdicts}
    before = pdc.previous_review(review)
    previous = {str(v.action): v for v in before.verdicts} if before else {}
    b = DocumentBuilder(f"{TITLE}: {plan.title}", actor, subject="PDC review pack",
                        redact=publication_redactor(), landscape=True,
                        keywords="PDC; six-month review; impact")
    b.fields([
        *plan_fields(plan),
        ("PDC review scheduled for", fmt_date(review.scheduled_for)),
        ("Held", fmt_date(review.held_on, "Held (date not recorded)"
                          if review.state != "scheduled" else "Not yet held")),
        ("Period covered", f"{fmt_date(since, 'the start of the plan')} to "
                           f"{fmt_date(review.scheduled_for)}"),
    ])

    colours = Counter(rag(action) for action in actions)
    b.heading("Summary", 1)
    b.paragraph(f"{len(actions)} actions. Scrutinise and challenge the impact on practice "
                "of each; record a verdict per action.")
    b.table(("RAG", "Actions"), [(colour.capitalize(), str(colours.get(colour, 0)))
                                 for colour in ("red", "amber", "green")],
            rag_column=0, widths=(4, 3))

    b.heading("Actions", 1)
    rows = []
    for number, action in enumerate(actions, 1):
        rows.append((
            str(number), action.description, action.lead_name, agency_label(action.agency),
            fmt_date(action.due_date), status_label(action), rag(action).capitalize(),
            str(len(_since(action.progress, since))), str(len(_since(action.evidence, since))),
            _verdict_cell(previous.get(str(action.pk)), "None"),
            _verdict_cell(verdicts.get(str(action.pk)), "Not yet recorded"),
        ))
    if rows:
        b.table(("No.", "Action", "Named lead", "Agency", "Due", "Status", "RAG",
                 "New progress", "New evidence", "Previous verdict", "Verdict at this review"),
                rows, rag_column=6, widths=(1, 6, 3, 3, 2.3, 2, 1.6, 1.6, 1.6, 2.2, 2.5))
    else:
        b.paragraph("The plan has no actions.", italic=True)

    b.heading("Progress and evidence since the last review", 1)
    for number, action in enumerate(actions, 1):
        b.heading(f"Action {number}: {action.title}", 2)
        b.fields([
            ("Action", action.description),
            ("Learning (finding)", action.finding_text or ""),
            ("Named lead", f"{action.lead_name} ({agency_label(action.agency)})"),
            ("Timescale", fmt_date(action.due_date)),
            ("Status / RAG", f"{status_label(action)} / {rag(action).capitalize()}"),
        ])
        updates = _since(action.progress, since)
        b.heading("Progress", 3)
        if updates:
            b.bullets(f"{fmt_date(u.at)}: {u.text}" for u in updates)
        else:
            b.paragraph("No progress recorded since the last review.", italic=True)
        b.heading("Evidence of impact", 3)
        new_evidence = _since(action.evidence, since)
        if new_evidence:
            b.bullets(f"{fmt_date(e.at)}: {e.description}"
                      + (f" (measure: {e.measure})" if e.measure else "") for e in new_evidence)
        else:
            b.paragraph("No new evidence since the last review. All evidence: "
                        + evidence_text(action), italic=True)
        b.heading("PDC verdict", 3)
        given = verdicts.get(str(action.pk))
        if given is None:
            b.label("Verdict", "Not yet recorded")
            b.paragraph("Options: " + "; ".join(label for _, label in PDC_VERDICTS) + ".",
                        italic=True)
        else:
            b.label("Verdict", _VERDICT.get(given.verdict, given.verdict))
            b.label("Comment", given.comment or "None")
            if given.recorded_by:
                b.label("Recorded", f"by {given.recorded_by}"
                        + (f" on {fmt_date(given.recorded_at)}" if given.recorded_at else ""))
            if given.override_reason:
                b.label("Override", pdc.verdict_override(review, given))
        if progress is not None:
            progress(number, len(actions))

    if review.attendees:
        b.heading("Attendees", 1)
        b.bullets(review.attendees)
    if review.minutes:
        b.heading("Minutes", 1)
        b.paragraphs(review.minutes)
    return b.to_bytes()


def _verdict_cell(verdict, empty: str) -> str:
    return _VERDICT.get(verdict.verdict, verdict.verdict) if verdict else empty


def render(review: PDCReview, actor=SYSTEM) -> bytes:
    """Return the review pack of ``review`` as .docx bytes (for the scheduler).

    :param review: The PDC review falling due.
    :param actor: Whose view the pack shows; the system (everything) by default.
    """
    return build(review, actor)
