"""Every clock the framework sets, in one place (DESIGN.md "Deadlines the system keeps").

Durations are ``dateutil``-free plain data: months or days. Services in ``lif/`` read them;
sweeps apply them; nothing else knows a number of days.
"""

# PDC review of an action plan: every 6 months from ratification until closed.
PDC_REVIEW_EVERY_MONTHS = 6
# Plans due for PDC review within this many days show on the dashboard.
PDC_DUE_SOON_DAYS = 60

# Action timescale: overdue when the due date has passed and the action is not complete.
ACTION_AMBER_DAYS = 30  # amber: due within 30 days and not complete
ACTION_REMINDER_DAYS = (30, 7, 1)  # reminders before the due date
ACTION_OVERDUE_REPEAT_DAYS = 7  # then weekly while overdue

# CIEC request for information: response due 7 days after issue (or by the meeting if sooner);
# a reminder this many days before it is due, and one chase once it has passed.
INFORMATION_REQUEST_DAYS = 7
INFORMATION_REQUEST_REMINDER_DAYS = 2
# SCR decision: within 1 month of the LSCB being notified; amber with 2 weeks left.
SCR_DECISION_MONTHS = 1
SCR_DECISION_AMBER_DAYS = 14
# National Panel notice where no SCR: within 14 days of the decision.
NATIONAL_PANEL_NOTICE_DAYS = 14
# CIEC meeting: monthly (day of month the meeting record is created for).
CIEC_MEETING_DAY = 15
# SCR publication: on the website at least 12 months, then on request.
SCR_PUBLICATION_MONTHS = 12

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

# Completed/verified statuses count as "done" for RAG and on-time figures.
DONE_STATUSES = ("complete", "verified", "cancelled")

# Dashboard figures: recomputed after any change to actions or plans. When computing them
# took longer than DASHBOARD_SLOW_MS (a very large install on the embedded database: 5-18 s
# at 100k actions, during which that single-threaded server answers everyone slowly), the
# last figures are shown, marked with their time, and fresh ones are computed in the
# background, at most once every DASHBOARD_MIN_REFRESH_SECONDS.
DASHBOARD_SLOW_MS = 1000
DASHBOARD_MIN_REFRESH_SECONDS = 5 * 60
# The dashboard's aggregation may take this long (the connection's own limit is shorter).
DASHBOARD_TIMEOUT_SECONDS = 600
