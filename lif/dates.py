"""Read a date a person or a spreadsheet gave: the one date reader of every import and door.

Accepted, and nothing else:

-   a date, or a datetime (its day is kept: a spreadsheet's date cell);
-   an Excel serial number (what a workbook holds in a cell not formatted as a date), in
    Excel's 1900 date system: 45658 is 1 January 2025;
-   text: ``2025-01-31`` (ISO, optionally followed by a time, as LIF exports timestamps),
    ``31/01/2025`` (day first, as written in the UK; ``-`` or ``.`` may stand for ``/``, and
    the day and month may have one digit), ``31 January 2025`` / ``31 Jan 2025`` (as LIF
    writes dates in documents) or ``January 31, 2025`` (the month named, so not ambiguous),
    each optionally followed by a time.

Two-digit years and month-first dates are refused rather than guessed. Every date must fall in
1900–2100 (a due date of 9999-12-31 breaks calendars and exports for everyone). A date that
cannot be read gets one message, :func:`bad_date_message`, whatever the door.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .errors import InvalidInput

__all__ = ["EARLIEST", "LATEST", "as_date", "bad_date_message", "in_range", "read_date"]

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2100, 12, 31)

# Excel's day 0 is 30 December 1899 for every serial after its phantom 29 February 1900 (60).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_PHANTOM_LEAP_DAY = 60

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _TIME)
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})" + _TIME)
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})"
                             + _TIME)
_MONTH_NAME_DAY = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,\s+(\d{4})" + _TIME)


def bad_date_message(value) -> str:
    """The one message for a date that cannot be read, naming what was given."""
    shown = value if isinstance(value, str) else str(value)
    return (f"'{shown.strip()[:40]}' is not a date between {EARLIEST.year} and {LATEST.year} "
            "(write it as 31/12/2025 or 2025-12-31).")


def _in_range(day: dt.date | None) -> dt.date | None:
    return day if day is not None and EARLIEST <= day <= LATEST else None


def in_range(day: dt.date | dt.datetime | None) -> bool:
    """Whether ``day`` falls in 1900–2100 (a value stored before LIF refused others may not:
    what shows dates — a calendar, a document — leaves such a one out rather than fail)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day is not None and EARLIEST <= day <= LATEST


def _day(year: int, month: int, day: int) -> dt.date | None:
    try:
        return _in_range(dt.date(year, month, day))
    except ValueError:
        return None


def _from_serial(number: float) -> dt.date | None:
    whole = int(number)
    if whole < 1 or whole == _EXCEL_PHANTOM_LEAP_DAY or whole > 100_000:
        return None
    if whole < _EXCEL_PHANTOM_LEAP_DAY:
        whole += 1  # before Excel's phantom leap day its days are one off
    return _in_range(_EXCEL_EPOCH + dt.timedelta(days=whole))


def _from_text(text: str) -> dt.date | None:
    text = " ".join(text.split())
    if match := _ISO.fullmatch(text):
        return _day(int(match[1]), int(match[2]), int(match[3]))
    if match := _DAY_FIRST.fullmatch(text):
        return _day(int(match[4]), int(match[3]), int(match[1]))
    if (match := _DAY_MONTH_NAME.fullmatch(text)) and match[2].lower() in _MONTHS:
        return _day(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    if (match := _MONTH_NAME_DAY.fullmatch(text)) and match[1].lower() in _MONTHS:
        return _day(int(match[3]), _MONTHS[match[1].lower()], int(match[2]))
    return None


def as_date(value) -> dt.date | None:
    """Return the date ``value`` gives, or ``None`` when it gives none (see the module).

    Empty values (``None``, blank text) give ``None`` too; :func:`read_date` tells the two
    apart.
    """
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_serial(value) if value == value else None  # (NaN is not a number)
    if isinstance(value, str):
        return _from_text(value)
    return None


def read_date(value, field: str = "date") -> dt.date | None:
    """Return the date ``value`` gives, ``None`` when it is empty.

    :param value: What the door received: text, a number or a date (see the module).
    :param field: The field the value was given for, named by the error.
    :raises InvalidInput: the value is not a date in 1900–2100 (:func:`bad_date_message`).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day = as_date(value)
    if day is None:
        raise InvalidInput(bad_date_message(value), field=field)
    return day
