"""Flask-Admin filters LIF needs beyond the stock mongoengine ones: dates (not datetimes)."""

from __future__ import annotations

import datetime as dt

from flask_admin.contrib.mongoengine.filters import (
    FilterConverter,
    FilterEqual,
    FilterGreater,
    FilterSmaller,
)
from flask_admin.model import filters

from lif import clock


def _name(column) -> str:
    return getattr(column, "name", None) or str(column)


class _DateMixin:
    def __init__(self, column, name, options=None, data_type=None):
        super().__init__(column, name, options, data_type="datepicker")

    def validate(self, value):
        try:
            self.clean(value)
        except ValueError:
            return False
        return True

    def clean(self, value):
        return dt.datetime.combine(clock.resolve_date(value), dt.time())


class DateEqualFilter(_DateMixin, FilterEqual):
    pass


class DateOnOrAfterFilter(_DateMixin, FilterGreater):
    def operation(self):
        return "on or after"

    def apply(self, query, value):
        return query.filter(**{f"{_name(self.column)}__gte": value})


class DateOnOrBeforeFilter(_DateMixin, FilterSmaller):
    def operation(self):
        return "on or before"

    def apply(self, query, value):
        return query.filter(**{f"{_name(self.column)}__lte": value})


class LIFFilterConverter(FilterConverter):
    date_filters = (DateEqualFilter, DateOnOrAfterFilter, DateOnOrBeforeFilter)

    @filters.convert("DateField")
    def conv_date(self, column, name):
        return [f(column, name) for f in self.date_filters]
