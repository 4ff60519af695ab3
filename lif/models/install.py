"""What an install has chosen once for all its processes (its statutory framework)."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, StringField


class InstallSetting(Document):
    """One choice of the install, by ``key``: kept in the database so every process (app
    workers, the scheduler, a cron sweep, a command) reads the same one."""

    key = StringField(primary_key=True, max_length=64)
    value = StringField(required=True, max_length=200)
    changed_at = DateTimeField()
    changed_by = StringField(default="", max_length=254)

    meta = {"collection": "install_settings"}
