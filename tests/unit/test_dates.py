"""The one date reader: what every import and door accepts as a date, and its one message."""

from __future__ import annotations

import datetime as dt

import pytest

from lif.dates import as_date, bad_date_message, read_date
from lif.errors import InvalidInput

DAY = dt.date(2025, 1, 31)


@pytest.mark.parametrize("value", [
    "2025-01-31", " 2025-01-31 ", "2025-01-31T10:15:00", "2025-01-31 10:15",
    "2025-01-31T10:15:00Z",
    "31/01/2025", "31/1/2025", "31-01-2025", "31.01.2025", "31 January 2025", "31 Jan 2025",
    "31st Jan 2025", "31 Jan 2025 08:21", "January 31, 2025", "Jan 31st, 2025", DAY,
    dt.datetime(2025, 1, 31, 23, 59), 45688, 45688.75,
])
def test_every_form_of_the_same_day(value):
    assert read_date(value) == DAY


@pytest.mark.parametrize(("serial", "day"), [
    (1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1)),
    (45658, dt.date(2025, 1, 1)), (73415, dt.date(2100, 12, 31)),
])
def test_excel_serials_in_the_1900_date_system(serial, day):
    assert read_date(serial) == day


@pytest.mark.parametrize("value", [
    "31/02/2016", "2016-02-30", "01/31/2025", "31/01/25", "2025/01/31", "next week", "0",
    "45688", "9999-12-31", "1899-12-31", "2101-01-01", dt.date(9999, 12, 31), 60, 0, -3,
    10**9, float("nan"), True, "31 Foo 2025", "29/02/2023",
])
def test_what_is_not_a_date_gets_the_one_message(value):
    assert as_date(value) is None
    with pytest.raises(InvalidInput) as error:
        read_date(value, "due_date")
    assert error.value.message == bad_date_message(value)
    assert error.value.errors == {"due_date": error.value.message}


def test_the_message_names_the_value_and_how_to_write_a_date():
    assert bad_date_message("31/02/2016") == (
        "'31/02/2016' is not a date between 1900 and 2100 (write it as 31/12/2025 or "
        "2025-12-31).")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_nothing_given_is_no_date(value):
    assert read_date(value) is None


def test_leap_days():
    assert read_date("29/02/2024") == dt.date(2024, 2, 29)
    assert read_date("2000-02-29") == dt.date(2000, 2, 29)
