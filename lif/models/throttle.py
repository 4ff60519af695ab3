"""Failed-login counters per account and per client address."""

from mongoengine import DateTimeField, Document, IntField, StringField


class LoginThrottle(Document):
    key = StringField(required=True, unique=True, max_length=300)
    failures = IntField(default=0)
    window_start = DateTimeField(required=True)
    locked_until = DateTimeField()

    meta = {"collection": "login_throttle"}
