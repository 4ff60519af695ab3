"""The one rule for an email address, whether a person types it or LIF stored it.

It is the rule the models store addresses under (mongoengine's ``EmailField``: a lead's
email, a user's): every door and import checks a typed address with :func:`is_email`, so an
address LIF stored (``safeguarding.lead@police.demo.lif.local``) is never refused when the
form holding it is saved again, and an address a form accepts is never refused on saving.
"""

from __future__ import annotations

from mongoengine import EmailField, ValidationError

__all__ = ["MESSAGE", "is_email"]

#: What a person is told about an address that is not one.
MESSAGE = "Enter a valid email address."

_RULE = EmailField()


def is_email(value: str | None) -> bool:
    """Whether ``value`` is an email address LIF stores."""
    if not value or not isinstance(value, str):
        return False
    try:
        _RULE.validate(value)
    except ValidationError:
        return False
    return True
