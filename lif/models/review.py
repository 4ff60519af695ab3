"""Reviews: SCRs, critical case reviews, thematic reviews and other learning (Table 1)."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateField,
    EmbeddedDocumentField,
    ListField,
    ReferenceField,
    StringField,
)

from config import taxonomy

from .base import IMPORT_KEY_INDEX, Content, content_indexes, import_key_field
from .learning import Activity, Finding

REVIEW_TYPE_CHOICES = tuple((t["key"], t["label"]) for t in taxonomy.REVIEW_TYPES)
SECTION_CHOICES = tuple(taxonomy.LEARNING_SECTIONS)


class Review(Content):
    type_key = "review"
    type_label = "Review"

    review_type = StringField(required=True, choices=REVIEW_TYPE_CHOICES)
    section = StringField(default="reviews", choices=SECTION_CHOICES)
    reference = StringField(default="", max_length=100)
    date = DateField()
    date_label = StringField(default="", max_length=200)
    overview = StringField(default="", max_length=100000)
    findings = ListField(EmbeddedDocumentField(Finding))
    activities = ListField(EmbeddedDocumentField(Activity))
    independent_reviewer = StringField(default="", max_length=200)
    restricted = BooleanField(default=False)
    referral = ReferenceField("Referral")
    import_key = import_key_field()

    meta = {
        "collection": "reviews",
        "indexes": [*content_indexes("review_type", "date", "title"), IMPORT_KEY_INDEX],
        "ordering": ["-date"],
    }
