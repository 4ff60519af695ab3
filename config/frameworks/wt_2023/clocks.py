"""The clocks of Working Together 2023 (England), chapter 5.

A clock is ``(amount, unit, kind)``; ``config/deadlines.py`` says what units and kinds mean.
The statutory clocks of the serious incident pathway count working days.
"""

CLOCKS = {
    # The local authority notifies the National Panel within 5 working days of becoming aware
    # of a serious incident; amber with 2 working days left.
    "incident_notification": (5, "working_days", "within"),
    "incident_notification_amber": (2, "working_days", "within"),
    # The partners complete the rapid review within 15 working days of the notification;
    # amber with 5 working days left.
    "rapid_review": (15, "working_days", "within"),
    "rapid_review_amber": (5, "working_days", "within"),
    # An LCSPR's final report is expected within six months of the decision to hold one.
    "lcspr_report": (6, "months", "within"),
    "lcspr_report_amber": (1, "months", "within"),
    # The report goes to the National Panel and the Secretary of State at least 7 working
    # days before it is published.
    "publication_notice": (7, "working_days", "at least"),
    # Published reports stay on the partnership's website at least 12 months.
    "publication": (12, "months", "at least"),
    # As in the source: six-monthly scrutiny of each action plan's impact, the dashboard's
    # look-ahead, an action's amber, and the requests for agency summaries.
    "pdc_review": (6, "months", "within"),
    "pdc_due_soon": (60, "days", "within"),
    "action_amber": (30, "days", "within"),
    "information_request": (5, "working_days", "within"),
    "information_request_reminder": (2, "working_days", "within"),
}

# England's bank holidays (the ``holidays`` library's "GB", subdivision "ENG"; Wales has the
# same), and the partnership's own closure days as ISO dates (none by default; a partnership
# closed between Christmas and New Year lists those days here).
WORKING_DAYS = {"country": "GB", "subdivision": "ENG", "closures": ()}

REMINDERS = {
    "action_days_before": (30, 7, 1),
    "action_overdue_every_days": 7,
    "meeting_day": 15,
}

ITEM_CLOCKS = {
    "referral": (
        {"label": "Notification to the National Panel", "clock": "incident_notification",
         "from": "aware_on", "done": "notified_on", "amber": "incident_notification_amber"},
        {"label": "Rapid review", "clock": "rapid_review", "from": "notified_on",
         "done": "decided_on", "amber": "rapid_review_amber"},
    ),
}
