"""How LIF's pages say things: dates as people write them, labels instead of keys, and
nothing shown for what is empty.

A page shows a value only after the redactor has seen it (``ContentView.shown``); these
functions only put it into words. Labels come from where the vocabulary is declared: a
field's ``choices`` (the models take them from ``config/``), the agencies and themes of
``config/taxonomy.py`` (through :mod:`lif.services.reference`), the workflow's state titles.
"""

from __future__ import annotations

import datetime as dt

from bson import DBRef, ObjectId
from flask import url_for
from flask_login import current_user
from markupsafe import Markup, escape
from mongoengine import EmbeddedDocument, ListField

from lif import policy, redact, workflow
from lif.models.action_plan import PDC_VERDICTS
from lif.models.base import Content
from lif.services import reference

#: Fields holding agency keys, and the one holding a theme key without ``choices``.
AGENCY_FIELDS = ("agency", "agencies")
THEME_FIELDS = ("theme",)


def date(value: dt.date | dt.datetime | None) -> str:
    """Return ``value`` as people write a day: "3 Dec 2026" (empty for no date)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return f"{value.day} {value:%b %Y}"


def date_time(value: dt.datetime | dt.date | None) -> str:
    """Return ``value`` as people write a moment: "3 Dec 2026 08:21" (UTC, as stored)."""
    if value is None or value == "":
        return ""
    if not isinstance(value, dt.datetime):
        return date(value)
    return f"{value.day} {value:%b %Y %H:%M}"


def is_empty(value) -> bool:
    """Whether ``value`` says nothing: unset, empty text or list, or a "no"."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | dict):
        return not any(not is_empty(v) for v in (value.values() if isinstance(value, dict)
                                                    else value))
    return False


def labels_of(choices) -> dict:
    """``{key: label}`` of a field's choices (pairs, or plain values labelled as themselves)."""
    return dict(c if isinstance(c, list | tuple) else (c, c) for c in choices or ())


def item_link(item) -> Markup | str:
    """A referenced item as its title, linked to its page, if the signed-in person may see
    it (its title through the redactor); nothing for an item gone or out of their sight."""
    if item is None or isinstance(item, DBRef | ObjectId) or not isinstance(item, Content):
        return ""
    if getattr(item, "trashed", False) or not policy.allows(current_user, "view", item):
        return ""
    title = redact.for_item(current_user, item)(str(item))
    href = url_for(f"{item.type_key}.details_view", id=item.pk)
    return Markup(f'<a href="{escape(href)}">{escape(title)}</a>')


def field_value(model, name: str) -> Markup | str:
    """The value of field ``name`` of ``model`` (already redacted) in words; "" when empty."""
    field = type(model)._fields.get(name)
    return _words(field, name, getattr(model, name, None))


def _words(field, name: str, value) -> Markup | str:
    if is_empty(value):
        return ""
    if isinstance(field, ListField):
        parts = [_words(field.field, name, v) for v in value]
        parts = [p for p in parts if p]
        if any(isinstance(p, Markup) for p in parts):
            return Markup(", ").join(parts)
        return ", ".join(str(p) for p in parts)
    if value is True:
        return "Yes"
    if isinstance(value, dt.datetime):
        return date_time(value)
    if isinstance(value, dt.date):
        return date(value)
    choices = getattr(field, "choices", None)
    if choices:
        return labels_of(choices).get(value, value)
    if name in AGENCY_FIELDS:
        return reference.agency_name(value)
    if name in THEME_FIELDS:
        return reference.theme_labels().get(value, value)
    if isinstance(value, Content | DBRef):
        return item_link(value)
    if isinstance(value, ObjectId):
        return ""  # an internal id says nothing to a reader
    if isinstance(value, EmbeddedDocument):
        return str(value)
    return value if isinstance(value, str) else str(value)


def register(app) -> None:
    """Make the date filters available to every template: ``{{ day|lif_date }}``."""
    app.jinja_env.filters["lif_date"] = date
    app.jinja_env.filters["lif_datetime"] = date_time
    app.jinja_env.globals["lif_verdict_label"] = labels_of(PDC_VERDICTS).get
    app.jinja_env.globals["lif_upload_limit_mb"] = lambda: app.config["LIF_MAX_UPLOAD_MB"]
    app.jinja_env.globals["lif_state_title"] = workflow.state_title
