"""Audits run by the Quality and Audit Evidence Committee."""

from __future__ import annotations

from mongoengine import (
    DateField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    StringField,
)

from config import taxonomy

from .base import IMPORT_KEY_INDEX, Content, content_indexes, date_not_before, import_key_field
from .learning import Activity, Finding, new_uid

AUDIT_TYPE_CHOICES = tuple(taxonomy.AUDIT_TYPES)
COMMITTEE_CHOICES = tuple(taxonomy.COMMITTEES)
SECTION_CHOICES = tuple(taxonomy.LEARNING_SECTIONS)


class Participant(EmbeddedDocument):
    """An agency taking part, with its lead auditor."""

    agency = StringField(required=True, max_length=64)
    lead_auditor = StringField(default="", max_length=254)


class Recommendation(EmbeddedDocument):
    uid = StringField(required=True, default=new_uid, max_length=32)
    text = StringField(required=True, max_length=5000)
    finding_uid = StringField(default="", max_length=32)


class Audit(Content):
    type_key = "audit"
    type_label = "Audit"

    audit_type = StringField(required=True, choices=AUDIT_TYPE_CHOICES)
    section = StringField(default="audit", choices=SECTION_CHOICES)
    theme = StringField(default="", max_length=64)
    scope = StringField(default="", max_length=20000)
    question = StringField(default="", max_length=5000)
    methodology = StringField(default="", max_length=100000)
    sample_description = StringField(default="", max_length=20000)
    participants = ListField(EmbeddedDocumentField(Participant))
    committee = StringField(default="qaec", choices=COMMITTEE_CHOICES)
    referred_to = StringField(default="", max_length=300)
    start_date = DateField()
    due_date = DateField()
    date = DateField()
    date_label = StringField(default="", max_length=200)
    findings = ListField(EmbeddedDocumentField(Finding))
    recommendations = ListField(EmbeddedDocumentField(Recommendation))
    activities = ListField(EmbeddedDocumentField(Activity))
    import_key = import_key_field()

    meta = {
        "collection": "audits",
        "indexes": [*content_indexes("audit_type", "date", "title"), IMPORT_KEY_INDEX],
        "ordering": ["-date"],
    }

    def clean(self) -> None:
        super().clean()
        date_not_before(
            self.due_date, self.start_date, "due_date", "The audit cannot end before it starts."
        )
