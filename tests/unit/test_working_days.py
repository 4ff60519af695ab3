"""Working days are real (issue 20, point 2): England and Wales bank holidays from the
``holidays`` library, a partnership's closure days as data, and every working-day clock of
Working Together 2023 right across a bank holiday, a weekend and a year end (2025-2027)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from lif import clocks, frameworks

D = dt.date
WT = frameworks.get("wt_2023")
# A partnership closed between Christmas and New Year (its own data, not a bank holiday).
CLOSED = dataclasses.replace(WT, closures=frozenset(
    {D(2025, 12, 29), D(2025, 12, 30), D(2025, 12, 31),
     D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)}))


@pytest.mark.parametrize(("day", "working"), [
    (D(2025, 4, 18), False),    # Good Friday 2025
    (D(2025, 4, 21), False),    # Easter Monday 2025
    (D(2025, 5, 5), False),     # Early May bank holiday 2025
    (D(2025, 8, 25), False),    # Summer bank holiday 2025 (England and Wales, not Scotland)
    (D(2025, 12, 24), True),
    (D(2025, 12, 25), False),
    (D(2025, 12, 26), False),
    (D(2026, 12, 28), False),   # Boxing Day 2026 is a Saturday: substitute Monday
    (D(2027, 1, 1), False),
    (D(2027, 3, 26), False),    # Good Friday 2027
    (D(2027, 12, 27), False),   # Christmas 2027 is a Saturday, Boxing Day a Sunday:
    (D(2027, 12, 28), False),   # both substitute days off
    (D(2027, 12, 29), True),
    (D(2026, 3, 14), False),    # a Saturday
])
def test_bank_holidays_of_england_and_wales_come_from_the_library(day, working):
    assert clocks.is_working_day(day, WT) is working


@pytest.mark.parametrize(("aware", "notify_by", "notify_by_when_closed"), [
    # Mon 22 Dec 2025: 23, 24, (25, 26 bank holidays), 29, 30, 31 -> Wed 31 Dec; closed
    # 29-31 Dec (and 1 Jan a bank holiday): 23, 24, 2, 5, 6 Jan -> Tue 6 Jan 2026.
    (D(2025, 12, 22), D(2025, 12, 31), D(2026, 1, 6)),
    # Thu 17 Apr 2025: (18, 21 Easter), 22, 23, 24, 25, 28 -> Mon 28 Apr.
    (D(2025, 4, 17), D(2025, 4, 28), D(2025, 4, 28)),
    # Fri 6 Mar 2026, a plain week with a weekend inside: Fri 13 Mar.
    (D(2026, 3, 6), D(2026, 3, 13), D(2026, 3, 13)),
    # Learnt of on a Saturday: counting starts on Monday 8 Jun 2026 -> Fri 12 Jun.
    (D(2026, 6, 6), D(2026, 6, 12), D(2026, 6, 12)),
    # Thu 24 Dec 2026: (25; 28 for Boxing Day), 29, 30, 31, (1 Jan 2027), 4, 5 -> Tue 5 Jan
    # 2027; closed 29-31 Dec: 4, 5, 6, 7, 8 Jan -> Fri 8 Jan 2027.
    (D(2026, 12, 24), D(2027, 1, 5), D(2027, 1, 8)),
])
def test_the_serious_incident_notification_is_due_5_working_days_on(
        aware, notify_by, notify_by_when_closed):
    assert clocks.after("incident_notification", aware, WT) == notify_by
    assert clocks.after("incident_notification", aware, CLOSED) == notify_by_when_closed


@pytest.mark.parametrize(("notified", "review_by"), [
    # Thu 10 Apr 2025: 11, 14-17 (5), (18, 21 Easter), 22-25 (9), 28-30, 1, 2 May (14),
    # (5 May bank holiday), Tue 6 May 2025.
    (D(2025, 4, 10), D(2025, 5, 6)),
    # Mon 15 Dec 2025: 16-19 (4), 22-24 (7), (25, 26), 29-31 (10), (1 Jan), 2 (11),
    # 5-8 Jan (15) -> Thu 8 Jan 2026.
    (D(2025, 12, 15), D(2026, 1, 8)),
    # Fri 15 May 2026: 18-22 (5), (25 May spring bank holiday), 26-29 (9), 1-5 Jun (14),
    # Mon 8 Jun 2026.
    (D(2026, 5, 15), D(2026, 6, 8)),
    # Fri 13 Aug 2027: 16-20 (5), 23-27 (10), (30 Aug summer bank holiday), 31, 1-3 Sep (14),
    # Mon 6 Sep 2027.
    (D(2027, 8, 13), D(2027, 9, 6)),
])
def test_the_rapid_review_is_due_15_working_days_after_the_notification(notified, review_by):
    assert clocks.after("rapid_review", notified, WT) == review_by


@pytest.mark.parametrize(("published", "notice_by"), [
    # Published Mon 4 Jan 2027: back over (1 Jan), 31, 30, 29, (28 Boxing Day's substitute,
    # 25 Christmas), 24, 23, 22, 21 -> the notice goes by Mon 21 Dec 2026.
    (D(2027, 1, 4), D(2026, 12, 21)),
    # Published Wed 9 Apr 2025: 8, 7, 4, 3, 2, 1 Apr, 31 Mar -> Mon 31 Mar 2025.
    (D(2025, 4, 9), D(2025, 3, 31)),
])
def test_the_national_panel_has_the_report_7_working_days_before_publication(
        published, notice_by):
    assert clocks.after("publication_notice", published, WT, before=True) == notice_by


def test_a_working_day_clock_counts_closures_only_of_the_framework_that_lists_them():
    assert clocks.after("incident_notification", D(2025, 12, 22), CLOSED) == D(2026, 1, 6)
    assert clocks.after("incident_notification", D(2025, 12, 22), WT) == D(2025, 12, 31)
    assert clocks.is_working_day(D(2025, 12, 30), WT)
    assert not clocks.is_working_day(D(2025, 12, 30), CLOSED)


class _Incident:
    type_key = "referral"

    def __init__(self, **dates):
        self.__dict__.update(dates)


@pytest.mark.parametrize(("today", "notified_on", "colour"), [
    (D(2025, 12, 22), None, "green"),
    (D(2025, 12, 29), None, "amber"),      # 2 working days left (29, 30, then due 31)
    (D(2025, 12, 31), None, "amber"),      # due today
    (D(2026, 1, 2), None, "red"),
    (D(2026, 1, 2), D(2025, 12, 31), "done"),
    (D(2026, 1, 2), D(2026, 1, 2), "late"),
])
def test_an_incident_shows_its_notification_clock_in_colour(today, notified_on, colour):
    incident = _Incident(aware_on=D(2025, 12, 22), notified_on=notified_on, decided_on=None)
    notification, rapid_review = clocks.item_clocks(incident, today, WT)
    assert notification["label"] == "Notification to the National Panel"
    assert notification["due"] == D(2025, 12, 31)
    assert notification["rag"] == colour
    # The rapid review's clock starts only when the notification is recorded.
    assert rapid_review["rag"] == ("none" if notified_on is None else "green")
