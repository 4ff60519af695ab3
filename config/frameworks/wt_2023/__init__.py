"""Working Together to Safeguard Children 2023 (England), chapter 5: a safeguarding
children partnership's framework.

Since 2019 the board of the source works as a safeguarding children partnership. A serious
incident is notified to the Child Safeguarding Practice Review Panel within 5 working days;
the partners complete a rapid review within 15 working days of the notification and decide
whether a Local Child Safeguarding Practice Review (LCSPR) is appropriate; an LCSPR's final
report is expected within six months of that decision and goes to the National Panel and the
Secretary of State at least 7 working days before it is published. Learning, audits, action
plans and the scrutiny of their impact continue as in the source, under local names.
"""

from config import taxonomy

from .clocks import CLOCKS, ITEM_CLOCKS, REMINDERS, WORKING_DAYS
from .workflows import WORKFLOWS

TITLE = "Working Together to Safeguard Children 2023 (England)"

VOCABULARY = {
    "board": "Partnership",
    "board_name": "Liverpool Safeguarding Children Partnership",
    "chair": "Safeguarding partners' lead representatives",
    # The committees keep their keys (what meetings and audits store); the names are the
    # partnership's.
    "committees": (
        ("ciec", "Case Review Group (rapid reviews and LCSPRs)"),
        ("pdc", "Learning and Development Subgroup"),
        ("qaec", "Quality Assurance and Performance Subgroup"),
        ("executive", "Safeguarding Partners' Executive"),
        ("lscb", "Safeguarding Children Partnership"),
        ("cse_subgroup", "Exploitation Subgroup"),
        ("cdop", "Child Death Overview Panel"),
    ),
    # The reviews whose reports are published and stay so at least the "publication" clock.
    "published_reviews": ("lcspr",),
    # What the rapid review may decide.
    "decisions": tuple(key for key, _ in taxonomy.RAPID_REVIEW_DECISIONS),
    # The register's words for a serious incident's states: its stage, and who holds it.
    "register": {
        "stages": {
            "incident_recorded": "Serious incident: notify the National Panel",
            "notified": "Notified: rapid review to start",
            "rapid_review": "Rapid review: agency summaries and meeting",
            "decided": "Rapid review decided",
            "closed": "Closed",
        },
        "holders": {
            "incident_recorded": "Local authority / Case Review Group chair",
            "notified": "Case Review Group chair",
            "rapid_review": "Safeguarding partners",
            "decided": "Business Manager",
        },
    },
    "review_types": ("rapid_review", "lcspr", "child_death_review", "multi_agency_thematic",
                     "single_agency_thematic", "section_11", "multi_agency_audit",
                     "single_agency_audit", "performance_management", "other",
                     "domestic_homicide_review", "national_regional", "ofsted_inspection",
                     "thematic_review"),
}

# The source's serious case review forms (CIGSCR1, CIGINF1, CIGM1, CIGSUM1) are not offered:
# they belong to the LSCB's pathway. The rapid review summary is the partnership's.
DOCUMENTS = ("index", "lscb-report", "plan", "pdc-pack", "audit-report", "brief",
             "rapid-review")

__all__ = ["CLOCKS", "DOCUMENTS", "ITEM_CLOCKS", "REMINDERS", "TITLE", "VOCABULARY",
           "WORKFLOWS", "WORKING_DAYS"]
