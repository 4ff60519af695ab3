"""The source's framework: the Liverpool LSCB Learning and Improvement Framework.

A Local Safeguarding Children Board working to Working Together 2015: serious case reviews
decided by the Independent Chair within one month, the National Panel told within 14 days
where none is held, action plans scrutinised by the PDC every six months. The default.
"""

from config import taxonomy

from .clocks import CLOCKS, ITEM_CLOCKS, REMINDERS, WORKING_DAYS
from .workflows import WORKFLOWS

TITLE = "Liverpool LSCB Learning and Improvement Framework (Working Together 2015)"

VOCABULARY = {
    "board": "LSCB",
    "board_name": "Liverpool Safeguarding Children Board",
    "chair": "LSCB Independent Chair",
    "committees": tuple(taxonomy.COMMITTEES),
    # What the Independent Chair may decide on a referral (CIGSUM1).
    "decisions": tuple(key for key, _ in taxonomy.SCR_RECOMMENDATIONS),
    # Table 1 of the source, and the sources of learning of its Appendix One.
    # The reviews whose reports are published and stay so at least the "publication" clock.
    "published_reviews": ("scr",),
    # The register's words for a referral's states: its stage, and who holds it.
    "register": {
        "stages": {
            "submitted": "Intake (CIEC Chair and Business Manager)",
            "declined": "Declined at intake",
            "accepted": "Information requests / awaiting CIEC",
            "considered": "With the Independent Chair",
            "decided": "Decided: notifications",
            "closed": "Closed",
        },
        "holders": {
            "submitted": "CIEC Chair / Business Manager",
            "accepted": "CIEC members",
            "considered": "LSCB Independent Chair",
            "decided": "LSCB Business Manager",
        },
    },
    "review_types": ("scr", "child_death_review", "critical_case_review",
                     "multi_agency_thematic", "single_agency_thematic", "section_11",
                     "multi_agency_audit", "single_agency_audit", "performance_management",
                     "other", "domestic_homicide_review", "national_regional",
                     "ofsted_inspection", "cdop_learning", "thematic_review"),
}

# The day a local authority became aware of a serious incident belongs to Working Together
# 2023's pathway: a referral's form under this framework does not ask for it.
UNUSED_FIELDS = {"referral": ("aware_on",)}

# The Word documents of the source (its forms CIGSCR1, CIGINF1, CIGM1, CIGSUM1 and reports).
DOCUMENTS = ("index", "lscb-report", "plan", "pdc-pack", "audit-report", "brief",
             "cigscr1", "ciginf1", "cigm1", "cigsum1")

__all__ = ["CLOCKS", "DOCUMENTS", "ITEM_CLOCKS", "REMINDERS", "TITLE", "UNUSED_FIELDS",
           "VOCABULARY", "WORKFLOWS", "WORKING_DAYS"]
