"""The serious case review pathway: referral (CIGSCR1) and requests for information (CIGINF1)."""

from __future__ import annotations

from mongoengine import (
    DateField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
    ValidationError,
)

from config import taxonomy

from .base import Content, content_indexes, date_not_before

CRITERIA = (
    ("reg5_2a_b_i",
     "Reg. 5(2)(a) abuse or neglect known or suspected and (b)(i) the child has died"),
    (
        "reg5_2a_b_ii",
        "Reg. 5(2)(a) abuse or neglect known or suspected and (b)(ii) the child has been seriously "
        "harmed and there is cause for concern about how agencies worked together",
    ),
    ("death_in_custody", "Death in custody, police custody, on remand or following sentencing"),
    ("death_yoi", "Death in a Young Offender Institution"),
    ("death_secure", "Death in a secure training centre or secure children's home"),
    ("mental_health_act", "Child detained under the Mental Health Act"),
    ("deprivation_of_liberty", "Child aged 16-17 subject to a deprivation of liberty order"),
    ("looked_after", "Looked-after child"),
    ("suspected_suicide", "Suspected suicide"),
)
# What the CIEC may recommend and the Chair decide (the source); what a rapid review may
# decide (Working Together 2023). Each framework offers its own (its VOCABULARY "decisions").
RECOMMENDATIONS = taxonomy.SCR_RECOMMENDATIONS
DECISIONS = (*taxonomy.SCR_RECOMMENDATIONS, *taxonomy.RAPID_REVIEW_DECISIONS)
CHAIR_STANCES = (("affirmed", "Affirmed"), ("challenged", "Challenged"))


class Person(EmbeddedDocument):
    """A child or significant adult named in a referral: restricted personal data."""

    name = StringField(required=True, max_length=200)
    role = StringField(default="", max_length=200)
    date_of_birth = DateField()
    date_of_death = DateField()

    def clean(self) -> None:
        date_not_before(
            self.date_of_death,
            self.date_of_birth,
            "date_of_death",
            "The date of death cannot be before the date of birth.",
        )


class Notice(EmbeddedDocument):
    """A notification the LSCB must send (Ofsted, the National Panel, the referrer), drafted."""

    kind = StringField(required=True, choices=("ofsted", "national_panel", "referrer"))
    to = StringField(required=True, max_length=300)
    due_on = DateField(required=True)
    text = StringField(default="", max_length=20000)
    sent_on = DateField()


class Referral(Content):
    type_key = "referral"
    type_label = "Referral"
    creator_field = "referred_by"

    reasons = StringField(required=True, max_length=20000)
    case_summary = StringField(default="", max_length=100000)
    # Children's and families' details: ``personal=True`` is the one marker the policy and
    # the redactor read (lif/policy.py personal_fields, lif/redact.py).
    child = EmbeddedDocumentField(Person, personal=True)
    significant_people = ListField(EmbeddedDocumentField(Person), personal=True)
    agency = StringField(required=True, max_length=64)
    named_lead = StringField(default="", max_length=200)
    referred_by = StringField(default="", max_length=254)
    reviewed_with_lead_on = DateField()
    reviewed_with = StringField(default="", max_length=300)
    completed_on = DateField()
    # The day the local authority became aware of a serious incident (Working Together 2023:
    # the National Panel is notified within 5 working days of it).
    aware_on = DateField()
    notified_on = DateField()
    criteria = ListField(StringField(choices=CRITERIA))
    meeting = ReferenceField("Meeting")
    decline_reason = StringField(default="", max_length=5000)
    recommendation = StringField(choices=RECOMMENDATIONS)
    recommendation_rationale = StringField(default="", max_length=20000)
    chair_stance = StringField(choices=CHAIR_STANCES)
    decision = StringField(choices=DECISIONS)
    decision_rationale = StringField(default="", max_length=20000)
    decided_on = DateField()
    reviewers = ListField(StringField(max_length=200))
    review = ReferenceField("Review")
    notices = ListField(EmbeddedDocumentField(Notice))

    meta = {
        "collection": "referrals",
        "indexes": content_indexes("agency", "notified_on", "decided_on"),
        "ordering": ["-notified_on"],
    }

    def clean(self) -> None:
        super().clean()
        if self.child is not None:
            self.child.clean()
        for person in self.significant_people:
            person.clean()
        if self.decision and not self.decision_rationale.strip():
            raise ValidationError(
                "A decision needs its rationale.",
                errors={"decision_rationale": "Give the rationale for the decision."},
            )
        date_not_before(
            self.decided_on, self.notified_on, "decided_on",
            "The decision cannot be before the notification.",
        )
        date_not_before(
            self.notified_on, self.aware_on, "notified_on",
            "The notification cannot be before the day the incident became known.",
        )


class InformationRequest(Content):
    type_key = "information_request"
    type_label = "Request for information"
    # Its text is about the referral's child and family.
    personal_via = "referral"

    referral = ReferenceField(Referral, required=True)
    agency = StringField(required=True, max_length=64)
    issued_on = DateField(required=True)
    due_on = DateField(required=True)
    response = StringField(default="", max_length=100000)
    key_practitioners = StringField(default="", max_length=5000)
    responded_by = StringField(default="", max_length=254)
    responded_on = DateField()

    meta = {
        "collection": "information_requests",
        "indexes": content_indexes(
            {"fields": ["referral", "agency"], "unique": True}, "due_on", "agency"
        ),
        "ordering": ["due_on"],
    }

    def clean(self) -> None:
        super().clean()
        date_not_before(self.due_on, self.issued_on, "due_on", "Due date before issue date.")
