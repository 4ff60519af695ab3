"""A learning brief for a review: the "SCR Newsletter: Features, Findings and Learning".

Flowchart: "Learning Brief Updated: Features and Learning for dissemination: LSCB agencies /
All staff in partnership / Regional forums". The brief gives the features of the case (its
overview), the numbered findings, the learning for practice (the actions agreed in the plans
answering the review) and the improvement activity. It is published, so it is written
through the publication redactor, and a restricted review gets no brief.
"""

from __future__ import annotations

from collections.abc import Callable

from config import taxonomy
from lif import frameworks, policy
from lif.errors import InvalidInput
from lif.models import Action, ActionPlan, Review

from .common import DocumentBuilder, agency_label, publication_redactor
from .index import date_text, type_label

SUBTITLE = "SCR Newsletter: Features, Findings and Learning"
_THEMES = dict(taxonomy.THEMES)


def _learning(review: Review, actor) -> list[str]:
    """Return the actions agreed in the plans answering ``review``, as practice learning."""
    plan_filter = policy.view_filter(actor, "action_plan")
    action_filter = policy.view_filter(actor, "action")
    if plan_filter is None or action_filter is None:
        return []
    plans = [p.pk for p in ActionPlan.objects(__raw__={"$and": [plan_filter,
                                                                 {"review": review.pk}]})
             .only("id")]
    if not plans:
        return []
    actions = Action.objects(__raw__={"$and": [action_filter, {"plan": {"$in": plans}}]})
    return [f"{a.description} ({agency_label(a.agency)})"
            for a in actions.order_by("agency", "due_date")]


def build(review: Review, actor, *, progress: Callable[[int, int], None] | None = None,
          ) -> bytes:
    """Return the learning brief of ``review`` as .docx bytes.

    :param review: The review.
    :param actor: Who it is written for (the plans and actions they may view).
    :param progress: Unused (one item).
    :raises InvalidInput: the review is restricted (not for publication).
    """
    if review.restricted:
        raise InvalidInput("This review is restricted: no learning brief is written for "
                           "publication.")
    b = DocumentBuilder(f"Learning brief: {review.title}", actor, subject=SUBTITLE,
                        redact=publication_redactor(), keywords="learning brief; SCR newsletter",
                        framework=frameworks.of(review))
    b.paragraph(SUBTITLE, style="Subtitle")
    b.fields([
        ("Type of review", type_label(review)),
        ("Name", review.title),
        ("Reference", review.reference),
        ("Date", date_text(review)),
        ("Independent reviewer", review.independent_reviewer),
        ("Themes", "; ".join(_THEMES.get(key, key) for key in review.themes)),
        ("Agencies involved", "; ".join(agency_label(key) for key in review.agencies)),
    ])
    b.heading("Features of the case", 1)
    b.paragraphs(review.overview or review.summary,
                 empty="Details of the case cannot be shared at this time.")
    b.heading("Findings", 1)
    findings = sorted(review.findings, key=lambda f: f.number or 0)
    b.numbered([f.text for f in findings], headings=[f.heading for f in findings],
               empty="The findings are not yet available.")
    b.heading("Learning for practice", 1)
    learning = _learning(review, actor)
    if learning:
        b.paragraph("What agencies have agreed to change as a result:")
        b.bullets(learning)
    else:
        b.paragraph("The learning is being turned into multi-agency and single-agency "
                    "actions; this brief will be updated.", italic=True)
    b.heading("Improvement activity", 1)
    if review.activities:
        b.bullets(a.text for a in review.activities)
    else:
        b.paragraph("None recorded yet.", italic=True)
    b.heading("Find out more", 1)
    b.paragraph("See the LSCB Multi Agency Learning & Improvement opportunities calendar and "
                "the LSCB website for learning sessions and the full report where published.")
    return b.to_bytes()
