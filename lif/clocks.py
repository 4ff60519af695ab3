"""Every date a framework sets, as pure functions of its numbers in ``config/frameworks/``.

Each clock of a framework (``config/frameworks/<name>/clocks.py``) is an amount, a unit (days,
months or working days) and a kind ("within" a period, a deadline; "at least" a period, a
minimum) that settles the dates a calendar makes ambiguous (see ``config/deadlines.py``).
Working days are Monday to Friday except the bank holidays of the framework's
``WORKING_DAYS`` (from the maintained ``holidays`` library) and its local closure days.
This module is the only place that turns clocks into dates: guards, sweeps, services, Word
writers, the seed, calendars and the dashboard call the function named for the date they
need, never ``timedelta`` or ``add_months`` on a clock.

Where a sweep or a list asks the database for the items a clock has reached, it compares a
stored date with one date computed here (``latest_*``): the exact inverse of the forward
function, so a query and a page cannot disagree by a day (the tests check both ways).

Every function takes ``framework=``: the framework of the item the date is for
(``frameworks.of(item)``); without it, the install's (``frameworks.active()``). Nothing here
reads the database or the time: every function takes the dates it works on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from config.deadlines import KINDS, UNITS

from . import clock, frameworks
from .frameworks import Framework

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

    def longest(self, framework: Framework | None = None) -> dt.timedelta:
        """An upper bound of the period's length in calendar days, whatever the start."""
        if self.unit == "days":
            return dt.timedelta(days=self.amount)
        if self.unit == "months":
            return dt.timedelta(days=31 * self.amount + 1)
        # Five working days span at most a week, plus the holidays and closures between.
        closures = len(_framework(framework).closures)
        return dt.timedelta(days=7 * (self.amount // 5 + 1) + 7 + closures)


def _framework(framework: Framework | None) -> Framework:
    return framework or frameworks.active()


def period(name: str, framework: Framework | None = None) -> Period:
    """Return the clock ``name`` of ``framework`` (by default the install's).

    :raises LookupError: the framework sets no such clock.
    """
    fw = _framework(framework)
    spec = fw.clocks.get(name)
    if spec is None:
        raise LookupError(f"The framework '{fw.title}' sets no clock {name!r}.")
    return Period(*spec)


def describe(name: str, framework: Framework | None = None) -> str:
    """Return the clock ``name`` in words: ``"1 month"``, ``"14 days"``, ``"5 working days"``."""
    return str(period(name, framework))


# --- arithmetic -------------------------------------------------------------------------------


def add(day: dt.date, span: Period, *, before: bool = False,
        framework: Framework | None = None) -> dt.date:
    """Return the date ``span`` after ``day`` (before it with ``before``).

    An ambiguous month end goes the safe way for the clock's kind: a deadline ("within") is
    never later, a minimum ("at least") never sooner, than any reading of the calendar allows.
    Working days are counted from the next working day of ``framework``'s calendar: 5
    working days after a Friday is the next Friday, or later across a bank holiday.
    """
    if span.unit == "days":
        return day - span.amount * _DAY if before else day + span.amount * _DAY
    if span.unit == "months":
        # Forward, a minimum rolls on to the 1st and a deadline stops at the month's end;
        # backward (a date "before"), the other way round.
        roll = (span.kind == "at least") != before
        return clock.add_months(day, -span.amount if before else span.amount, roll=roll)
    fw = _framework(framework)
    step = -_DAY if before else _DAY
    left = span.amount
    while left:
        day += step
        if is_working_day(day, fw):
            left -= 1
    return day


def after(name: str, day: dt.date, framework: Framework | None = None, *,
          before: bool = False) -> dt.date:
    """Return the date the clock ``name`` of ``framework`` sets from ``day``."""
    fw = _framework(framework)
    return add(day, period(name, fw), before=before, framework=fw)


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
def _bank_holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    import holidays  # imported on first use: most installs count no working days

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def is_working_day(day: dt.date, framework: Framework | None = None) -> bool:
    """Return whether ``day`` is a working day under ``framework``: Monday to Friday, not a
    bank holiday of its ``WORKING_DAYS`` (the ``holidays`` library), not a local closure."""
    if day.weekday() >= 5:
        return False
    fw = _framework(framework)
    calendar_of = fw.working_days
    return (day not in fw.closures and day not in _bank_holidays(
        calendar_of["country"], calendar_of.get("subdivision"), day.year))


# --- the clocks of an item (the register, an item's page) -----------------------------------


def clock_rag(due: dt.date | None, done_on: dt.date | None, today: dt.date,
              amber_from: dt.date | None) -> str:
    """Return the colour of a clock due on ``due``: ``none`` (not started), ``done`` or
    ``late`` (stopped in or out of time), ``red`` (overdue), ``amber`` (from ``amber_from``)
    or ``green``."""
    if due is None:
        return "none"
    if done_on:
        return "late" if done_on > due else "done"
    if today > due:
        return "red"
    if amber_from is not None and today >= amber_from:
        return "amber"
    return "green"


def item_clocks(item, today: dt.date, framework: Framework | None = None, *,
                dates: Mapping[str, dt.date | None] | None = None) -> list[dict]:
    """Return the clocks ``item``'s framework runs on it (its ``ITEM_CLOCKS``), each
    ``{"label", "clock", "done", "period", "started", "due", "done_on", "rag", "days_left"}``.

    A clock starts on the date in the item's ``from`` field (none yet: ``rag`` ``none``) and
    stops on the date in its ``done`` field; its colour is :func:`clock_rag`'s.

    :param dates: dates to read instead of the item's fields (a stored date that no step
        recorded does not stop a clock).
    """
    fw = framework or frameworks.of(item)
    dates = dates or {}

    def date_of(name):
        return clock.as_date(dates[name] if name in dates else getattr(item, name, None))

    result = []
    for spec in fw.item_clocks.get(item.type_key, ()):
        started = date_of(spec["from"])
        done_on = date_of(spec["done"]) if spec.get("done") else None
        due = after(spec["clock"], started, fw) if started else None
        amber_from = (after(spec["amber"], due, fw, before=True)
                      if due and spec.get("amber") else None)
        result.append({
            "label": spec["label"], "clock": spec["clock"], "done": spec.get("done"),
            "period": describe(spec["clock"], fw), "started": started,
            "due": due, "done_on": done_on if due else None,
            "rag": clock_rag(due, done_on, today, amber_from),
            "days_left": (due - today).days if due and not done_on else None,
        })
    return result


# --- the SCR pathway --------------------------------------------------------------------------


def decision_due(notified_on: dt.date | None,
                 framework: Framework | None = None) -> dt.date | None:
    """The Chair's SCR decision is due one month after the LSCB was notified."""
    return after("scr_decision", notified_on, framework) if notified_on else None


def decision_rag(notified_on: dt.date | None, decided_on: dt.date | None,
                 today: dt.date, framework: Framework | None = None) -> str:
    """Return the colour of the decision clock: ``none`` (not notified), ``done`` or ``late``
    (decided in or out of time), ``red`` (overdue), ``amber`` (14 days or fewer left) or
    ``green``."""
    due = decision_due(notified_on, framework)
    amber = after("scr_decision_amber", due, framework, before=True) if due else None
    return clock_rag(due, decided_on, today, amber)


def national_panel_notice_due(decided_on: dt.date,
                              framework: Framework | None = None) -> dt.date:
    """Where no SCR is initiated the National Panel is told within 14 days of the decision."""
    return after("national_panel_notice", decided_on, framework)


def information_request_due(issued_on: dt.date, meeting_on: dt.date | None,
                            framework: Framework | None = None) -> dt.date:
    """A request for information is due 7 days after issue, or by the meeting if sooner."""
    due = after("information_request", issued_on, framework)
    return min(due, meeting_on) if meeting_on else due


def information_request_reminder_on(due_on: dt.date,
                                    framework: Framework | None = None) -> dt.date:
    """The day the reminder of a request due on ``due_on`` goes (2 days before)."""
    return after("information_request_reminder", due_on, framework, before=True)


def latest_due_reminded(today: dt.date, framework: Framework | None = None) -> dt.date:
    """The latest due date whose reminder day has come by ``today`` (for the sweep's query,
    one framework at a time)."""
    fw = _framework(framework)
    return latest(functools.partial(information_request_reminder_on, framework=fw),
                  today, today)


def ciec_meeting_on(year: int, month: int, framework: Framework | None = None) -> dt.date:
    """The monthly CIEC meeting's day in ``month`` (the month's last day if it is shorter)."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(_framework(framework).reminders["meeting_day"], last))


def next_ciec_meeting_on(today: dt.date, framework: Framework | None = None) -> dt.date:
    """The next monthly CIEC meeting on or after ``today``."""
    this = ciec_meeting_on(today.year, today.month, framework)
    if today <= this:
        return this
    following = clock.add_months(today.replace(day=1), 1)
    return ciec_meeting_on(following.year, following.month, framework)


# --- publication ------------------------------------------------------------------------------


def publication_window_end(published_on: dt.date,
                           framework: Framework | None = None) -> dt.date:
    """The first day a report published on ``published_on`` may leave the website.

    It stays "at least 12 months": from 10 Mar 2024, until 10 Mar 2025; from 29 Feb 2024,
    until 1 Mar 2025 (the 12 months are never cut short by a short February).
    """
    return after("publication", published_on, framework)


def publication_window_over(published_on: dt.date, today: dt.date,
                            framework: Framework | None = None) -> bool:
    """Return whether a report published on ``published_on`` may leave the website ``today``."""
    return today >= publication_window_end(published_on, framework)


def latest_publication_over(today: dt.date, framework: Framework | None = None) -> dt.date:
    """The latest publication date whose window is over by ``today`` (for the sweep's query,
    one framework at a time): ``publication_window_over(p, today)`` exactly when
    ``p <= latest_publication_over(today)``.
    """
    fw = _framework(framework)
    return latest(functools.partial(publication_window_end, framework=fw), today,
                  today - period("publication", fw).longest(fw))


# --- action plans -----------------------------------------------------------------------------


def next_pdc_review(after_day: dt.date, framework: Framework | None = None) -> dt.date:
    """The PDC review six months after ``after_day`` (ratification, or the last review's)."""
    return after("pdc_review", after_day, framework)


def pdc_due_soon_until(today: dt.date) -> dt.date:
    """Plans whose PDC review is due by this date show on the dashboard (the install's
    framework's look-ahead)."""
    return after("pdc_due_soon", today)


def action_amber_until(today: dt.date) -> dt.date:
    """An open action due on or before this date (and not overdue) is amber (the install's
    framework's ``action_amber``)."""
    return after("action_amber", today)


def rag_dates(today: dt.date) -> dict[str, dt.date]:
    """The dates the RAG rules of ``config/deadlines.py`` name, for ``today``."""
    return {"today": today, "amber until": action_amber_until(today)}


def action_reminder_step(due: dt.date, today: dt.date,
                         framework: Framework | None = None) -> str | None:
    """Return the step of an open action's clock today: ``due-30``, ``overdue:2``, or ``None``.

    Before the due date the step is the nearest reminder not yet passed (30, 7, 1 days
    before); from the day after, ``overdue:<n>`` with ``n`` the completed weeks overdue.
    """
    reminders = _framework(framework).reminders
    days_left = (due - today).days
    if days_left > 0:
        current = [n for n in sorted(reminders["action_days_before"]) if days_left <= n]
        return f"due-{current[0]}" if current else None
    if days_left < 0:
        return f"overdue:{(-days_left - 1) // reminders['action_overdue_every_days']}"
    return None


def latest_due_with_a_reminder_step(today: dt.date) -> dt.date:
    """Actions due after this date have no reminder step yet under any framework (for the
    sweep's query)."""
    return today + max(max(fw.reminders["action_days_before"])
                       for fw in frameworks.every()) * _DAY
