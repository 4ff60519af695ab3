"""The workflows of Working Together 2023 (England), chapter 5, as data.

Their shape is described in ``config/frameworks/parts.py``. The serious incident pathway
(``referral``) and the review (an LCSPR) are the partnership's; action plans, actions,
audits, agency summaries (requests for information), six-monthly scrutiny of impact and
meetings work as in the source, so they are the source's workflows.
"""

from config.frameworks.lscb_2015.workflows import (
    ACTION,
    ACTION_PLAN,
    AUDIT,
    INFORMATION_REQUEST,
    MEETING,
    PDC_REVIEW,
    REFERRAL_READERS,
)
from config.frameworks.parts import ALL, state, transition

# A serious incident: the local authority notifies the National Panel within 5 working days
# of becoming aware of it and tells the partners; the partners ask the agencies for
# summaries, meet, and decide within 15 working days of the notification whether a Local
# Child Safeguarding Practice Review is appropriate.
REFERRAL = {
    "title": "Serious incident and rapid review (Working Together 2023, chapter 5)",
    "initial": "incident_recorded",
    "states": {
        "incident_recorded": state("Serious incident recorded: National Panel to be notified",
                                   view=REFERRAL_READERS, edit=("admin", "ciec", "ciec_chair"),
                                   trash=("admin",)),
        "notified": state("Notified to the National Panel: rapid review due",
                          view=REFERRAL_READERS, edit=("admin", "ciec_chair"),
                          trash=("admin",)),
        "rapid_review": state("Rapid review under way (agency summaries)",
                              view=REFERRAL_READERS, edit=("admin", "ciec", "ciec_chair"),
                              trash=("admin",)),
        "decided": state("Rapid review decided", view=REFERRAL_READERS),
        "closed": state("Closed", view=REFERRAL_READERS),
    },
    "transitions": [
        transition(
            "notify_panel", "incident_recorded", "notified", ("admin", "ciec_chair"),
            "Record the Serious Incident Notification", records=("notified_on",),
            requires=("notified_on",),
        ),
        transition(
            "start_rapid_review", "notified", "rapid_review", ("admin", "ciec_chair"),
            "Start the rapid review: ask the agencies for summaries",
            effects=("request_agency_summaries",),
        ),
        # The decision is the partners'; their lead representative records it.
        transition(
            "decide_rapid_review", "rapid_review", "decided", ("chair",),
            "Record the rapid review's decision",
            records=("decision", "decision_rationale", "decided_on"),
            requires=("decision", "decision_rationale", "decided_on"), override=("admin",),
        ),
        transition("close", "decided", "closed", ("admin",), "Close"),
    ],
    "worklists": {
        "ciec_chair": ("incident_recorded", "notified", "rapid_review"),
        "chair": ("rapid_review",),
        "admin": ("incident_recorded", "decided"),
    },
}

REVIEW = {
    "title": "Local Child Safeguarding Practice Review (Working Together 2023)",
    "initial": "commissioned",
    "states": {
        "commissioned": state("Commissioned (reviewers, terms of reference)",
                              edit=("admin", "training", "chair")),
        "in_progress": state("Review in progress", edit=("admin", "training")),
        "draft_report": state("Draft report", edit=("admin", "training")),
        "final_report": state("Final report agreed by the partners", edit=("admin", "training")),
        "published": state("Published", view=ALL, edit=("admin",)),
        "on_request": state("Available on request", edit=("admin",)),
    },
    "transitions": [
        transition("start_review", "commissioned", "in_progress", ("admin", "training", "chair"),
                   "Start the review"),
        transition("send_draft", "in_progress", "draft_report", ("admin", "training"),
                   "Draft report ready", guard="has_findings"),
        transition("agree_final", "draft_report", "final_report", ("admin", "chair"),
                   "Final report agreed"),
        transition("send_back", ("draft_report", "final_report"), "in_progress",
                   ("admin", "chair"), "Send back for revision", comment=True),
        transition("publish", ("final_report", "on_request"), "published", ("admin", "chair"),
                   "Publish", effects=("start_publication_window",)),
        transition("end_publication", "published", "on_request", ("admin",),
                   "Move to available on request", guard="publication_window_over"),
    ],
    "worklists": {
        "training": ("commissioned", "in_progress", "draft_report"),
        "chair": ("draft_report", "final_report"),
    },
}

WORKFLOWS = {
    "review": REVIEW,
    "action_plan": ACTION_PLAN,
    "action": ACTION,
    "audit": AUDIT,
    "referral": REFERRAL,
    "information_request": INFORMATION_REQUEST,
    "pdc_review": PDC_REVIEW,
    "meeting": MEETING,
}
