"""Committee meetings: CIEC monthly, PDC, QAEC, LSCB."""

from __future__ import annotations

from mongoengine import (
    DateField,
    EmbeddedDocument,
    EmbeddedDocumentField,
    ListField,
    StringField,
)

from config import taxonomy

from .base import Content, content_indexes

COMMITTEE_CHOICES = tuple(taxonomy.COMMITTEES)


class AgendaItem(EmbeddedDocument):
    part = StringField(default="", max_length=100)
    title = StringField(required=True, max_length=500)
    item_ref = StringField(default="", max_length=100)
    decision = StringField(default="", max_length=10000)


class Meeting(Content):
    type_key = "meeting"
    type_label = "Meeting"

    committee = StringField(required=True, choices=COMMITTEE_CHOICES)
    date = DateField(required=True)
    location = StringField(default="", max_length=300)
    agenda = ListField(EmbeddedDocumentField(AgendaItem))
    attendees = ListField(StringField(max_length=200))
    minutes = StringField(default="", max_length=100000)
    slot = StringField(max_length=100)  # e.g. "ciec:2026-12" for the monthly sweep; unique

    meta = {
        "collection": "meetings",
        "indexes": content_indexes(
            "committee", "date", {"fields": ["slot"], "unique": True, "sparse": True}
        ),
        "ordering": ["-date"],
    }
