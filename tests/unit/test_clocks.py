"""Every clock of the framework, as a table: ordinary dates, month ends and leap days."""

from __future__ import annotations

import datetime as dt

import pytest

from lif import clocks
from lif.clocks import Period

D = dt.date


@pytest.mark.parametrize(("notified", "due"), [
    (D(2026, 3, 2), D(2026, 4, 2)),
    (D(2025, 1, 31), D(2025, 2, 28)),    # 31 Jan + 1 month: February's last day
    (D(2024, 1, 31), D(2024, 2, 29)),    # in a leap year
    (D(2024, 1, 29), D(2024, 2, 29)),
    (D(2024, 2, 29), D(2024, 3, 29)),
    (D(2025, 3, 31), D(2025, 4, 30)),
    (D(2025, 12, 31), D(2026, 1, 31)),   # across the year end
])
def test_scr_decision_is_due_one_month_after_notification(notified, due):
    assert clocks.decision_due(notified) == due


def test_no_notification_no_decision_clock():
    assert clocks.decision_due(None) is None
    assert clocks.decision_rag(None, None, D(2026, 1, 1)) == "none"


@pytest.mark.parametrize(("today", "decided", "colour"), [
    (D(2026, 3, 18), None, "green"),     # 15 days left
    (D(2026, 3, 19), None, "amber"),     # 14 days left
    (D(2026, 4, 2), None, "amber"),      # due today
    (D(2026, 4, 3), None, "red"),
    (D(2026, 4, 20), D(2026, 4, 2), "done"),
    (D(2026, 4, 20), D(2026, 4, 3), "late"),
])
def test_scr_decision_colour(today, decided, colour):
    assert clocks.decision_rag(D(2026, 3, 2), decided, today) == colour


@pytest.mark.parametrize(("decided", "due"), [
    (D(2026, 4, 8), D(2026, 4, 22)),
    (D(2024, 2, 20), D(2024, 3, 5)),     # across 29 Feb
    (D(2025, 2, 20), D(2025, 3, 6)),
    (D(2025, 12, 25), D(2026, 1, 8)),
])
def test_national_panel_is_told_within_14_days_of_the_decision(decided, due):
    assert clocks.national_panel_notice_due(decided) == due


@pytest.mark.parametrize(("issued", "meeting", "due"), [
    (D(2026, 3, 3), D(2026, 3, 15), D(2026, 3, 10)),   # 7 days
    (D(2026, 3, 10), D(2026, 3, 15), D(2026, 3, 15)),  # by the meeting if sooner
    (D(2026, 3, 15), D(2026, 3, 15), D(2026, 3, 15)),  # on the meeting's day: by return
    (D(2024, 2, 25), D(2024, 3, 15), D(2024, 3, 3)),   # across 29 Feb
    (D(2025, 2, 25), D(2025, 3, 15), D(2025, 3, 4)),
    (D(2026, 1, 31), None, D(2026, 2, 7)),             # no meeting: 7 days
])
def test_request_for_information_due_in_7_days_or_by_the_meeting(issued, meeting, due):
    assert clocks.information_request_due(issued, meeting) == due


@pytest.mark.parametrize(("due", "reminder"), [
    (D(2026, 3, 10), D(2026, 3, 8)),
    (D(2024, 3, 1), D(2024, 2, 28)),
    (D(2025, 3, 1), D(2025, 2, 27)),
])
def test_request_reminder_two_days_before(due, reminder):
    assert clocks.information_request_reminder_on(due) == reminder


@pytest.mark.parametrize(("year", "month", "day"), [
    (2026, 3, 15), (2024, 2, 15), (2026, 12, 15),
])
def test_ciec_meets_monthly(year, month, day):
    assert clocks.ciec_meeting_on(year, month) == D(year, month, day)


@pytest.mark.parametrize(("today", "meeting"), [
    (D(2026, 3, 3), D(2026, 3, 15)),
    (D(2026, 3, 15), D(2026, 3, 15)),    # a meeting today is the next one
    (D(2026, 3, 16), D(2026, 4, 15)),
    (D(2026, 12, 31), D(2027, 1, 15)),
    (D(2024, 1, 31), D(2024, 2, 15)),
])
def test_next_ciec_meeting(today, meeting):
    assert clocks.next_ciec_meeting_on(today) == meeting


@pytest.mark.parametrize(("ratified", "review"), [
    (D(2026, 1, 15), D(2026, 7, 15)),
    (D(2025, 8, 31), D(2026, 2, 28)),    # 31 Aug + 6 months: February's last day
    (D(2023, 8, 31), D(2024, 2, 29)),    # in a leap year
    (D(2024, 2, 29), D(2024, 8, 29)),
    (D(2025, 12, 31), D(2026, 6, 30)),
])
def test_next_pdc_review_six_months_on(ratified, review):
    assert clocks.next_pdc_review(ratified) == review


@pytest.mark.parametrize(("published", "end"), [
    (D(2024, 3, 10), D(2025, 3, 10)),
    (D(2024, 2, 29), D(2025, 3, 1)),     # never cut short by a short February
    (D(2024, 2, 28), D(2025, 2, 28)),
    (D(2023, 2, 28), D(2024, 2, 28)),
    (D(2024, 1, 31), D(2025, 1, 31)),
    (D(2025, 12, 31), D(2026, 12, 31)),
])
def test_publication_window_is_at_least_12_months(published, end):
    assert clocks.publication_window_end(published) == end
    assert not clocks.publication_window_over(published, end - dt.timedelta(days=1))
    assert clocks.publication_window_over(published, end)


def test_the_sweep_and_the_guard_agree_on_every_publication_date():
    # The sweep asks the database for ``published_on <= latest_publication_over(today)``; the
    # guard asks ``publication_window_over``. Every day of four years, both ways round.
    start = D(2023, 1, 1)
    days = [start + dt.timedelta(days=n) for n in range(4 * 366)]
    for today in days[366:]:
        cutoff = clocks.latest_publication_over(today)
        assert clocks.publication_window_over(cutoff, today)
        assert not clocks.publication_window_over(cutoff + dt.timedelta(days=1), today)


def test_the_reminder_query_and_the_reminder_day_agree():
    for n in range(800):
        today = D(2023, 12, 1) + dt.timedelta(days=n)
        last = clocks.latest_due_reminded(today)
        assert clocks.information_request_reminder_on(last) <= today
        assert clocks.information_request_reminder_on(last + dt.timedelta(days=1)) > today


@pytest.mark.parametrize(("today", "until"), [
    (D(2026, 3, 1), D(2026, 3, 31)),
    (D(2024, 2, 1), D(2024, 3, 2)),
    (D(2025, 2, 1), D(2025, 3, 3)),
])
def test_action_amber_and_pdc_due_soon_thresholds(today, until):
    assert clocks.action_amber_until(today) == until
    assert clocks.pdc_due_soon_until(today) == today + dt.timedelta(days=60)
    assert clocks.rag_dates(today) == {"today": today, "amber until": until}


@pytest.mark.parametrize(
    ("due", "today", "step"),
    [
        (D(2026, 6, 30), D(2026, 5, 30), None),
        (D(2026, 6, 30), D(2026, 5, 31), "due-30"),
        (D(2026, 6, 30), D(2026, 6, 22), "due-30"),
        (D(2026, 6, 30), D(2026, 6, 23), "due-7"),
        (D(2026, 6, 30), D(2026, 6, 29), "due-1"),
        (D(2026, 6, 30), D(2026, 6, 30), None),
        (D(2026, 6, 30), D(2026, 7, 1), "overdue:0"),
        (D(2026, 6, 30), D(2026, 7, 7), "overdue:0"),
        (D(2026, 6, 30), D(2026, 7, 8), "overdue:1"),
        (D(2026, 6, 30), D(2026, 8, 9), "overdue:5"),
        (D(2024, 3, 1), D(2024, 2, 29), "due-1"),      # leap day
        (D(2024, 3, 1), D(2024, 1, 31), "due-30"),
        (D(2025, 3, 1), D(2025, 1, 30), "due-30"),
        (D(2025, 3, 1), D(2025, 1, 29), None),
    ],
)
def test_action_reminder_steps(due, today, step):
    assert clocks.action_reminder_step(due, today) == step
    if step is not None:
        assert due <= clocks.latest_due_with_a_reminder_step(today)


# --- the arithmetic a later framework can use ---------------------------------------------------


@pytest.mark.parametrize(("day", "span", "expected"), [
    (D(2025, 1, 31), Period(1, "months", "within"), D(2025, 2, 28)),
    (D(2025, 1, 31), Period(1, "months", "at least"), D(2025, 3, 1)),
    (D(2024, 1, 31), Period(1, "months", "at least"), D(2024, 3, 1)),
    (D(2024, 1, 30), Period(1, "months", "at least"), D(2024, 3, 1)),
    (D(2024, 1, 29), Period(1, "months", "at least"), D(2024, 2, 29)),
    (D(2024, 2, 29), Period(12, "months", "within"), D(2025, 2, 28)),
    (D(2024, 2, 29), Period(48, "months", "within"), D(2028, 2, 29)),
    (D(2025, 5, 1), Period(0, "months"), D(2025, 5, 1)),
])
def test_months_settle_a_missing_day_by_the_clocks_kind(day, span, expected):
    assert clocks.add(day, span) == expected


@pytest.mark.parametrize(("day", "span", "expected"), [
    # "Within" a month before 31 Mar: no 31 Feb, so the later date (a deadline comes no later
    # than any reading allows); "at least" a month before: the earlier.
    (D(2025, 3, 31), Period(1, "months", "within"), D(2025, 3, 1)),
    (D(2025, 3, 31), Period(1, "months", "at least"), D(2025, 2, 28)),
    (D(2025, 3, 10), Period(7, "days"), D(2025, 3, 3)),
])
def test_before_settles_the_other_way(day, span, expected):
    assert clocks.add(day, span, before=True) == expected


@pytest.mark.parametrize(("day", "amount", "expected"), [
    (D(2025, 3, 7), 5, D(2025, 3, 14)),      # Friday + 5 working days: the next Friday
    (D(2025, 3, 8), 1, D(2025, 3, 10)),      # from a Saturday: Monday
    (D(2025, 4, 17), 1, D(2025, 4, 22)),     # Good Friday and Easter Monday 2025
    (D(2025, 5, 2), 1, D(2025, 5, 6)),       # Early May bank holiday 2025
    (D(2025, 12, 23), 5, D(2026, 1, 2)),     # Christmas, Boxing Day, New Year's Day
    (D(2026, 12, 24), 1, D(2026, 12, 29)),   # Boxing Day 2026 is a Saturday: Monday 28th off
    (D(2027, 8, 27), 1, D(2027, 8, 31)),     # Summer bank holiday 2027
    (D(2025, 3, 14), 0, D(2025, 3, 14)),
])
def test_working_days_skip_weekends_and_bank_holidays_of_england(day, amount, expected):
    assert clocks.add(day, Period(amount, "working_days")) == expected
    if amount:
        assert clocks.add(expected, Period(amount, "working_days"), before=True) <= day


def test_a_working_day_clock_has_an_exact_inverse_too():
    span = Period(15, "working_days")
    for n in range(0, 800, 3):
        by = D(2025, 1, 1) + dt.timedelta(days=n)
        last = clocks.latest(lambda d: clocks.add(d, span), by, by - span.longest())
        assert clocks.add(last, span) <= by < clocks.add(last + dt.timedelta(days=1), span)


@pytest.mark.parametrize(("span", "words"), [
    (Period(1, "months"), "1 month"), (Period(12, "months"), "12 months"),
    (Period(14, "days"), "14 days"), (Period(1, "working_days"), "1 working day"),
    (Period(5, "working_days"), "5 working days"),
])
def test_a_period_in_words(span, words):
    assert str(span) == words


@pytest.mark.parametrize("bad", [(1, "fortnights", "within"), (1, "days", "roughly"),
                                 (-1, "days", "within")])
def test_a_clock_that_is_not_one_is_refused(bad):
    with pytest.raises(ValueError, match="Not a clock"):
        Period(*bad)


def test_every_configured_clock_is_a_period():
    from config.deadlines import CLOCKS

    assert {name: str(clocks.period(name)) for name in CLOCKS}
