"""The Professional Development Committee's six-month review pack for one action plan.

"Professional Development Committee Meeting: 6 month review. MA and SA L & I activity and
impact on practice reviewed for scrutiny and challenge." The pack gives the plan, a summary
by RAG, one row per action (status, RAG, what is new), then per action the progress and the
evidence of impact recorded since the plan's last review, with a box for the committee's
verdict (impact evidenced / challenged / not yet due).

The scheduler calls :func:`render` (as the system) when a review falls due; people get the
same document through :func:`documents.writers.render` as ``pdc-pack``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

from lif import clock
from lif.actors import SYSTEM
from lif.models import PDCReview
from lif.models.action_plan import PDC_VERDICTS
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
    b = DocumentBuilder(f"{TITLE}: {plan.title}", actor, subject="PDC review pack",
                        redact=publication_redactor(), landscape=True,
                        keywords="PDC; six-month review; impact")
    b.fields([
        *plan_fields(plan),
        ("PDC review scheduled for", fmt_date(review.scheduled_for)),
        ("Held", fmt_date(review.held_on, "Not yet held")),
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
            _VERDICT.get(action.last_pdc_verdict or "", "None yet"),
        ))
    if rows:
        b.table(("No.", "Action", "Named lead", "Agency", "Due", "Status", "RAG",
                 "New progress", "New evidence", "Last PDC verdict"), rows, rag_column=6,
                widths=(1, 7, 3, 3, 2.3, 2, 1.6, 1.6, 1.6, 2.5))
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
        b.checklist([(label, given is not None and given.verdict == key)
                     for key, label in PDC_VERDICTS], header=("Verdict", "Agreed"))
        b.label("Comment", given.comment if given and given.comment else "")
        if progress is not None:
            progress(number, len(actions))

    if review.attendees:
        b.heading("Attendees", 1)
        b.bullets(review.attendees)
    if review.minutes:
        b.heading("Minutes", 1)
        b.paragraphs(review.minutes)
    return b.to_bytes()


def render(review: PDCReview, actor=SYSTEM) -> bytes:
    """Return the review pack of ``review`` as .docx bytes (for the scheduler).

    :param review: The PDC review falling due.
    :param actor: Whose view the pack shows; the system (everything) by default.
    """
    return build(review, actor)
