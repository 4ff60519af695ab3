"""Findings and improvement activities: numbered items of a review or an audit."""

from __future__ import annotations

import secrets

from mongoengine import EmbeddedDocument, IntField, StringField


def new_uid() -> str:
    return secrets.token_hex(6)


class Finding(EmbeddedDocument):
    """One numbered finding or learning point. ``uid`` stays when findings are renumbered."""

    uid = StringField(required=True, default=new_uid, max_length=32)
    number = IntField(min_value=1)
    heading = StringField(default="", max_length=300)
    text = StringField(required=True, max_length=20000)

    def __str__(self) -> str:
        return f"{self.number}. {self.text}" if self.number else self.text


class Activity(EmbeddedDocument):
    """One improvement activity taken in response to the learning."""

    uid = StringField(required=True, default=new_uid, max_length=32)
    text = StringField(required=True, max_length=5000)

    def __str__(self) -> str:
        return self.text


def renumber(findings) -> None:
    """Number findings 1..n in their order."""
    for index, finding in enumerate(findings, start=1):
        finding.number = index
