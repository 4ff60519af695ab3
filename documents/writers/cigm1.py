"""CIGM1: LSCB CIG SCR Consideration Agenda for a CIEC meeting.

"Part A: Practitioner Review - Part B: Review & CIG Decision" (flowchart step 6). Part A
presents each case referred to the meeting with the agencies' returned requests for
information (CIGINF1) and the practitioners invited; Part B records, per case, the SCR
criteria, the options open to the committee and its recommendation with rationale. The
meeting's own agenda items are listed under the part they name.

The agenda goes to every CIEC member, so it never holds personal data: cases are shown by
their referral title, and the names and dates of the children and adults in those referrals
are scrubbed from everything written. It never prints LIF's internal ids: an agenda item that
is about a referral is shown under that case's title.
"""

from __future__ import annotations

from lif import policy
from lif.models import InformationRequest, Meeting, Referral
from lif.services import referrals as referral_records

from .common import (
    MARKING_RESTRICTED,
    DocumentBuilder,
    Redactor,
    agency_label,
    criteria_options,
    fmt_date,
    override_text,
    referral_people,
)

TITLE = "CIGM1 LSCB CIG SCR Consideration Agenda"
# The options of flowchart step 7, keyed as ``Referral.recommendation``.
OPTIONS = (
    ("scr", "SCR"),
    ("critical_case_review", "Critical Case Review"),
    ("ma_concise_review", "MA Concise Review"),
    ("individual_agency_review", "Individual Agency Review"),
    ("no_review", "Review not initiated"),
)


def _referrals(meeting: Meeting, actor) -> list[Referral]:
    flt = policy.view_filter(actor, "referral")
    if flt is None:
        return []
    return list(Referral.objects(__raw__={"$and": [flt, {"meeting": meeting.pk}]})
                .order_by("notified_on"))


def _requests(referral: Referral) -> list[InformationRequest]:
    return list(InformationRequest.objects(referral=referral, trashed__ne=True)
                .order_by("agency"))


def _agenda(meeting: Meeting, part: str) -> list:
    return [item for item in meeting.agenda
            if (item.part or "").strip().lower().replace("part ", "").startswith(part)]


def _item_text(item) -> str:
    return f"{item.title}: {item.decision}" if item.decision else item.title


def _item_label(item, cases: dict[str, str]) -> str:
    """How an agenda item is introduced: "Case 2" for one about a referral on the agenda,
    else "Item" (``item_ref`` holds an internal id, never printed)."""
    return cases.get(item.item_ref or "", "Item")


def build(meeting: Meeting, actor, *, progress=None) -> bytes:
    """Return the CIGM1 agenda of ``meeting`` as .docx bytes.

    :param meeting: The CIEC meeting.
    :param actor: Who it is written for; only the referrals they may view are listed.
    :param progress: Called with (cases written, total).
    """
    referrals = _referrals(meeting, actor)
    cases = {str(r.pk): f"Case {n}" for n, r in enumerate(referrals, 1)}
    b = DocumentBuilder(f"{TITLE}: {fmt_date(meeting.date)}", actor, subject="CIGM1",
                        marking=MARKING_RESTRICTED, redact=Redactor(referral_people(referrals)),
                        keywords="CIGM1; CIEC; agenda")
    b.paragraph("Part A: Practitioner Review - Part B: Review & CIG Decision", bold=True)
    b.fields([
        ("Meeting", meeting.title),
        ("Date", fmt_date(meeting.date)),
        ("Location", meeting.location or "To be confirmed"),
        ("Committee", "Critical Incident Evidence Committee (CIEC)"
         if meeting.committee == "ciec" else meeting.committee),
        ("Cases for consideration", str(len(referrals))),
    ])
    if meeting.attendees:
        b.heading("Attendees", 2)
        b.bullets(meeting.attendees)

    b.heading("Part A: Practitioner Review", 1)
    b.numbered([
        "Welcome, introductions and apologies.",
        "Confidentiality statement: information shared is for the purpose of SCR decision "
        "making only.",
        "Presentation of each case by the referring agency (CIGSCR1).",
        "Agency information (CIGINF1 returns) and practitioners' accounts.",
        "Questions to practitioners; practitioners leave the meeting.",
    ])
    for item in _agenda(meeting, "a"):
        b.label(_item_label(item, cases), item.title)
    total = len(referrals)
    for number, referral in enumerate(referrals, 1):
        b.heading(f"Case {number}: {referral.title}", 2)
        b.fields([
            ("Referring agency", agency_label(referral.agency)),
            ("Named lead", referral.named_lead),
            ("Received by LSCB", fmt_date(referral.notified_on)),
        ])
        requests = _requests(referral)
        if requests:
            b.table(
                ("Agency", "Issued", "Due", "Returned", "Key practitioners"),
                [(agency_label(r.agency), fmt_date(r.issued_on), fmt_date(r.due_on),
                  referral_records.returned_text(r), r.key_practitioners)
                 for r in requests],
            )
        else:
            b.paragraph("No requests for information issued.", italic=True)
        if progress is not None:
            progress(number, total)

    b.heading("Part B: Review & CIG Decision", 1)
    b.paragraph(
        "For each case: consider the criteria for an SCR (Working Together 2015: 75), the "
        "information from agencies, and agree the CIEC recommendation and its rationale, to "
        "be referred to the LSCB Independent Chair using the CIG Case Summary (CIGSUM1)."
    )
    for item in _agenda(meeting, "b"):
        b.label(_item_label(item, cases), _item_text(item))
    for number, referral in enumerate(referrals, 1):
        recommended = referral_records.recommendation_of(referral)
        chosen = recommended.value if recommended else None
        b.heading(f"Case {number}: {referral.title}", 2)
        b.checklist(criteria_options(referral.criteria))
        b.table(("Options", "CIEC recommendation"),
                [(label, "\u2612" if chosen == key else "\u2610")
                 for key, label in OPTIONS], widths=(12, 5))
        b.label("Recommendation", recommended.label if recommended else "To be agreed.")
        b.label("Rationale", recommended.rationale if recommended else "To be agreed.")
        if recommended and recommended.in_place_of:
            b.label("Override", override_text(recommended))
    other = [item for item in meeting.agenda if item not in _agenda(meeting, "a")
             and item not in _agenda(meeting, "b")]
    if other:
        b.heading("Any other business", 1)
        for item in other:
            b.label(_item_label(item, cases), _item_text(item))
    return b.to_bytes()
