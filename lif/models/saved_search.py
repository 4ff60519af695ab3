"""Saved searches and filtered lists (Plone's Collections)."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, ListField, StringField

from config.roles import ROLES


class SavedSearch(Document):
    name = StringField(required=True, max_length=120)
    owner = StringField(required=True, max_length=254)
    # Where it runs: a list page or the search page, and its query string. Dates in filters
    # may be relative ("today+30", "today-6m") and stay relative.
    path = StringField(required=True, max_length=200, regex=r"^/admin/[a-z_]+/$")
    query = StringField(default="", max_length=4000)
    shared_with = ListField(StringField(choices=tuple(ROLES)))
    created_at = DateTimeField(required=True)

    meta = {"collection": "saved_searches", "indexes": ["owner", "shared_with"],
            "ordering": ["name"]}
