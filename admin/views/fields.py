"""Form pieces LIF's admin forms share: one email rule, and Flask-Admin's converter using it."""

from __future__ import annotations

from flask_admin.contrib.mongoengine.form import CustomModelConverter
from wtforms import StringField
from wtforms.validators import ValidationError

from lif import emails


class EmailAddress:
    """The form's check of an email address: :func:`lif.emails.is_email`, the rule LIF
    stores addresses under (WTForms' ``Email()`` refused ``…@police.demo.lif.local``, an
    address LIF itself stored, so an action's title could not be changed)."""

    def __init__(self, message: str = emails.MESSAGE) -> None:
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data and not emails.is_email(field.data):
            raise ValidationError(self.message)


class LIFModelConverter(CustomModelConverter):
    """Flask-Admin's mongoengine form converter, with LIF's email rule."""

    def conv_Email(self, model, field, kwargs):  # noqa: N802 - Flask-Admin's name
        kwargs["validators"].append(EmailAddress())
        self._string_common(model, field, kwargs)
        return StringField(**kwargs)
