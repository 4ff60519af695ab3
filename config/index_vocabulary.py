"""The words a Learning and Improvement Index uses, and what LIF files them under.

:mod:`documents.index_import` reads an index — the one LIF writes, or the framework's own
Appendix One — with these words: which "Type of Review" text is which review type, which
section heading is which learning section, which labels name which field, and, where an entry
of the source names no themes or agencies, the words that point to them. Pure data: patterns
are regular expressions over lower-cased text, keys are those of :mod:`config.taxonomy`
(a test checks every one exists there).
"""

#: "Type of Review" text → review type key, most specific first.
REVIEW_TYPE_WORDS = [
    (r"multi[\s-]*agency\s+thematic", "multi_agency_thematic"),
    (r"single[\s-]*agency\s+thematic", "single_agency_thematic"),
    (r"serious\s+case|\bscr\b|\blscr\b", "scr"),
    (r"critical\s+(case|incident)|\blcir\b", "critical_case_review"),
    (r"domestic\s+homicide|\bdhrs?\b", "domestic_homicide_review"),
    (r"\bcdop\b|child\s+death\s+overview", "cdop_learning"),
    (r"child\s+death", "child_death_review"),
    (r"ofsted|inspection|\bjtai\b", "ofsted_inspection"),
    (r"national|regional", "national_regional"),
    (r"performance", "performance_management"),
    (r"thematic|\bltr\b", "thematic_review"),
    (r"children|famil|staff|sub[\s-]*group", "other"),
]

#: The review type of an entry whose type text says nothing, by the section it is in.
SECTION_DEFAULT_TYPE = {
    "cdop": "cdop_learning",
    "performance": "performance_management",
    "other": "other",
}

#: The section an entry of a review type goes under when the document gives none
#: (``reviews`` for every type not listed).
TYPE_SECTION = {
    "cdop_learning": "cdop",
    "child_death_review": "cdop",
    "performance_management": "performance",
    "other": "other",
    "domestic_homicide_review": "other",
}

#: Section headings as the framework writes them → section key (LIF's own labels from
#: ``taxonomy.LEARNING_SECTIONS`` are read too).
SECTION_HEADINGS = {
    "learning from audit": "audit",
    "learning from audits": "audit",
    "learning from reviews (including serious case reviews)": "reviews",
    "learning from reviews": "reviews",
    "learning from merseyside cdop": "cdop",
    "learning from cdop": "cdop",
    "learning from performance management": "performance",
    "other learning sources": "other",
    "other learning": "other",
}

#: Field labels ("Type of Review:", "Date / Period Covered:") → the entry's field.
FIELD_LABELS = {
    "type of review": "type",
    "type of review/audit": "type",
    "type of audit": "type",
    "review/activity": "type",
    "name": "name",
    "source": "name",
    "reference": "reference",
    "date": "date",
    "date/period covered": "date",
    "period covered": "date",
    "themes": "themes",
    "agencies": "agencies",
}

#: Theme key → words in an entry's text that point to it (the source names no themes).
THEME_WORDS = {
    "neglect": r"neglect",
    "early_help": r"early help|\behat\b",
    "cse": r"sexual exploitation|\bcse\b|macse",
    "camh": r"\bcamhs?\b|self[\s-]*harm|suicid|emotional (?:health|well)",
    "criminality": r"criminal|offending",
    "front_door": r"front door|careline",
    "domestic_abuse": r"domestic (?:abuse|violence)|\bmarac\b|\bmerit\b",
    "sudi": r"safe(?:r)? sleep|\bsudi\b|co-?sleep|infant mortality",
    "thresholds": r"levels? of need|threshold",
    "information_sharing": r"information sharing|shar(?:e|ing) (?:of )?information",
    "cultural_competence": r"interpret|cultur",
    "youth_violence": r"\bgangs?\b|knife|youth violence",
    "parental_mental_health": r"(?:mother|father|parent)\S*\s+(?:\w+\s+)?mental health",
    "substance_misuse": r"substance|alcohol|\bdrugs?\b",
    "management_oversight": r"supervision|management oversight",
}

#: Agency key → words in an entry's text that point to it (the source names no agencies).
AGENCY_WORDS = {
    "lscb": r"\blscb\b",
    "police": r"police",
    "csc": r"careline|social care|social work",
    "alder_hey": r"alder hey|\bahch\b",
    "ccg": r"\bgps?\b|\bccg\b|primary care",
    "community_health": r"health visit|midwi|school nurs",
    "education": r"school|education",
    "nspcc": r"nspcc",
    "probation": r"probation",
    "yos": r"youth offending|\byos\b",
    "housing": r"housing",
    "cdop": r"\bcdop\b",
}
