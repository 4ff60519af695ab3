"""The clocks of the source's framework (DESIGN.md "Deadlines the system keeps").

A clock is ``(amount, unit, kind)``; ``config/deadlines.py`` says what units and kinds mean.
None of the source's clocks counts working days.
"""

CLOCKS = {
    # PDC review of an action plan: every 6 months from ratification until closed.
    "pdc_review": (6, "months", "within"),
    # Plans due for PDC review within this long show on the dashboard.
    "pdc_due_soon": (60, "days", "within"),
    # An action is amber when due within this long and not done (red once overdue).
    "action_amber": (30, "days", "within"),
    # CIEC request for information: response due 7 days after issue, or by the meeting if
    # sooner; a reminder this long before it is due, and one chase once it has passed.
    "information_request": (7, "days", "within"),
    "information_request_reminder": (2, "days", "within"),
    # SCR decision: within 1 month of the LSCB being notified; amber with 14 days left.
    "scr_decision": (1, "months", "within"),
    "scr_decision_amber": (14, "days", "within"),
    # National Panel notice where no SCR: within 14 days of the decision.
    "national_panel_notice": (14, "days", "within"),
    # SCR publication: on the website at least 12 months, then on request.
    "publication": (12, "months", "at least"),
}

# Working days (none of the clocks above counts them; a local variant may): England's bank
# holidays (the ``holidays`` library's "GB", subdivision "ENG"; Wales has the same) and the
# partnership's own closure days, as ISO dates.
WORKING_DAYS = {"country": "GB", "subdivision": "ENG", "closures": ()}

REMINDERS = {
    # Action reminders: this many days before the due date (the nearest not yet passed),
    # then every ``action_overdue_every_days`` days while overdue.
    "action_days_before": (30, 7, 1),
    "action_overdue_every_days": 7,
    # The monthly CIEC meeting, on this day of the month (the month's last if it is shorter).
    "meeting_day": 15,
}

# The clocks an item's page and the register show, per content type: ``clock`` runs from the
# date in field ``from``; it stops when field ``done`` holds a date; it is amber within the
# ``amber`` clock of its due date (``lif/clocks.py`` ``item_clocks``).
ITEM_CLOCKS = {
    "referral": (
        {"label": "SCR decision", "clock": "scr_decision", "from": "notified_on",
         "done": "decided_on", "amber": "scr_decision_amber"},
    ),
}
