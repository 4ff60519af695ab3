"""The Professional Development Committee's six-month review of one action plan."""

from __future__ import annotations

from mongoengine import (
    DateField,
    DateTimeField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
)

from .action_plan import PDC_VERDICTS, ActionPlan
from .base import Content, content_indexes


class Verdict(EmbeddedDocument):
    """The committee's verdict on one action, who recorded it and when; ``override_reason``
    when someone recorded it in the committee's place (config/roles.py DECISIONS)."""

    action = ObjectIdField(required=True)
    verdict = StringField(required=True, choices=PDC_VERDICTS)
    comment = StringField(default="", max_length=5000)
    recorded_by = StringField(default="", max_length=254)
    recorded_at = DateTimeField()
    override_reason = StringField(default="", max_length=5000)


class PDCReview(Content):
    type_key = "pdc_review"
    type_label = "PDC review"

    plan = ReferenceField(ActionPlan, required=True)
    scheduled_for = DateField(required=True)
    held_on = DateField()
    verdicts = ListField(EmbeddedDocumentField(Verdict))
    attendees = ListField(StringField(max_length=200))
    minutes = StringField(default="", max_length=100000)
    pack_attachment = ObjectIdField()

    meta = {
        "collection": "pdc_reviews",
        "indexes": content_indexes(
            {"fields": ["plan", "scheduled_for"], "unique": True}, "scheduled_for"
        ),
        "ordering": ["-scheduled_for"],
    }
