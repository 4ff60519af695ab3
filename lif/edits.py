"""Applying field values to an item and validating it, without storing anything.

The one step every write shares before the policy judges it and a service stores it: the
content service's create and update, and the workflow engine's recorded fields.
"""

from __future__ import annotations

from mongoengine import EmbeddedDocumentField, ListField, StringField, ValidationError

from .errors import InvalidInput
from .models.base import Content
from .models.learning import new_uid, renumber


def flatten_errors(error: ValidationError) -> dict[str, str]:
    """Turn mongoengine's nested validation errors into ``{field: message}``."""
    out: dict[str, str] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                # Errors raised from clean() arrive under "__all__"; they name real fields.
                walk(f"{prefix}.{key}" if prefix and prefix != "__all__" else str(key), inner)
        else:
            out[prefix or "__all__"] = _friendly(str(value))

    walk("", error.to_dict() if error.errors else {})
    if not out:
        out["__all__"] = _friendly(error.message or str(error))
    return out


def _friendly(message: str) -> str:
    replacements = {
        "Field is required": "This field is required.",
        "Invalid email address": "Enter a valid email address.",
        "Value must be one of": "Choose one of the listed values:",
    }
    for raw, nice in replacements.items():
        if message.startswith(raw):
            return nice + message[len(raw) :] if nice.endswith(":") else nice
    return message


def too_long_message(length: int, limit: int) -> str:
    """The one message for a text over its limit, naming the limit."""
    return (f"This is {length:,} characters long; the limit is {limit:,}. "
            "Shorten it: nothing was saved.")


def too_long(document, prefix: str = "") -> dict[str, str]:
    """``{field: message}`` for each text of ``document`` (and of its embedded documents)
    over its field's ``max_length``, keyed as :func:`flatten_errors` keys them."""
    errors: dict[str, str] = {}
    for name, field in document._fields.items():
        value = getattr(document, name, None)
        key = f"{prefix}{name}"
        inner = field.field if isinstance(field, ListField) else None
        if isinstance(field, StringField) and isinstance(value, str):
            if field.max_length and len(value) > field.max_length:
                errors[key] = too_long_message(len(value), field.max_length)
        elif isinstance(inner, StringField) and inner.max_length and value:
            for index, text in enumerate(value):
                if isinstance(text, str) and len(text) > inner.max_length:
                    errors[f"{key}.{index}"] = too_long_message(len(text), inner.max_length)
        elif isinstance(field, EmbeddedDocumentField) and value is not None:
            errors.update(too_long(value, f"{key}."))
        elif isinstance(inner, EmbeddedDocumentField) and value:
            for index, entry in enumerate(value):
                if entry is not None:
                    errors.update(too_long(entry, f"{key}.{index}."))
    return errors


def validate(item: Content) -> None:
    """Validate ``item`` and raise :class:`InvalidInput` with field messages.

    A required text field holding only spaces counts as empty (mongoengine lets "" pass);
    a text over its limit says how long it is and what the limit is.
    """
    blank = {
        name: "This field is required."
        for name, field in item._fields.items()
        if field.required and isinstance(field, StringField)
        and isinstance(getattr(item, name), str) and not getattr(item, name).strip()
    }
    long = too_long(item)
    try:
        item.validate()
    except ValidationError as error:
        errors = {**blank, **flatten_errors(error), **long}
        raise InvalidInput(next(iter(errors.values())), errors=errors) from None
    if blank:
        raise InvalidInput(next(iter(blank.values())), errors=blank)


def apply_data(item: Content, data: dict) -> None:
    for field, value in data.items():
        if field in Content.SYSTEM_FIELDS or field == "id" or field not in item._fields:
            continue
        setattr(item, field, value)
    _normalise(item)


def _normalise(item: Content) -> None:
    """Give new findings and activities their stable ids, and number findings 1..n."""
    for name in ("findings", "activities", "recommendations"):
        for entry in getattr(item, name, None) or []:
            if not entry.uid:
                entry.uid = new_uid()
    if getattr(item, "findings", None):
        renumber(item.findings)


def preview(item: Content, data: dict) -> Content:
    """Return a validated copy of ``item`` with ``data`` applied; ``item`` is untouched.

    :raises InvalidInput: the item as changed would not be valid.
    """
    proposed = type(item)._from_son(item.to_mongo())
    apply_data(proposed, data)
    validate(proposed)
    return proposed


