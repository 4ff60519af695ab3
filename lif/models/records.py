"""The record of what happened: the append-only audit trail and content versions."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, StringField


class AppendOnlyError(RuntimeError):
    """Audit events are never changed or deleted."""


class AuditEvent(Document):
    at = DateTimeField(required=True)
    actor = StringField(default="")
    action = StringField(required=True, max_length=64)
    object_type = StringField(default="", max_length=64)
    object_id = StringField(default="", max_length=64)
    object_title = StringField(default="", max_length=300)
    changes = DictField()
    detail = StringField(default="", max_length=2000)
    address = StringField(default="", max_length=64)

    meta = {
        "collection": "audit_events",
        # No index on actor: the audit view matches it as a pattern, which no index serves.
        "indexes": ["-at", ("object_type", "object_id"), "action"],
        "ordering": ["-at"],
    }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit events cannot be changed.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class Version(Document):
    object_type = StringField(required=True, max_length=64)
    object_id = StringField(required=True, max_length=64)
    number = IntField(required=True, min_value=1)
    at = DateTimeField(required=True)
    author = StringField(default="")
    note = StringField(default="", max_length=2000)
    snapshot = DictField()

    meta = {
        "collection": "versions",
        "indexes": [
            {"fields": ["object_type", "object_id", "number"], "unique": True},
        ],
        "ordering": ["-number"],
    }
