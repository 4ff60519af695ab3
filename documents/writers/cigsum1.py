"""CIGSUM1: LSCB CIG Case Summary - the CIEC's recommendation and the Chair's decision.

Flowchart steps 7 to 9: the CIEC Chair refers the recommendation (SCR, Critical Case Review,
MA Concise Review, Individual Agency Review or review not initiated) with its rationale to the
LSCB Independent Chair, who affirms or challenges it and records the decision with its
rationale; where no SCR is initiated the National Panel is told within 14 days. The child's
details are shown only to an actor who may see personal data.

It states what the record says and nothing else: the recommendation and the decision only
once their transitions recorded them (``referrals.recommendation_of``/``decision_of``), who
recorded each and whether in someone's place, each agency's return as recorded, and each
notice as drafted and, once marked, sent.
"""

from __future__ import annotations

from lif import clocks, frameworks
from lif.models import InformationRequest, Referral
from lif.services import referrals

from .common import (
    MARKING_RESTRICTED,
    DocumentBuilder,
    agency_label,
    child_section,
    criteria_options,
    fmt_date,
    override_text,
    personal_view,
)

TITLE = "LSCB CIG Case Summary (CIGSUM1)"
_STANCES = {"affirmed": "Affirmed the CIEC recommendation",
            "challenged": "Challenged the CIEC recommendation"}
_NOTICE_KINDS = {"ofsted": "Ofsted", "national_panel": "National Panel",
                 "referrer": "The referrer"}


def _recorded(b: DocumentBuilder, recorded) -> None:
    if recorded is None:
        return
    b.label("Recorded", f"by {recorded.by} on {fmt_date(recorded.at)}")
    if recorded.in_place_of:
        b.label("Override", override_text(recorded))


def build(referral: Referral, actor, *, progress=None) -> bytes:
    """Return the CIGSUM1 case summary of ``referral`` as .docx bytes.

    :param referral: The referral considered by the CIEC.
    :param actor: Who it is written for; personal data only if they may see it.
    :param progress: Unused (one item).
    """
    may_see, redact = personal_view(referral, actor)
    b = DocumentBuilder(TITLE, actor, subject="CIGSUM1", marking=MARKING_RESTRICTED,
                        redact=redact, keywords="CIGSUM1; CIEC; case summary; decision",
                        framework=frameworks.of(referral))
    meeting = referral.meeting
    framework = frameworks.of(referral)
    decision_due = clocks.decision_due(referral.notified_on, framework)
    b.fields([
        ("Case", referral.title),
        ("Referring agency", agency_label(referral.agency)),
        ("LSCB notified", fmt_date(referral.notified_on, "Not recorded")),
        ("Considered by CIEC", fmt_date(meeting.date) if meeting else "Not yet considered"),
        (f"Decision due ({clocks.describe('scr_decision', framework)} from notification)",
         fmt_date(decision_due)),
    ])

    child_section(b, referral, may_see)

    b.heading("Summary of case", 1)
    b.paragraphs(referral.case_summary or referral.reasons, empty="Not given.")

    b.heading("Criteria for a Serious Case Review", 1)
    b.checklist(criteria_options(referral.criteria))

    requests = list(InformationRequest.objects(referral=referral, trashed__ne=True))
    if requests:
        b.heading("Information from agencies (CIGINF1)", 1)
        b.table(("Agency", "Due", "Returned"),
                [(agency_label(r.agency), fmt_date(r.due_on), referrals.returned_text(r))
                 for r in sorted(requests, key=lambda r: r.agency)])

    recommended = referrals.recommendation_of(referral)
    b.heading("CIEC recommendation", 1)
    b.label("Recommendation", recommended.label if recommended else "Not yet recorded")
    _recorded(b, recommended)
    b.heading("Rationale", 2)
    b.paragraphs(recommended.rationale if recommended else "", empty="Not yet recorded.")

    decided = referrals.decision_of(referral)
    b.heading("LSCB Independent Chair: challenge / affirmation", 1)
    if decided is None:
        b.label("Decision", "Not yet decided")
        b.paragraph("Awaiting the Chair's decision.", italic=True)
    else:
        b.label("The Chair", _STANCES.get(referral.chair_stance or "", "Not recorded"))
        b.label("Decision", decided.label)
        b.label("Decided on", fmt_date(referral.decided_on, "Not recorded"))
        _recorded(b, decided)
        b.heading("Rationale for the decision", 2)
        b.paragraphs(decided.rationale, empty="Not recorded.")

    b.heading("Notification to the National Panel", 1)
    if decided is None:
        b.paragraph("Awaiting the Chair's decision.", italic=True)
    elif decided.value == "scr":
        reviewers = ", ".join(referral.reviewers) or "To be appointed"
        b.paragraph("An SCR is initiated: the Chair gives the panel the name(s) of the "
                    f"reviewer(s) appointed. Reviewer(s): {reviewers}.")
    else:
        due = (clocks.national_panel_notice_due(referral.decided_on, framework)
               if referral.decided_on else None)
        b.paragraph(
            "No SCR is initiated: the panel must be told within "
            f"{clocks.describe('national_panel_notice', framework)} of the decision "
            f"(by {fmt_date(due, 'then')}), with the Serious Incident Notification or brief "
            "anonymised details, and an explanation of why the case does not meet the SCR criteria."
        )
    if decided is not None and referral.notices:
        b.heading("Notifications", 1)
        b.table(("To", "Due", "Sent"),
                [(_NOTICE_KINDS.get(n.kind, n.to), fmt_date(n.due_on),
                  fmt_date(n.sent_on, "Not yet sent")) for n in referral.notices])
    return b.to_bytes()
