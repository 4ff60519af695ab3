"""CIGSUM1: LSCB CIG Case Summary - the CIEC's recommendation and the Chair's decision.

Flowchart steps 7 to 9: the CIEC Chair refers the recommendation (SCR, Critical Case Review,
MA Concise Review, Individual Agency Review or review not initiated) with its rationale to the
LSCB Independent Chair, who affirms or challenges it and records the decision with its
rationale; where no SCR is initiated the National Panel is told within 14 days. The child's
details are shown only to an actor who may see personal data.
"""

from __future__ import annotations

from lif import clocks
from lif.models import InformationRequest, Referral

from .common import (
    MARKING_RESTRICTED,
    NOT_SHOWN,
    DocumentBuilder,
    agency_label,
    criteria_options,
    fmt_date,
    person_rows,
    personal_view,
    recommendation_label,
)

TITLE = "LSCB CIG Case Summary (CIGSUM1)"
_STANCES = {"affirmed": "Affirmed the CIEC recommendation",
            "challenged": "Challenged the CIEC recommendation"}


def build(referral: Referral, actor, *, progress=None) -> bytes:
    """Return the CIGSUM1 case summary of ``referral`` as .docx bytes.

    :param referral: The referral considered by the CIEC.
    :param actor: Who it is written for; personal data only if they may see it.
    :param progress: Unused (one item).
    """
    may_see, redact = personal_view(referral, actor)
    b = DocumentBuilder(TITLE, actor, subject="CIGSUM1", marking=MARKING_RESTRICTED,
                        redact=redact, keywords="CIGSUM1; CIEC; case summary; decision")
    meeting = referral.meeting
    decision_due = clocks.decision_due(referral.notified_on)
    b.fields([
        ("Case", referral.title),
        ("LIF reference", referral.ref),
        ("Referring agency", agency_label(referral.agency)),
        ("LSCB notified", fmt_date(referral.notified_on, "Not recorded")),
        ("Considered by CIEC", fmt_date(meeting.date) if meeting else "Not yet considered"),
        (f"Decision due ({clocks.describe('scr_decision')} from notification)",
         fmt_date(decision_due)),
    ])

    b.heading("Child or young person", 1)
    if not may_see:
        b.paragraph(NOT_SHOWN, italic=True)
    elif referral.child is not None:
        b.table(("Name", "Date of birth", "Date of death"),
                person_rows([referral.child], role=False))
    else:
        b.paragraph("Not given.", italic=True)

    b.heading("Summary of case", 1)
    b.paragraphs(referral.case_summary or referral.reasons, empty="Not given.")

    b.heading("Criteria for a Serious Case Review", 1)
    b.checklist(criteria_options(referral.criteria))

    requests = list(InformationRequest.objects(referral=referral, trashed__ne=True))
    if requests:
        b.heading("Information from agencies (CIGINF1)", 1)
        b.table(("Agency", "Returned"),
                [(agency_label(r.agency), fmt_date(r.responded_on, "Awaited"))
                 for r in sorted(requests, key=lambda r: r.agency)])

    b.heading("CIEC recommendation", 1)
    b.label("Recommendation", recommendation_label(referral.recommendation))
    b.heading("Rationale", 2)
    b.paragraphs(referral.recommendation_rationale, empty="Not yet recorded.")

    b.heading("LSCB Independent Chair: challenge / affirmation", 1)
    b.label("The Chair", _STANCES.get(referral.chair_stance or "", "Not yet recorded"))
    b.label("Decision", recommendation_label(referral.decision))
    b.label("Decided on", fmt_date(referral.decided_on, "Not yet decided"))
    b.heading("Rationale for the decision", 2)
    b.paragraphs(referral.decision_rationale, empty="Not yet recorded.")

    b.heading("Notification to the National Panel", 1)
    if referral.decision == "scr":
        reviewers = ", ".join(referral.reviewers) or "To be appointed"
        b.paragraph("An SCR is initiated: the Chair gives the panel the name(s) of the "
                    f"reviewer(s) appointed. Reviewer(s): {reviewers}.")
    elif referral.decision:
        due = (clocks.national_panel_notice_due(referral.decided_on)
               if referral.decided_on else None)
        b.paragraph(
            "No SCR is initiated: the panel must be told within "
            f"{clocks.describe('national_panel_notice')} of the decision "
            f"(by {fmt_date(due, 'then')}), with the Serious Incident Notification or brief "
            "anonymised details, and an explanation of why the case does not meet the SCR criteria."
        )
    else:
        b.paragraph("Awaiting the Chair's decision.", italic=True)
    return b.to_bytes()
