"""The base every content item shares: Plone's "content" with its behaviours.

Title, summary, themes, agencies, workflow state and history, an optimistic-lock version,
who created and changed it and when, a publication window, and the trash flag. Versions,
the audit trail and the search index are behaviours applied from outside (``lif/events.py``),
not methods of these classes.
"""

from __future__ import annotations

import datetime as dt

from mongoengine import (
    BooleanField,
    DateField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    IntField,
    ListField,
    StringField,
    ValidationError,
)

from config import taxonomy

THEME_CHOICES = tuple(taxonomy.THEMES)


class WorkflowEntry(EmbeddedDocument):
    """One fired transition, kept on the item (Plone's ``review_history``)."""

    action = StringField(required=True)
    from_state = StringField(required=True)
    to_state = StringField(required=True)
    actor = StringField(required=True)
    at = DateTimeField(required=True)
    comment = StringField(default="")
    # The roles whose decision this was, when someone else recorded it in their place (an
    # override, with the reason in ``comment``); empty when they recorded it themselves.
    in_place_of = ListField(StringField(max_length=64))


class Content(Document):
    """Abstract base of every versioned, workflowed, searchable item."""

    # The key of this type in config/workflows.py, config/roles.py and URLs.
    type_key: str = ""
    type_label: str = ""
    # A field that names the person responsible, filled with the creator when left empty.
    creator_field: str | None = None
    # The reference to the item whose children and families this item's text is about, when
    # the item holds no personal fields of its own (lif/policy.py personal_subject).
    personal_via: str | None = None

    title = StringField(required=True, max_length=300)
    summary = StringField(default="", max_length=20000)
    themes = ListField(StringField(choices=THEME_CHOICES))
    agencies = ListField(StringField(max_length=64))
    state = StringField(required=True, max_length=64)
    workflow_history = ListField(EmbeddedDocumentField(WorkflowEntry))
    version = IntField(default=0, min_value=0)
    created_at = DateTimeField()
    created_by = StringField(default="")
    modified_at = DateTimeField()
    modified_by = StringField(default="")
    effective = DateField()
    expires = DateField()
    trashed = BooleanField(default=False)
    trashed_at = DateTimeField()
    trashed_by = StringField()

    meta = {"abstract": True}

    # Fields a person never sets through a form: the workflow, the lock and the record.
    SYSTEM_FIELDS = (
        "state",
        "workflow_history",
        "version",
        "created_at",
        "created_by",
        "modified_at",
        "modified_by",
        "trashed",
        "trashed_at",
        "trashed_by",
    )

    def clean(self) -> None:
        if self.effective and self.expires and self.expires < self.effective:
            raise ValidationError(
                "The publication end date is before its start.",
                errors={"expires": "Must be on or after the publication start date."},
            )

    def __str__(self) -> str:
        return self.title or f"{self.type_label} {self.pk}"

    @property
    def ref(self) -> str:
        """A stable reference to this item: ``type_key:id``."""
        return f"{self.type_key}:{self.pk}"


def content_indexes(*extra):
    """The indexes every content collection has, plus ``extra``.

    Every list query starts with ``trashed: false`` (see ``lif.policy.view_filter``), so
    compound indexes lead with it: a planner uses an index only for a prefix of its fields.
    """
    return [("trashed", "state", "modified_at"), ("trashed", "modified_at"), "themes",
            "agencies", *extra]


def import_key_field() -> StringField:
    """The field an imported item keeps the key of what it was imported from in (an L&I
    Index entry's kind, name and date; an action file's row), unique among the items that
    have one (:data:`IMPORT_KEY_INDEX`): two imports of the same file at the same moment
    store each item once."""
    return StringField(max_length=600)


IMPORT_KEY_INDEX = {"fields": ["import_key"], "unique": True, "sparse": True}


def date_not_before(later, earlier, field: str, message: str) -> None:
    """Raise a field error when ``later`` is before ``earlier`` (both may be unset)."""
    if later and earlier:
        a = later.date() if isinstance(later, dt.datetime) else later
        b = earlier.date() if isinstance(earlier, dt.datetime) else earlier
        if a < b:
            raise ValidationError(message, errors={field: message})
