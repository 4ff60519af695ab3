"""Learning and improvement action plans and their actions."""

from __future__ import annotations

from mongoengine import (
    DateField,
    DateTimeField,
    Document,
    EmailField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
    ValidationError,
)

from .base import IMPORT_KEY_INDEX, Content, content_indexes, date_not_before, import_key_field

PLAN_KINDS = (("multi_agency", "Multi-agency"), ("single_agency", "Single-agency"))
SOURCE_KINDS = (("review", "Review"), ("audit", "Audit"), ("other", "Other learning"))
ACTION_STATUSES = (
    ("not_started", "Not started"),
    ("in_progress", "In progress"),
    ("complete", "Complete"),
    ("verified", "Verified"),
    ("cancelled", "Cancelled"),
)
PDC_VERDICTS = (
    ("evidenced", "Impact evidenced"),
    ("challenged", "Challenged"),
    ("not_yet_due", "Not yet due"),
)


class ActionPlan(Content):
    type_key = "action_plan"
    type_label = "Action plan"
    creator_field = "owner"

    kind = StringField(required=True, choices=PLAN_KINDS, default="multi_agency")
    agency = StringField(max_length=64)  # set for single-agency plans only
    source_kind = StringField(required=True, choices=SOURCE_KINDS, default="review")
    review = ReferenceField("Review")
    audit = ReferenceField("Audit")
    source_other = StringField(default="", max_length=500)
    finding_uids = ListField(StringField(max_length=32))
    owner = StringField(default="", max_length=254)  # email of the owning user
    ratified_on = DateField()
    next_pdc_review = DateField()
    closed_on = DateField()

    meta = {
        "collection": "action_plans",
        "indexes": content_indexes(
            ("trashed", "agency", "state"), ("trashed", "kind"), "review", "audit",
            ("trashed", "state", "next_pdc_review"),
            # Lists sorted by these read window by window (lif/list_pages.py).
            ("trashed", "title"), ("trashed", "agency", "modified_at"),
            ("trashed", "agency", "title"), ("trashed", "next_pdc_review"),
        ),
        "ordering": ["-modified_at"],
    }

    @property
    def source(self):
        return {"review": self.review, "audit": self.audit}.get(self.source_kind)

    @property
    def source_title(self) -> str:
        source = self.source
        return str(source) if source is not None else self.source_other

    def clean(self) -> None:
        super().clean()
        if self.kind == "single_agency" and not self.agency:
            raise ValidationError(
                "A single-agency plan needs its agency.",
                errors={"agency": "Choose the agency this plan belongs to."},
            )
        if self.kind == "multi_agency":
            self.agency = None
        if self.source_kind == "review" and not self.review:
            raise ValidationError(
                "Choose the review this plan answers.", errors={"review": "Choose a review."}
            )
        if self.source_kind == "audit" and not self.audit:
            raise ValidationError(
                "Choose the audit this plan answers.", errors={"audit": "Choose an audit."}
            )
        if self.source_kind == "other" and not self.source_other.strip():
            raise ValidationError(
                "Say what learning this plan answers.",
                errors={"source_other": "Describe the learning source."},
            )
        if self.source_kind != "review":
            self.review = None
        if self.source_kind != "audit":
            self.audit = None


class ActionRecord(Document):
    """Something appended to an action — a progress update, a piece of evidence — kept as a
    record of its own, never changed after (but for a PDC verdict on evidence).

    An action's thousandth update costs what its first did: the action's document does not
    grow with its updates, nor does a version of it get stored for each (60 updates of 10 KB
    kept in the action grew the database from 12 MB to 46 MB, each note slower than the one
    before; a document also has a 16 MB limit). The record is its own history: who wrote it
    and when, and the audit trail's line.
    """

    action = ObjectIdField(required=True)
    at = DateTimeField(required=True)
    author = StringField(required=True)

    meta = {"abstract": True}

    # The field naming the item it was appended to, and what the audit trail calls it.
    owner_field = "action"
    label = ""


class ProgressUpdate(ActionRecord):
    label = "progress"

    text = StringField(required=True, max_length=10000)

    meta = {"collection": "action_progress", "indexes": [("action", "at")],
            "ordering": ["at", "id"]}

    def __str__(self) -> str:
        return self.text or ""


class Evidence(ActionRecord):
    """Evidence of impact: what changed for practice or for children, and how it was measured."""

    label = "evidence"

    uid = StringField(required=True, max_length=32)
    description = StringField(required=True, max_length=10000)
    measure = StringField(default="", max_length=5000)
    attachment_ids = ListField(ObjectIdField())
    pdc_verdict = StringField(choices=PDC_VERDICTS)

    meta = {"collection": "action_evidence", "indexes": [("action", "at"), "uid"],
            "ordering": ["at", "id"]}

    def __str__(self) -> str:
        return self.description or ""


class Action(Content):
    type_key = "action"
    type_label = "Action"

    plan = ReferenceField(ActionPlan, required=True)
    finding_uid = StringField(default="", max_length=32)
    finding_text = StringField(default="", max_length=20000)
    description = StringField(required=True, max_length=10000)
    lead_name = StringField(required=True, max_length=200)
    lead_email = EmailField(required=True, max_length=254)
    agency = StringField(required=True, max_length=64)
    due_date = DateField(required=True)
    cancel_reason = StringField(default="", max_length=2000)
    completed_on = DateField()
    last_pdc_verdict = StringField(choices=PDC_VERDICTS)
    last_pdc_comment = StringField(default="", max_length=5000)
    # The row of an import file this action came from (plans.import_actions): unique, so a
    # file imported twice, or by two people at once, adds each of its rows once.
    import_key = import_key_field()

    meta = {
        "collection": "actions",
        "indexes": [*content_indexes(
            ("trashed", "plan"),
            ("trashed", "agency", "state", "due_date"),
            ("trashed", "agency", "due_date"),
            ("trashed", "state", "due_date"),
            ("trashed", "due_date"),
            ("trashed", "lead_email"),
            "plan",
            # Lists sorted by these read window by window (lif/list_pages.py): the title,
            # and what waits for a lead (their agency's, by the time of the last change).
            ("trashed", "title"), ("trashed", "agency", "title"),
            ("trashed", "agency", "modified_at"), ("trashed", "agency", "state", "modified_at"),
        ), IMPORT_KEY_INDEX],
        "ordering": ["due_date"],
    }

    # Records appended to an action, each in its own collection (removed when it is purged).
    appended = (ProgressUpdate, Evidence)

    @property
    def status(self) -> str:
        """An action's status is its workflow state."""
        return self.state

    @property
    def progress(self) -> list[ProgressUpdate]:
        """The action's progress updates, oldest first (read once per instance)."""
        return self._records(ProgressUpdate)

    @property
    def evidence(self) -> list[Evidence]:
        """The action's evidence of impact, oldest first (read once per instance)."""
        return self._records(Evidence)

    @property
    def progress_count(self) -> int:
        return self._count(ProgressUpdate)

    @property
    def evidence_count(self) -> int:
        return self._count(Evidence)

    def clean(self) -> None:
        super().clean()
        plan = self.plan
        if (plan is not None and getattr(plan, "kind", None) == "single_agency"
                and plan.agency and self.agency and self.agency != plan.agency):
            raise ValidationError(
                "A single-agency plan's actions belong to its agency.",
                errors={"agency": "A single-agency plan's actions belong to its agency."},
            )
        if plan is not None and getattr(plan, "created_at", None):
            date_not_before(
                self.due_date,
                plan.created_at,
                "due_date",
                "The due date cannot be before the plan was created.",
            )
