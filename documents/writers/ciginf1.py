"""CIGINF1: CIG Request for Information, issued to one agency's CIEC member.

Flowchart step 5: the LSCB Administrator issues the request; the CIEC member returns it
within 7 days, naming the key practitioners (to the date of the incident) and arranging
their attendance at the CIEC meeting. CIEC members "are provided with name, address and date
of birth of those involved": the form carries them for an actor who may see personal data,
and withholds them from anyone else.
"""

from __future__ import annotations

from lif.models import InformationRequest
from lif.services import referrals

from .common import (
    MARKING_RESTRICTED,
    NOT_SHOWN,
    DocumentBuilder,
    agency_label,
    fmt_date,
    person_rows,
    personal_view,
)

TITLE = "LSCB CIG Request for Information (CIGINF1)"

ASK = (
    "Please check your agency's records and summarise your agency's involvement with the "
    "child and family named below: the services provided, key events and decisions, any "
    "concerns about how agencies worked together, and any learning already identified. "
    "Identify the key practitioners involved (to the date of the incident) and facilitate "
    "their attendance at the CIEC meeting where the case is considered; advise the LSCB "
    "Administrator of attendees before the meeting."
)


def build(request: InformationRequest, actor, *, progress=None) -> bytes:
    """Return the CIGINF1 form of ``request`` as .docx bytes.

    :param request: The request for information (one agency, one referral).
    :param actor: Who it is written for; personal data only if they may see it.
    :param progress: Unused (one item).
    """
    referral = request.referral
    may_see, redact = personal_view(referral, actor)
    b = DocumentBuilder(TITLE, actor, subject="CIGINF1", marking=MARKING_RESTRICTED,
                        redact=redact, keywords="CIGINF1; CIEC; request for information")
    meeting = referral.meeting
    b.fields([
        ("To (agency)", agency_label(request.agency)),
        ("Case", referral.title),
        ("Issued", fmt_date(request.issued_on)),
        ("Response due", fmt_date(request.due_on)),
        ("CIEC meeting", fmt_date(meeting.date, "To be arranged") if meeting else
         "To be arranged"),
        ("Referred by agency", agency_label(referral.agency)),
    ])

    b.heading("Child and family", 1)
    if not may_see:
        b.paragraph(NOT_SHOWN, italic=True)
    else:
        rows = person_rows([referral.child]) + person_rows(referral.significant_people)
        if rows:
            b.table(("Name", "Relationship / role", "Date of birth", "Date of death"), rows)
        else:
            b.paragraph("No names given in the referral.", italic=True)

    b.heading("Information requested", 1)
    b.paragraph(ASK)

    b.heading("Summary of the case (from the referral)", 1)
    b.paragraphs(referral.case_summary, empty="Not given.")

    b.heading("Response of the agency", 1)
    b.paragraphs(request.response, empty="Not yet received.")

    b.heading("Key practitioners (to the date of the incident)", 1)
    b.paragraphs(request.key_practitioners, empty="Not yet named.")

    b.heading("Completed by", 1)
    answered = request.state == "answered"
    b.fields([("CIEC member", request.responded_by or (
                  "Not recorded" if answered else "Not yet returned")),
              ("Date returned", referrals.returned_text(request))])
    return b.to_bytes()
