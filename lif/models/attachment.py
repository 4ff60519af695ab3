"""Files attached to content items, stored in GridFS with their checksum and extracted text."""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    FileField,
    IntField,
    StringField,
)


class Attachment(Document):
    item_type = StringField(required=True, max_length=64)
    item_id = StringField(required=True, max_length=64)
    name = StringField(required=True, max_length=255)
    media_type = StringField(required=True, max_length=200)
    size = IntField(required=True, min_value=0)
    sha256 = StringField(required=True, max_length=64)
    file = FileField(collection_name="files")
    text = StringField(default="")
    published = BooleanField(default=False)
    uploaded_by = StringField(default="")
    uploaded_at = DateTimeField(required=True)
    trashed = BooleanField(default=False)

    meta = {
        "collection": "attachments",
        "indexes": [("item_type", "item_id"), "sha256"],
        "ordering": ["uploaded_at"],
    }

    def __str__(self) -> str:
        return self.name
