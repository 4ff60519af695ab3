"""The rapid review summary (Working Together 2023, chapter 5) of a serious incident.

What the partners send the Child Safeguarding Practice Review Panel: the incident, when the
local authority became aware of it and notified the Panel, each statutory clock and how it
stands, each agency's summary as returned, and the decision whether a Local Child
Safeguarding Practice Review is appropriate with its rationale. It states what the record
says and nothing else: the decision only once the step recorded it
(``referrals.decision_of``), who recorded it and whether in someone's place; a summary not
returned says so. The child's details are shown only to an actor who may see personal data.
"""

from __future__ import annotations

from lif import clock, frameworks
from lif.models import InformationRequest, Referral
from lif.services import referrals

from .common import (
    MARKING_RESTRICTED,
    DocumentBuilder,
    agency_label,
    child_section,
    fmt_date,
    override_text,
    personal_view,
)

TITLE = "Rapid review summary"
_STATES = {"red": "overdue", "amber": "due soon", "green": "running",
           "done": "done in time", "late": "done late", "none": "not started"}


def build(referral: Referral, actor, *, progress=None) -> bytes:
    """Return the rapid review summary of ``referral`` (a serious incident) as .docx bytes.

    :param referral: The serious incident.
    :param actor: Who it is written for; personal data only if they may see it.
    :param progress: Unused (one item).
    """
    may_see, redact = personal_view(referral, actor)
    framework = frameworks.of(referral)
    b = DocumentBuilder(f"{TITLE}: {referral.title}", actor, subject="Rapid review",
                        marking=MARKING_RESTRICTED, redact=redact,
                        keywords="rapid review; serious incident; National Panel",
                        framework=framework)
    b.fields([
        ("Incident", referral.title),
        ("Agency", agency_label(referral.agency)),
        ("Local authority aware", fmt_date(referral.aware_on, "Not recorded")),
        ("National Panel notified", fmt_date(referral.notified_on, "Not yet notified")),
    ])

    b.heading("Statutory clocks", 1)
    b.table(("Clock", "Period", "From", "Due", "Stands"),
            [(c["label"], c["period"], fmt_date(c["started"], "Not started"),
              fmt_date(c["due"], "-"), _STATES[c["rag"]])
             for c in referrals.clocks_of(referral, clock.today())])

    child_section(b, referral, may_see)

    b.heading("The incident", 1)
    b.paragraphs(referral.case_summary or referral.reasons, empty="Not given.")

    b.heading("Agency summaries", 1)
    requests = sorted(InformationRequest.objects(referral=referral, trashed__ne=True),
                      key=lambda r: r.agency)
    if not requests:
        b.paragraph("No agency has been asked yet.", italic=True)
    for request in requests:
        b.heading(agency_label(request.agency), 2)
        b.label("Due", fmt_date(request.due_on))
        b.label("Returned", referrals.returned_text(request))
        if request.state == "answered":
            b.paragraphs(request.response, empty="No text given.")

    decided = referrals.decision_of(referral)
    b.heading("Decision", 1)
    if decided is None:
        b.label("Decision", "Not yet decided")
    else:
        b.label("Decision", decided.label)
        b.label("Decided on", fmt_date(referral.decided_on, "Not recorded"))
        b.label("Recorded", f"by {decided.by} on {fmt_date(decided.at)}")
        if decided.in_place_of:
            b.label("Override", override_text(decided))
        b.heading("Rationale", 2)
        b.paragraphs(decided.rationale, empty="Not recorded.")
    return b.to_bytes()
