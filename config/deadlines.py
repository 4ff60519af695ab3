"""What a clock is, and the deadlines and schedules that are the same under every framework.

Plain data, no logic: ``lif/clocks.py`` is the one place that turns clocks into dates;
guards, sweeps, services, writers, the seed, calendars and the dashboard ask it.

A clock (in a framework's ``CLOCKS``, ``config/frameworks/<name>/clocks.py``) is
``(amount, unit, kind)``:

- ``unit``: ``"days"``, ``"months"`` or ``"working_days"`` (Monday to Friday except the bank
  holidays of the framework's ``WORKING_DAYS`` and its local closures);
- ``kind``: which way a date goes when the calendar makes it ambiguous, i.e. when the month
  reached has no such day (29 February, the 31st). ``"within"`` (a deadline) ends on that
  month's last day, so no one who acts by then is late; ``"at least"`` (a minimum) ends on the
  next month's first day, so the period is never cut short. 31 Jan + 1 month is 28 Feb
  "within" and 1 Mar "at least"; 29 Feb 2024 + 12 months is 28 Feb 2025 and 1 Mar 2025.
"""

import importlib

from config import frameworks

# What a clock may count, and how an ambiguous date is settled (above).
UNITS = ("days", "months", "working_days")
KINDS = ("within", "at least")

# The clocks themselves belong to each framework: ``config/frameworks/<name>/clocks.py``
# (the source's: ``config/frameworks/lscb_2015/clocks.py``). This module keeps what is the
# same whatever the framework. ``CLOCKS`` here is the default framework's, for older imports.
CLOCKS = importlib.import_module(f"config.frameworks.{frameworks.DEFAULT}").CLOCKS

# Completed/verified statuses count as "done" for RAG and on-time figures.
DONE_STATUSES = ("complete", "verified", "cancelled")

# The RAG of an action: the first rule whose condition holds gives its colour; none: green.
# A condition is ``{field: (test, value)}``, every test holding. Tests: "is", "is not", "in",
# "not in", "before" and "on or before" (dates); a date value names a date ``lif/clocks.py``
# computes for the day: "today", "amber until" (the ``action_amber`` clock after today).
# ``lif/rag.py`` reads these rules three ways - in Python, as a query, as an aggregation
# expression - so the colour of an action, the RAG filter and the dashboard cannot disagree.
ACTION_CONDITIONS = {
    "challenged": {"last_pdc_verdict": ("is", "challenged"), "state": ("is not", "verified")},
    "done": {"state": ("in", DONE_STATUSES)},
    "past due": {"due_date": ("before", "today")},
    "due soon": {"due_date": ("on or before", "amber until")},
    # Not a rule of its own: the overdue lists and counts (open, and past its due date).
    "overdue": {"state": ("not in", DONE_STATUSES), "due_date": ("before", "today")},
}
ACTION_RAG = (
    ("challenged", "red"),  # challenged at the last PDC review, until verified
    ("done", "green"),  # done, however late
    ("past due", "red"),
    ("due soon", "amber"),
)
ACTION_RAG_OTHERWISE = "green"

# Email delivery: a failed send is retried after 1, 3, 7, 15... times this many minutes from the
# message's creation (doubling waits), at most EMAIL_MAX_ATTEMPTS times. People who chose a
# daily digest get it from this hour (UTC) each day.
EMAIL_RETRY_BASE_MINUTES = 15
EMAIL_MAX_ATTEMPTS = 8
EMAIL_DIGEST_HOUR = 7

# The scheduler runs every sweep this often; sweeps are idempotent, so more often is only load.
SWEEP_EVERY_MINUTES = 15

# Calendar feeds show meetings and closed PDC reviews back this many days (open deadlines always).
CALENDAR_PAST_DAYS = 90

# Dashboard figures: recomputed after any change to actions or plans. When computing them
# took longer than DASHBOARD_SLOW_MS (a very large install on the embedded database: 5-18 s
# at 100k actions, during which that single-threaded server answers everyone slowly), the
# last figures are shown, marked with their time, and fresh ones are computed in the
# background, at most once every DASHBOARD_MIN_REFRESH_SECONDS.
DASHBOARD_SLOW_MS = 1000
DASHBOARD_MIN_REFRESH_SECONDS = 5 * 60
# The dashboard's aggregation may take this long (the connection's own limit is shorter).
DASHBOARD_TIMEOUT_SECONDS = 600
