"""The working records of an audit: its case population, sample draws, tools and returns.

An :class:`~lif.models.audit.Audit` is the content item (plan, narrative findings,
recommendations). What the Quality and Audit Evidence Committee does while running it lives
here, one collection per record, each pointing back at the audit:

- :class:`AuditCase` — one case of the population, and whether (and why) it is in the sample;
- :class:`SampleDraw` — one draw by a rule, with its parameters, seed and the pool it drew from,
  so that it can be reproduced and explained;
- :class:`AuditTool` — one version of a questionnaire; a published version is frozen;
- :class:`ToolAssignment` (also known as :class:`AuditResponse`) — one tool version for one
  case (or, in a Section 11 self-assessment, none) and one agency, with its answers;
- :class:`Section11Outcome` — the panel's scrutiny-and-challenge outcome for one agency;
- :class:`RecommendationLink` — a recommendation of the audit turned into a plan's action.
"""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    DictField,
    Document,
    DynamicField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    ReferenceField,
    StringField,
)

from .audit import Audit
from .learning import new_uid

SAMPLE_RULES = (
    ("random_n", "Random N"),
    ("per_agency", "N per agency (stratified)"),
    ("top_up", "Top-up by criteria"),
    ("hand_picked", "Hand-picked with a reason"),
)
QUESTION_KINDS = (
    ("yes_no_na", "Yes / No / Not applicable"),
    ("single", "Single choice"),
    ("multiple", "Multiple choice"),
    ("scale", "Scale"),
    ("text", "Free text"),
    ("rag", "RAG self-rating with evidence"),
)
TOOL_PURPOSES = (
    ("case_file", "Case file audit tool"),
    ("section11", "Section 11 self-assessment"),
)
ASSIGNMENT_STATES = (
    ("assigned", "Not started"),
    ("in_progress", "Started, not returned"),
    ("returned", "Returned"),
)
SECTION11_OUTCOMES = (
    ("assured", "Assured"),
    ("assured_with_actions", "Assured, with actions agreed"),
    ("challenged", "Challenged: further evidence required"),
    ("not_assured", "Not assured"),
)


class AuditCase(Document):
    """One case of an audit's population; ``in_sample`` once a draw picked it."""

    audit = ReferenceField(Audit, required=True)
    case_ref = StringField(required=True, max_length=64)
    agency = StringField(required=True, max_length=64)  # the referring agency's key
    age_band = StringField(default="", max_length=32)
    gender = StringField(default="", max_length=32)
    area = StringField(default="", max_length=100)
    ethnicity = StringField(default="", max_length=100)
    referred_on = DateField()
    closed_on = DateField()
    extra = DictField()  # further columns of the imported file, as text
    batch = StringField(default="", max_length=32)  # the import that brought it in
    in_sample = BooleanField(default=False)
    sample_reason = StringField(default="", max_length=2000)
    drawn_by = ReferenceField("SampleDraw")
    added_at = DateTimeField()
    added_by = StringField(default="")

    meta = {
        "collection": "audit_cases",
        "indexes": [
            {"fields": ["audit", "case_ref"], "unique": True},
            ("audit", "in_sample", "agency"),
            ("audit", "batch"),
        ],
        "ordering": ["case_ref"],
    }

    def __str__(self) -> str:
        return self.case_ref


class SampleDraw(Document):
    """One draw of cases into the sample, stored so it can be reproduced and explained.

    ``pool`` is the eligible case references, in the order the draw used them (sorted), so
    ``random.Random(seed)`` over the same pool with the same ``parameters`` gives
    ``case_refs`` again (``pool_agencies`` gives the strata of a ``per_agency`` draw).
    """

    audit = ReferenceField(Audit, required=True)
    number = IntField(required=True, min_value=1)
    rule = StringField(required=True, choices=SAMPLE_RULES)
    parameters = DictField()
    seed = IntField()
    reason = StringField(default="", max_length=2000)
    pool = ListField(StringField(max_length=64))
    pool_agencies = ListField(StringField(max_length=64))  # per_agency: each pool case's agency
    case_refs = ListField(StringField(max_length=64))
    drawn_by = StringField(required=True)
    drawn_at = DateTimeField(required=True)
    withdrawn_at = DateTimeField()
    withdrawn_by = StringField()

    meta = {
        "collection": "audit_sample_draws",
        "indexes": [{"fields": ["audit", "number"], "unique": True}],
        "ordering": ["number"],
    }


class Question(EmbeddedDocument):
    """One question of an audit tool. ``uid`` stays the same across the tool's versions."""

    uid = StringField(required=True, default=new_uid, max_length=32)
    text = StringField(required=True, max_length=2000)
    help = StringField(default="", max_length=2000)
    kind = StringField(required=True, choices=QUESTION_KINDS)
    options = ListField(StringField(max_length=300))
    scale_min = IntField()
    scale_max = IntField()
    required = BooleanField(default=True)


class AuditTool(Document):
    """One version of an audit tool (questionnaire).

    Versions of one tool share ``key``. A draft version is edited in place; publishing freezes
    it. Changing a published tool makes a new draft version, so answers stay tied to the
    version that was asked.
    """

    audit = ReferenceField(Audit, required=True)
    key = StringField(required=True, default=new_uid, max_length=32)
    name = StringField(required=True, max_length=300)
    purpose = StringField(default="case_file", choices=TOOL_PURPOSES)
    version = IntField(required=True, default=1, min_value=1)
    questions = ListField(EmbeddedDocumentField(Question))
    published = BooleanField(default=False)
    published_at = DateTimeField()
    published_by = StringField()
    created_at = DateTimeField()
    created_by = StringField(default="")
    modified_at = DateTimeField()
    modified_by = StringField(default="")

    meta = {
        "collection": "audit_tools",
        "indexes": [
            {"fields": ["audit", "key", "version"], "unique": True},
            ("audit", "published"),
        ],
        "ordering": ["name", "version"],
    }

    def question(self, uid: str) -> Question | None:
        return next((q for q in self.questions if q.uid == uid), None)

    def __str__(self) -> str:
        return f"{self.name} (version {self.version})"


class ToolAssignment(Document):
    """One tool version sent to one agency about one case, and the agency's answers.

    ``answers`` maps question uids of ``tool`` (that exact version) to values: a string for
    yes/no/n.a., single choice and text; a list of strings for multiple choice; an int for a
    scale; ``{"rating": "red|amber|green", "evidence": "..."}`` for a RAG self-rating.
    A Section 11 self-assessment has no case: ``case`` is unset and ``case_ref`` empty.
    """

    audit = ReferenceField(Audit, required=True)
    case = ReferenceField(AuditCase)
    case_ref = StringField(default="", max_length=64)
    agency = StringField(required=True, max_length=64)
    tool = ReferenceField(AuditTool, required=True)
    tool_key = StringField(required=True, max_length=32)
    tool_version = IntField(required=True, min_value=1)
    answers = DictField(field=DynamicField())
    state = StringField(required=True, default="assigned", choices=ASSIGNMENT_STATES)
    version = IntField(default=1, min_value=1)  # optimistic lock for answer saves
    assigned_at = DateTimeField()
    assigned_by = StringField(default="")
    saved_at = DateTimeField()
    saved_by = StringField(default="")
    returned_at = DateTimeField()
    returned_by = StringField(default="")

    meta = {
        "collection": "audit_assignments",
        "indexes": [
            {"fields": ["audit", "tool_key", "case_ref", "agency"], "unique": True},
            ("audit", "agency", "state"),
            ("audit", "state"),
            ("tool", "state"),
        ],
        "ordering": ["case_ref", "agency"],
    }


AuditResponse = ToolAssignment


class Section11Outcome(Document):
    """The Section 11 panel's scrutiny-and-challenge outcome for one agency."""

    audit = ReferenceField(Audit, required=True)
    agency = StringField(required=True, max_length=64)
    outcome = StringField(required=True, choices=SECTION11_OUTCOMES)
    challenge = StringField(default="", max_length=10000)
    agreed_actions = StringField(default="", max_length=10000)
    panel_date = DateField()
    recorded_at = DateTimeField(required=True)
    recorded_by = StringField(required=True)
    # When someone recorded it in the panel's place (config/roles.py DECISIONS): why.
    override_reason = StringField(default="", max_length=5000)

    meta = {
        "collection": "audit_section11_outcomes",
        "indexes": [{"fields": ["audit", "agency"], "unique": True}],
    }


class RecommendationLink(Document):
    """A recommendation of an audit that became an action in a plan."""

    audit = ReferenceField(Audit, required=True)
    recommendation_uid = StringField(required=True, max_length=32)
    finding_uid = StringField(default="", max_length=32)
    plan = ReferenceField("ActionPlan", required=True)
    action = ReferenceField("Action", required=True)
    created_at = DateTimeField(required=True)
    created_by = StringField(required=True)

    meta = {
        "collection": "audit_recommendation_links",
        "indexes": [("audit", "recommendation_uid"), "action"],
    }
