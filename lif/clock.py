"""Time in one place: naive UTC datetimes in the database, dates for deadlines."""

from __future__ import annotations

import calendar
import datetime as dt


def now() -> dt.datetime:
    """Return the current UTC time, naive, to the millisecond (what BSON keeps)."""
    current = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def today() -> dt.date:
    return now().date()


def add_months(day: dt.date, months: int) -> dt.date:
    """Return ``day`` moved by ``months``, clamped to the month's last day (31 Jan + 1 → 28 Feb)."""
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


def as_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value
