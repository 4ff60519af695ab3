"""The rules of running an audit, as data: the states each step is open in, the columns a
population file needs, the limits on samples, questions and answers, and the Section 11
standards a self-assessment starts from. The phases of :mod:`lif.services.audits` read them
from here.
"""

from __future__ import annotations

from ...models.audit_work import QUESTION_KINDS, SAMPLE_RULES, SECTION11_OUTCOMES

# Audit states in which the committee sets the audit up: population, sample, tools,
# assignments. Top-ups are drawn during fieldwork too (the Front Door audit added 6 cases).
SETUP_STATES = ("planned", "sampling", "fieldwork")
# Audit states in which lead auditors answer: the tools are out.
ANSWER_STATES = ("fieldwork",)
# Besides the participant's named lead auditor (by email), users with one of these roles whose
# agency is the assignment's agency answer for it. An administrator may enter any return
# (paper returns sent to the LSCB office).

REQUIRED_COLUMNS = ("case_ref", "agency")
KNOWN_COLUMNS = (
    "case_ref", "agency", "age_band", "gender", "area", "ethnicity", "referred_on", "closed_on",
)
COLUMN_ALIASES = {
    "case": "case_ref",
    "case_id": "case_ref",
    "case_no": "case_ref",
    "case_number": "case_ref",
    "case_reference": "case_ref",
    "reference": "case_ref",
    "ref": "case_ref",
    "referring_agency": "agency",
    "agency_key": "agency",
    "referrer": "agency",
    "age": "age_band",
    "age_group": "age_band",
    "sex": "gender",
    "locality": "area",
    "ward": "area",
    "district": "area",
    "referral_date": "referred_on",
    "date_of_referral": "referred_on",
    "date_referred": "referred_on",
    "referred": "referred_on",
    "closure_date": "closed_on",
    "date_closed": "closed_on",
    "closed": "closed_on",
}
DATE_COLUMNS = ("referred_on", "closed_on")
MAX_POPULATION_ROWS = 50_000
MAX_EXTRA_COLUMNS = 30
SHOWN_PROBLEMS = 20

# Attributes a top-up may filter on, and those the sample's make-up is shown by.
CRITERIA_FIELDS = ("agency", "age_band", "gender", "area", "ethnicity")
MAKEUP_FIELDS = (("agency", "Referring agency"), ("age_band", "Age band"), ("gender", "Gender"))
MAX_SEED = 2**62

YES_NO_NA = (("yes", "Yes"), ("no", "No"), ("na", "Not applicable"))
RAG = (("red", "Red"), ("amber", "Amber"), ("green", "Green"))
CHOICE_KINDS = ("single", "multiple")
MIN_OPTIONS = 2
MAX_OPTIONS = 40
MAX_SCALE_STEPS = 100
MAX_TEXT_ANSWER = 10_000

# The Section 11 standards (Working Together to Safeguard Children 2015, chapter 2,
# paragraph 4): the starting questionnaire of a self-assessment; the committee may edit it.
SECTION11_STANDARDS = (
    "A clear line of accountability for the commissioning and/or provision of services "
    "designed to safeguard and promote the welfare of children.",
    "A senior board level lead to take leadership responsibility for the organisation's "
    "safeguarding arrangements.",
    "A culture of listening to children and taking account of their wishes and feelings, both "
    "in individual decisions and the development of services.",
    "Arrangements which set out clearly the processes for sharing information, with other "
    "professionals and with the LSCB.",
    "A designated professional lead (or, for health provider organisations, named "
    "professionals) for safeguarding.",
    "Safe recruitment practices for individuals whom the organisation will permit to work "
    "regularly with children, including policies on when to obtain a criminal record check.",
    "Appropriate supervision and support for staff, including undertaking safeguarding "
    "training.",
    "Clear policies, in line with those from the LSCB, for dealing with allegations against "
    "people who work with children.",
)

KIND_LABELS = dict(QUESTION_KINDS)
RULE_LABELS = dict(SAMPLE_RULES)
OUTCOME_LABELS = dict(SECTION11_OUTCOMES)

