"""Every date the framework sets, as pure functions of the numbers in ``config/deadlines.py``.

Each clock there is an amount, a unit (days, months or working days) and a kind ("within" a
period, a deadline; "at least" a period, a minimum) that settles the dates a calendar makes
ambiguous (see ``config/deadlines.py``). This module is the only place that turns them into
dates: guards, sweeps, services, Word writers, the seed, calendars and the dashboard call the
function named for the date they need, never ``timedelta`` or ``add_months`` on a clock.

Where a sweep or a list asks the database for the items a clock has reached, it compares a
stored date with one date computed here (``latest_*``): the exact inverse of the forward
function, so a query and a page cannot disagree by a day (the tests check both ways).

Nothing here reads the database or the time: every function takes the dates it works on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

from config import deadlines

from . import clock

UNITS = ("days", "months", "working_days")
KINDS = ("within", "at least")
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """A clock's length: ``amount`` of ``unit``, ambiguous dates settled by ``kind``."""

    amount: int
    unit: str = "days"
    kind: str = "within"

    def __post_init__(self) -> None:
        if self.unit not in UNITS or self.kind not in KINDS or self.amount < 0:
            raise ValueError(f"Not a clock: {self.amount!r} {self.unit!r} {self.kind!r} "
                             f"(units: {', '.join(UNITS)}; kinds: {', '.join(KINDS)}).")

    def __str__(self) -> str:
        name = self.unit.replace("_", " ")
        return f"{self.amount} {name[:-1] if self.amount == 1 else name}"

    def longest(self) -> dt.timedelta:
        """An upper bound of the period's length in calendar days, whatever the start."""
        if self.unit == "days":
            return dt.timedelta(days=self.amount)
        if self.unit == "months":
            return dt.timedelta(days=31 * self.amount + 1)
        # Five working days span at most a week, plus the holidays and closures between.
        return dt.timedelta(days=7 * (self.amount // 5 + 1) + 7 + len(_closures()))


def period(name: str) -> Period:
    """Return the clock ``name`` of ``config/deadlines.py`` ``CLOCKS``."""
    return Period(*deadlines.CLOCKS[name])


def describe(name: str) -> str:
    """Return the clock ``name`` in words: ``"1 month"``, ``"14 days"``."""
    return str(period(name))


# --- arithmetic -------------------------------------------------------------------------------


def add(day: dt.date, span: Period, *, before: bool = False) -> dt.date:
    """Return the date ``span`` after ``day`` (before it with ``before``).

    An ambiguous month end goes the safe way for the clock's kind: a deadline ("within") is
    never later, a minimum ("at least") never sooner, than any reading of the calendar allows.
    Working days are counted from the next working day: 5 working days after a Friday is the
    next Friday, or later across a bank holiday.
    """
    if span.unit == "days":
        return day - span.amount * _DAY if before else day + span.amount * _DAY
    if span.unit == "months":
        # Forward, a minimum rolls on to the 1st and a deadline stops at the month's end;
        # backward (a date "before"), the other way round.
        roll = (span.kind == "at least") != before
        return clock.add_months(day, -span.amount if before else span.amount, roll=roll)
    step = -_DAY if before else _DAY
    left = span.amount
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def latest(start_of: Callable[[dt.date], dt.date], by: dt.date, start: dt.date) -> dt.date:
    """Return the latest day ``d`` with ``start_of(d) <= by``, for a non-decreasing function.

    The inverse of a clock, for a query: ``start_of(d) <= by`` exactly when ``d <= latest(...)``.
    ``start`` is a day to search on from, with ``start_of(start) <= by``.
    """
    day = start
    while start_of(day) > by:  # only if ``start`` was not early enough
        day -= 31 * _DAY
    while start_of(day + _DAY) <= by:
        day += _DAY
    return day


@functools.cache
def _holidays(year: int) -> frozenset[dt.date]:
    import holidays  # imported on first use: most installs count no working days

    days = holidays.country_holidays(deadlines.WORKING_DAYS["country"],
                                     subdiv=deadlines.WORKING_DAYS["subdivision"], years=year)
    return frozenset(days) | {d for d in _closures() if d.year == year}


@functools.cache
def _closures() -> frozenset[dt.date]:
    return frozenset(dt.date.fromisoformat(d) for d in deadlines.WORKING_DAYS["closures"])


def is_working_day(day: dt.date) -> bool:
    """Return whether ``day`` is a working day: Monday to Friday, not a holiday or closure."""
    return day.weekday() < 5 and day not in _holidays(day.year)


# --- the SCR pathway --------------------------------------------------------------------------


def decision_due(notified_on: dt.date | None) -> dt.date | None:
    """The Chair's SCR decision is due one month after the LSCB was notified."""
    return add(notified_on, period("scr_decision")) if notified_on else None


def decision_rag(notified_on: dt.date | None, decided_on: dt.date | None,
                 today: dt.date) -> str:
    """Return the colour of the decision clock: ``none`` (not notified), ``done`` or ``late``
    (decided in or out of time), ``red`` (overdue), ``amber`` (14 days or fewer left) or
    ``green``."""
    due = decision_due(notified_on)
    if due is None:
        return "none"
    if decided_on:
        return "late" if decided_on > due else "done"
    if today > due:
        return "red"
    if today >= add(due, period("scr_decision_amber"), before=True):
        return "amber"
    return "green"


def national_panel_notice_due(decided_on: dt.date) -> dt.date:
    """Where no SCR is initiated the National Panel is told within 14 days of the decision."""
    return add(decided_on, period("national_panel_notice"))


def information_request_due(issued_on: dt.date, meeting_on: dt.date | None) -> dt.date:
    """A request for information is due 7 days after issue, or by the meeting if sooner."""
    due = add(issued_on, period("information_request"))
    return min(due, meeting_on) if meeting_on else due


def information_request_reminder_on(due_on: dt.date) -> dt.date:
    """The day the reminder of a request due on ``due_on`` goes (2 days before)."""
    return add(due_on, period("information_request_reminder"), before=True)


def latest_due_reminded(today: dt.date) -> dt.date:
    """The latest due date whose reminder day has come by ``today`` (for the sweep's query)."""
    return latest(information_request_reminder_on, today, today)


def ciec_meeting_on(year: int, month: int) -> dt.date:
    """The monthly CIEC meeting's day in ``month`` (the month's last day if it is shorter)."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(deadlines.CIEC_MEETING_DAY, last))


def next_ciec_meeting_on(today: dt.date) -> dt.date:
    """The next monthly CIEC meeting on or after ``today``."""
    this = ciec_meeting_on(today.year, today.month)
    if today <= this:
        return this
    following = clock.add_months(today.replace(day=1), 1)
    return ciec_meeting_on(following.year, following.month)


# --- publication ------------------------------------------------------------------------------


def publication_window_end(published_on: dt.date) -> dt.date:
    """The first day an SCR published on ``published_on`` may leave the website.

    It stays "at least 12 months": from 10 Mar 2024, until 10 Mar 2025; from 29 Feb 2024,
    until 1 Mar 2025 (the 12 months are never cut short by a short February).
    """
    return add(published_on, period("scr_publication"))


def publication_window_over(published_on: dt.date, today: dt.date) -> bool:
    """Return whether an SCR published on ``published_on`` may leave the website ``today``."""
    return today >= publication_window_end(published_on)


def latest_publication_over(today: dt.date) -> dt.date:
    """The latest publication date whose window is over by ``today`` (for the sweep's query):
    ``publication_window_over(p, today)`` exactly when ``p <= latest_publication_over(today)``.
    """
    return latest(publication_window_end, today, today - period("scr_publication").longest())


# --- action plans -----------------------------------------------------------------------------


def next_pdc_review(after: dt.date) -> dt.date:
    """The PDC review six months after ``after`` (ratification, or the last review's date)."""
    return add(after, period("pdc_review"))


def pdc_due_soon_until(today: dt.date) -> dt.date:
    """Plans whose PDC review is due by this date show on the dashboard."""
    return add(today, period("pdc_due_soon"))


def action_amber_until(today: dt.date) -> dt.date:
    """An open action due on or before this date (and not overdue) is amber."""
    return add(today, period("action_amber"))


def rag_dates(today: dt.date) -> dict[str, dt.date]:
    """The dates the RAG rules of ``config/deadlines.py`` name, for ``today``."""
    return {"today": today, "amber until": action_amber_until(today)}


def action_reminder_step(due: dt.date, today: dt.date) -> str | None:
    """Return the step of an open action's clock today: ``due-30``, ``overdue:2``, or ``None``.

    Before the due date the step is the nearest reminder not yet passed (30, 7, 1 days
    before); from the day after, ``overdue:<n>`` with ``n`` the completed weeks overdue.
    """
    days_left = (due - today).days
    if days_left > 0:
        current = [n for n in sorted(deadlines.ACTION_REMINDER_DAYS) if days_left <= n]
        return f"due-{current[0]}" if current else None
    if days_left < 0:
        return f"overdue:{(-days_left - 1) // deadlines.ACTION_OVERDUE_REPEAT_DAYS}"
    return None


def latest_due_with_a_reminder_step(today: dt.date) -> dt.date:
    """Actions due after this date have no reminder step yet (for the sweep's query)."""
    return today + max(deadlines.ACTION_REMINDER_DAYS) * _DAY
