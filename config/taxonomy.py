"""Vocabularies of the Learning and Improvement Framework: review types, themes, agencies.

Table 1 of the Liverpool LSCB Learning and Improvement Framework ("Learning and Improvement
Framework - Activities") is the source of the review types; the types it does not list come
from the "Other Sources of Learning" and the Appendix One index. Pure data: nothing here
imports project code.
"""

REVIEW_TYPES = [
    {
        "key": "scr",
        "label": "Serious Case Review",
        "description": (
            "Case considered by Critical Incident Evidence Committee (CIEC) and LSCB Chair to "
            "meet SCR criteria"
        ),
        "responsibility": [
            "LSCB Independent Chair",
            "Critical Incident Evidence Committee (CIEC)",
            "LSCB",
        ],
        "methodology": [
            "Systems Methodology",
            "Independent Reviewer",
            "Review Panel",
            "Practitioners Group",
        ],
        "statutory": True,
    },
    {
        "key": "child_death_review",
        "label": "Child Death Review",
        "description": (
            "Statutory review of all child deaths. Any cases which identify concerns about multi "
            "agency working must be referred to CIEC for consideration of an SCR."
        ),
        "responsibility": ["Merseyside Child Death Overview Panel (CDOP)"],
        "methodology": ["Pan Merseyside CDOP"],
        "statutory": True,
    },
    {
        "key": "critical_case_review",
        "label": "Critical Case Review",
        "description": (
            "Review of a case which falls below threshold for SCR but where learning can be "
            "elicited to inform future practice"
        ),
        "responsibility": [
            "LSCB Critical Incident Evidence Committee (CIEC)",
            "LSCB Quality and Audit Evidence Committee",
            "LSCB Independent Chair",
            "LSCB Executive Group",
            "LSCB",
        ],
        "methodology": [
            "Methodology relevant to case",
            "Systems Methodology",
            "Peer Review",
            "Case Learning Session",
        ],
        "statutory": False,
    },
    {
        "key": "multi_agency_thematic",
        "label": "Multi-Agency Thematic Review",
        "description": (
            "Multi-agency review to establish why good and poor practice occurs to identify "
            "strengths and weaknesses in multi-disciplinary systems"
        ),
        "responsibility": [
            "LSCB Critical Incident Evidence Committee (CIEC)",
            "LSCB Quality and Audit Evidence Committee",
            "LSCB Independent Chair",
            "LSCB Executive Group",
            "LSCB",
        ],
        "methodology": [
            "Methodology relevant to case",
            "Systems Methodology",
            "Peer Review",
            "Case Learning Session",
        ],
        "statutory": False,
    },
    {
        "key": "single_agency_thematic",
        "label": "Single Agency Thematic Review",
        "description": (
            "Individual service review of practice in response to request from CIEC, LSCB "
            "Executive Group"
        ),
        "responsibility": [
            "Critical Incident Evidence Committee (CIEC)",
            "LSCB Executive Group",
            "Service Lead",
        ],
        "methodology": ["Management Review", "Independent reviewer as required"],
        "statutory": False,
    },
    {
        "key": "section_11",
        "label": "Section 11 Audit",
        "description": (
            "Self-assessment audit to assess whether partners are fulfilling their statutory "
            "obligations under Section 11 of the Children Act 2004"
        ),
        "responsibility": ["LSCB Chair", "LSCB Business Manager", "Service Lead"],
        "methodology": [
            "Annual multi-agency audit",
            "LSCB Panel scrutiny and challenge session",
        ],
        "statutory": True,
    },
    {
        "key": "multi_agency_audit",
        "label": "Multi Agency Audit",
        "description": (
            "Review of the effectiveness of safeguarding activity within and across partner "
            "agencies through means of multi-agency audit"
        ),
        "responsibility": ["LSCB Quality and Audit Evidence Committee", "Service Lead"],
        "methodology": [
            "Themed audit linked to LSCB Business Plan 2014/16: CSE / Neglect / Early Help / "
            "CAMHS / Thresholds",
            "Audit Tools",
            "Interviews",
        ],
        "statutory": False,
    },
    {
        "key": "single_agency_audit",
        "label": "Single Agency Audit",
        "description": (
            "Review of effectiveness of safeguarding activity within an agency through means of "
            "single agency audit"
        ),
        "responsibility": ["Critical Incident Evidence Committee (CIEC)", "Service Lead"],
        "methodology": ["Audit relevant to concern", "Case File", "Practice Review"],
        "statutory": False,
    },
    {
        "key": "performance_management",
        "label": "Performance Management",
        "description": "Activity in response to analysis of LSCB Performance Information and Data",
        "responsibility": ["LSCB Executive Group"],
        "methodology": ["Analysis of Performance Data"],
        "statutory": False,
    },
    {
        "key": "other",
        "label": "Other (Children / Families / Staff)",
        "description": "Activity in response to engagement with Children, Families and staff",
        "responsibility": ["LSCB Executive Group"],
        "methodology": [
            "Voice of the Child Evidence Committee",
            "Family and Child evaluation of service",
            "Practitioner forums",
        ],
        "statutory": False,
    },
    {
        "key": "domestic_homicide_review",
        "label": "Domestic Homicide Review",
        "description": (
            "Statutory multi-agency review of a death resulting from domestic violence or abuse; "
            "learning relevant to children is shared with the LSCB"
        ),
        "responsibility": ["Community Safety Partnership", "LSCB"],
        "methodology": ["Independent Chair and Author", "Review Panel", "Agency IMRs"],
        "statutory": True,
    },
    {
        "key": "national_regional",
        "label": "National and Regional Reviews",
        "description": (
            "Learning from significant national inquiries, published case reviews and regional "
            "reviews"
        ),
        "responsibility": ["LSCB Executive Group", "LSCB Professional Development Committee"],
        "methodology": ["Review of published reports and research", "Learning briefings"],
        "statutory": False,
    },
    {
        "key": "ofsted_inspection",
        "label": "Ofsted Inspection",
        "description": (
            "Learning from Ofsted inspections, including thematic and joint targeted area "
            "inspections"
        ),
        "responsibility": ["Ofsted", "LSCB Executive Group"],
        "methodology": ["Inspection report", "Action plan"],
        "statutory": True,
    },
    {
        "key": "cdop_learning",
        "label": "Merseyside CDOP Learning",
        "description": (
            "Learning from the Merseyside Child Death Overview Panel's analysis of child deaths "
            "and modifiable factors"
        ),
        "responsibility": ["Merseyside Child Death Overview Panel (CDOP)"],
        "methodology": ["CDOP Annual Report", "Analysis of modifiable factors"],
        "statutory": False,
    },
    {
        "key": "thematic_review",
        "label": "Thematic Review",
        "description": (
            "Review of a group of cases sharing a theme to identify systemic learning across "
            "agencies"
        ),
        "responsibility": ["LSCB Critical Incident Evidence Committee (CIEC)", "LSCB"],
        "methodology": ["Systems Methodology", "Independent Reviewer", "Case Learning Session"],
        "statutory": False,
    },
    # Working Together 2023 (England), chapter 5: offered under that framework only
    # (``config/frameworks/wt_2023``).
    {
        "key": "rapid_review",
        "label": "Rapid Review",
        "description": (
            "Review by the safeguarding partners of a serious incident notified to the Child "
            "Safeguarding Practice Review Panel, within 15 working days of the notification"
        ),
        "responsibility": ["Safeguarding partners", "Child Safeguarding Practice Review Panel"],
        "methodology": ["Agency summaries", "Rapid review meeting", "Decision with rationale"],
        "statutory": True,
    },
    {
        "key": "lcspr",
        "label": "Local Child Safeguarding Practice Review",
        "description": (
            "Review commissioned by the safeguarding partners where a rapid review finds it "
            "appropriate; the final report is expected within six months of the decision"
        ),
        "responsibility": ["Safeguarding partners", "Independent reviewers"],
        "methodology": ["Terms of reference", "Independent reviewers", "Practitioner events"],
        "statutory": True,
    },
]

# What the CIEC may recommend and the Independent Chair decide (the source's CIGSUM1).
SCR_RECOMMENDATIONS = (
    ("scr", "Serious Case Review"),
    ("critical_case_review", "Critical Case Review"),
    ("ma_concise_review", "Multi-agency concise review"),
    ("individual_agency_review", "Individual agency review"),
    ("no_review", "Review not initiated"),
)

# What the partners' rapid review may decide (Working Together 2023, chapter 5).
RAPID_REVIEW_DECISIONS = (
    ("lcspr", "A Local Child Safeguarding Practice Review is appropriate"),
    ("no_lcspr", "No LCSPR: the learning is taken forward otherwise"),
)

AUDIT_TYPES = [
    ("multi_agency", "Multi-agency case file audit"),
    ("single_agency", "Single agency audit"),
    ("thematic", "Thematic audit"),
    ("section_11", "Section 11 self-assessment"),
]

# LSCB priorities 2014-2016 first (Priority 1-6 plus Domestic Abuse), then themes the
# Appendix One learning keeps returning to.
THEMES = [
    ("neglect", "Neglect"),
    ("early_help", "Early Help"),
    ("cse", "Child Sexual Exploitation"),
    ("camh", "Child and Adolescent Mental Health"),
    ("criminality", "Children Affected by Criminality"),
    ("front_door", "Front Door"),
    ("domestic_abuse", "Domestic Abuse"),
    ("sudi", "Safe Sleeping / SUDI"),
    ("thresholds", "Thresholds and Levels of Need"),
    ("information_sharing", "Information Sharing"),
    ("cultural_competence", "Cultural Competence and Interpreters"),
    ("youth_violence", "Youth and Gang Violence"),
    ("parental_mental_health", "Parental Mental Health"),
    ("substance_misuse", "Parental Substance Misuse"),
    ("management_oversight", "Management Oversight and Supervision"),
]

AGENCIES = [
    {"key": "lscb", "name": "Liverpool Safeguarding Children Board (LSCB)", "kind": "partnership"},
    {"key": "police", "name": "Merseyside Police", "kind": "police"},
    {
        "key": "csc",
        "name": "Liverpool Children's Social Care (Careline)",
        "kind": "local_authority",
    },
    {"key": "alder_hey", "name": "Alder Hey Children's Hospital", "kind": "health"},
    {"key": "ccg", "name": "Liverpool CCG and Primary Care (GPs)", "kind": "health"},
    {
        "key": "community_health",
        "name": "Community Health (Health Visiting, School Nursing, Midwifery)",
        "kind": "health",
    },
    {"key": "education", "name": "Schools and Education Services", "kind": "education"},
    {"key": "nspcc", "name": "NSPCC", "kind": "voluntary"},
    {
        "key": "probation",
        "name": "National Probation Service / Community Rehabilitation Company",
        "kind": "probation",
    },
    {
        "key": "yos",
        "name": "Youth Offending Service (Targeted Services for Young People)",
        "kind": "local_authority",
    },
    {"key": "housing", "name": "Housing", "kind": "housing"},
    {"key": "cdop", "name": "Merseyside Child Death Overview Panel (CDOP)", "kind": "partnership"},
]

COMMITTEES = [
    ("ciec", "Critical Incident Evidence Committee"),
    ("pdc", "Professional Development Committee"),
    ("qaec", "Quality and Audit Evidence Committee"),
    ("executive", "LSCB Executive Group"),
    ("lscb", "LSCB Board"),
    ("cse_subgroup", "LSCB CSE Sub Group"),
    ("cdop", "Merseyside Child Death Overview Panel"),
]

# Groups of the Appendix One "Learning and Improvement Index", in document order.
LEARNING_SECTIONS = [
    ("audit", "Learning from Audit"),
    ("reviews", "Learning from Reviews (including Serious Case Reviews)"),
    ("cdop", "Learning from Merseyside CDOP"),
    ("performance", "Learning from Performance Management"),
    ("other", "Other Learning Sources"),
]
