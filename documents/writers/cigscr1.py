"""CIGSCR1: LSCB Serious Case Review - Request for CIEC Consideration Form (a referral).

The boxes follow the framework's form: 1 the SCR criteria (a checklist, with the reasons for
the request "for completion in all cases"), 2 summary of case, 3 the child or young person
with date of birth and of death, 4 significant adults and children, 5 the agency providing
information, 7 the named lead, 8 the review with the agency safeguarding lead, 9 the date the
form was completed. The source's form jumps from 5 to 7; box 6 here lists the other agencies
involved, which the CIEC needs to issue its requests for information.

Boxes 3 and 4 hold personal data: they are filled in only for an actor who may see it
(the policy's ``view_personal``, :mod:`lif.policy`); anyone else gets a note that they are withheld,
and the referral's names and dates are scrubbed from the free text too.
"""

from __future__ import annotations

from lif import workflow
from lif.models import Referral

from .common import (
    MARKING_RESTRICTED,
    NOT_SHOWN,
    DocumentBuilder,
    agency_label,
    criteria_options,
    fmt_date,
    person_rows,
    personal_view,
)

TITLE = "LSCB Serious Case Review: Request for CIEC Consideration Form (CIGSCR1)"

WORKING_TOGETHER = (
    "Working Together (2015: 75): cases which meet one of the following criteria, i.e. "
    "regulation 5(2)(a) and (b)(i) or 5(2)(a) and (b)(ii), must always trigger an SCR. "
    "A serious case is one where (a) abuse or neglect of a child is known or suspected; and "
    "(b) either (i) the child has died; or (ii) the child has been seriously harmed and there "
    "is cause for concern as to the way in which the authority, their Board partners or other "
    "relevant persons have worked together to safeguard the child."
)


def build(referral: Referral, actor, *, progress=None) -> bytes:
    """Return the CIGSCR1 form of ``referral`` as .docx bytes.

    :param referral: The referral.
    :param actor: Who the form is written for; personal data only if they may see it.
    :param progress: Unused (one item).
    """
    may_see, redact = personal_view(referral, actor)
    b = DocumentBuilder(TITLE, actor, subject="CIGSCR1", marking=MARKING_RESTRICTED,
                        redact=redact, keywords="CIGSCR1; CIEC; referral")
    b.fields([
        ("Referral", referral.title),
        ("Status", workflow.state_title(referral)),
        ("Received by LSCB", fmt_date(referral.notified_on, "Not recorded")),
    ])

    b.heading("1. Serious Case Review Criteria for Review", 1)
    b.paragraph(WORKING_TOGETHER)
    b.checklist(criteria_options(referral.criteria))
    b.heading("FOR COMPLETION IN ALL CASES: Reason(s) for submission of request for CIEC "
              "consideration", 2)
    b.paragraphs(referral.reasons, empty="Not given.")

    b.heading("2. Summary of case", 1)
    b.paragraphs(referral.case_summary, empty="Not given.")

    b.heading("3. Name of Child, Young Person / DOB / DOD (if deceased)", 1)
    if not may_see:
        b.paragraph(NOT_SHOWN, italic=True)
    elif referral.child is not None:
        b.table(("Name", "Date of birth", "Date of death"), person_rows([referral.child],
                                                                        role=False))
    else:
        b.paragraph("Not given.", italic=True)

    b.heading("4. Name / DOB of significant adults and children", 1)
    if not may_see:
        b.paragraph(NOT_SHOWN, italic=True)
    elif referral.significant_people:
        b.table(("Name", "Relationship / role", "Date of birth", "Date of death"),
                person_rows(referral.significant_people))
    else:
        b.paragraph("None given.", italic=True)

    b.heading("5. Agency Providing Information", 1)
    b.paragraph(agency_label(referral.agency) or "Not given.")

    b.heading("6. Other agencies involved", 1)
    others = [agency_label(key) for key in referral.agencies if key != referral.agency]
    if others:
        b.bullets(others)
    else:
        b.paragraph("None recorded.", italic=True)

    b.heading("7. Named Lead / person providing this information", 1)
    b.fields([("Named lead", referral.named_lead), ("Submitted by", referral.referred_by)])

    b.heading("8. For Cases referred by Agency", 1)
    b.fields([
        ("Date case reviewed with Agency Safeguarding Lead",
         fmt_date(referral.reviewed_with_lead_on)),
        ("Name and position within agency with whom case reviewed", referral.reviewed_with),
    ])

    b.heading("9. Date of SCR Request for Consideration Form Completion", 1)
    b.paragraph(fmt_date(referral.completed_on, "Not recorded"))
    return b.to_bytes()
