"""Time in one place: naive UTC datetimes in the database, dates for deadlines."""

from __future__ import annotations

import calendar
import datetime as dt
import re


def now() -> dt.datetime:
    """Return the current UTC time, naive, to the millisecond (what BSON keeps)."""
    current = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


def today() -> dt.date:
    return now().date()


def add_months(day: dt.date, months: int, *, roll: bool = False) -> dt.date:
    """Return ``day`` moved by ``months``.

    When the month reached has no such day (29 Feb, the 31st), the result is that month's last
    day (31 Jan + 1 → 28 Feb), or with ``roll`` the next month's first (31 Jan + 1 → 1 Mar).
    """
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    if day.day <= last:
        return day.replace(year=year, month=month)
    end = day.replace(year=year, month=month, day=last)
    return end + dt.timedelta(days=1) if roll else end


def as_date(value) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    return value


_RELATIVE = re.compile(r"^today(?:\s*([+-])\s*(\d{1,4})\s*([dwmy]?))?$")


def resolve_date(text: str, on: dt.date | None = None) -> dt.date:
    """Read ``YYYY-MM-DD`` or a relative date that stays relative when saved:
    ``today``, ``today+30`` (days), ``today-2w``, ``today-6m``, ``today+1y``.

    :raises ValueError: anything else.
    """
    text = (text or "").strip().lower()
    match = _RELATIVE.match(text)
    if not match:
        return dt.date.fromisoformat(text)
    base = on or today()
    sign, amount, unit = match.groups()
    if not sign:
        return base
    n = int(amount) * (1 if sign == "+" else -1)
    if unit == "m":
        return add_months(base, n)
    if unit == "y":
        return add_months(base, 12 * n)
    return base + dt.timedelta(days=n * (7 if unit == "w" else 1))
