"""Messages to people: the in-app list and the email outbox in one collection."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, IntField, StringField

DELIVERY = ("none", "pending", "sent", "failed")


class Notification(Document):
    recipient = StringField(required=True, max_length=254)
    subject = StringField(required=True, max_length=300)
    body = StringField(default="", max_length=20000)
    link = StringField(default="", max_length=500)
    created_at = DateTimeField(required=True)
    read_at = DateTimeField()
    # One message per key, whatever sends it and however often: the sweeps' idempotence.
    key = StringField(required=True, unique=True, max_length=300)
    email_status = StringField(default="none", choices=DELIVERY)
    attempts = IntField(default=0)
    last_error = StringField(default="", max_length=2000)
    sent_at = DateTimeField()

    meta = {
        "collection": "notifications",
        "indexes": [("recipient", "-created_at"), ("recipient", "read_at"), "email_status"],
        "ordering": ["-created_at"],
    }
