"""Workflows as data, in the shape of Plone's workflow definitions.

Each workflow has an ``initial`` state; ``states`` name, for each state, the roles that may
``view`` and ``edit`` items in it, ``trash`` them (by default those who may edit) and, for a
container such as a plan, ``add`` items to it. ``transitions`` name ``from`` states, the
target ``to``, the ``roles`` that may fire it, an optional ``guard`` (a named check in
``lif/guards.py``), ``effects`` (named steps run after the change, each registered with
``@workflow.effect`` by the service in ``lif/services/`` that owns it), a button ``label``,
whether a ``comment`` is required, and the fields the transition ``records`` (a decision and
its rationale are written with the state, by whoever may fire it, and by no other step: never
by creating or editing the item, whoever asks). ``requires`` names the recorded fields a
person must give when firing it (a decision is recorded only when chosen, never taken from
what is stored): such a transition has its own form on the item's page, not a bare button.
``override`` names roles that may fire it in place of those in ``roles`` — the business
manager recording the Independent Chair's decision while the Chair is away — only with a
reason, which the history, the page, the register and the documents show as an override.
``worklists`` are Plone's review queues: the states in which an item waits for a role.
``admin`` may view, edit and trash everything, but fires only the transitions that list it.
Roles' scope (an agency, a committee) and local roles (an action's named lead, a referral's
referrer) are in ``config/roles.py``.
"""

ALL = ("admin", "lead", "pdc", "qaec", "ciec", "ciec_chair", "chair", "training", "viewer")
STAFF = ("admin", "lead", "pdc", "qaec", "ciec", "ciec_chair", "chair", "training")


def state(title, view=STAFF, edit=("admin",), *, trash=None, add=()):
    return {"title": title, "view": tuple(view), "edit": tuple(edit),
            "trash": tuple(edit if trash is None else trash), "add": tuple(add)}


def transition(name, from_, to, roles, label, *, guard=None, effects=(), comment=False,
               records=(), requires=(), override=()):
    if set(requires) - set(records):
        raise ValueError(f"{name}: a transition requires only fields it records.")
    return {
        "name": name,
        "from": tuple(from_) if isinstance(from_, list | tuple) else (from_,),
        "to": to,
        "roles": tuple(roles),
        "label": label,
        "guard": guard,
        "effects": tuple(effects),
        "comment_required": comment,
        "records": tuple(records),
        "requires": tuple(requires),
        "override": tuple(override),
    }


REVIEW = {
    "title": "Review workflow (LSCB Review - Learning and Improvement - Process Flowchart)",
    "initial": "initiated",
    "states": {
        "initiated": state("Initiated", edit=("admin", "training", "chair")),
        "panel_identified": state(
            "Panel and reviewer identified", edit=("admin", "training", "chair")
        ),
        "systems_review": state("Systems review in progress", edit=("admin", "training")),
        "draft_to_ciec": state("Draft report to CIEC", edit=("admin", "training")),
        "ratified_executive": state("Ratified by Executive Group", edit=("admin", "training")),
        "ratified_lscb": state("Ratified by LSCB", edit=("admin", "training")),
        "published": state("Published", view=ALL, edit=("admin",)),
        "on_request": state("Available on request", edit=("admin",)),
    },
    "transitions": [
        transition(
            "identify_panel", "initiated", "panel_identified", ("admin", "training", "chair"),
            "Panel and reviewer identified",
        ),
        transition(
            "start_systems_review", "panel_identified", "systems_review", ("admin", "training"),
            "Start systems review",
        ),
        transition(
            "send_draft_to_ciec", "systems_review", "draft_to_ciec", ("admin", "training"),
            "Send draft report to CIEC", guard="has_findings",
        ),
        transition(
            "ratify_executive", "draft_to_ciec", "ratified_executive", ("admin", "chair"),
            "Ratified by Executive Group",
        ),
        transition(
            "ratify_lscb", "ratified_executive", "ratified_lscb", ("admin", "chair"),
            "Ratified by LSCB",
        ),
        transition(
            "publish", ("ratified_lscb", "on_request"), "published", ("admin", "chair"),
            "Publish", effects=("start_publication_window",),
        ),
        transition(
            "retract", "published", "ratified_lscb", ("admin",), "Retract",
            guard="publication_window_over", comment=True,
        ),
        transition(
            "end_publication", "published", "on_request", ("admin",),
            "Move to available on request", guard="publication_window_over",
        ),
        transition(
            "send_back", ("draft_to_ciec", "ratified_executive"), "systems_review",
            ("admin", "chair"), "Send back for revision", comment=True,
        ),
    ],
    "worklists": {
        "training": ("initiated", "panel_identified", "systems_review"),
        "chair": ("draft_to_ciec", "ratified_executive", "ratified_lscb"),
        "admin": ("ratified_lscb",),
    },
}

ACTION_PLAN = {
    "title": "Action plan workflow",
    "initial": "draft",
    "states": {
        "draft": state("Draft", edit=("admin", "training", "lead"),
                       add=("admin", "training", "lead", "qaec")),
        "submitted": state("Submitted to Training Officer", edit=("admin", "training"),
                           add=("admin", "training", "qaec")),
        "ratified": state("Ratified (PDC review every six months)", edit=("admin", "training"),
                          add=("admin", "training", "qaec")),
        "closed": state("Closed"),
    },
    "transitions": [
        transition(
            "submit", "draft", "submitted", ("admin", "training", "lead"),
            "Submit to Training Officer", guard="plan_actions_complete",
        ),
        transition(
            "return_to_draft", "submitted", "draft", ("admin", "training"), "Return for changes",
            comment=True,
        ),
        transition(
            "ratify", "submitted", "ratified", ("admin", "training"), "Ratify",
            guard="plan_actions_complete", effects=("schedule_first_pdc_review",),
        ),
        transition(
            "close", "ratified", "closed", ("admin", "training", "pdc"), "Close plan",
            guard="plan_impact_evidenced",
        ),
        transition(
            "reopen", "closed", "ratified", ("admin", "training"), "Reopen", comment=True,
        ),
    ],
    "worklists": {
        "training": ("submitted",),
        "lead": ("draft",),
        "pdc": ("ratified",),
    },
}

# An action's named lead (its ``lead_email``; not necessarily a user) reads it whatever their
# roles: they are told of it, and answer for it.
ACTION_READERS = (*STAFF, "named_lead")

ACTION = {
    "title": "Action workflow (status of one L&I action)",
    "initial": "not_started",
    "states": {
        "not_started": state("Not started", view=ACTION_READERS,
                             edit=("admin", "training", "lead")),
        "in_progress": state("In progress", view=ACTION_READERS,
                             edit=("admin", "training", "lead")),
        "complete": state("Complete", view=ACTION_READERS, edit=("admin", "training", "lead")),
        "verified": state("Verified", view=ACTION_READERS),
        "cancelled": state("Cancelled", view=ACTION_READERS),
    },
    "transitions": [
        transition(
            "start", "not_started", "in_progress", ("admin", "training", "lead"), "Start",
        ),
        transition(
            "complete", ("not_started", "in_progress"), "complete",
            ("admin", "training", "lead"), "Mark complete", effects=("record_completion",),
        ),
        transition(
            "verify", "complete", "verified", ("admin", "training", "pdc"),
            "Verify impact", guard="action_has_evidence",
        ),
        transition(
            "reopen", ("complete", "verified"), "in_progress", ("admin", "training", "pdc"),
            "Reopen", comment=True, effects=("clear_completion",),
        ),
        transition(
            "cancel", ("not_started", "in_progress", "complete"), "cancelled",
            ("admin", "training"), "Cancel", comment=True,
        ),
        transition(
            "restore", "cancelled", "in_progress", ("admin", "training"), "Restore",
        ),
    ],
    "worklists": {
        "lead": ("not_started", "in_progress"),
        "pdc": ("complete",),
    },
}

AUDIT = {
    "title": "Audit workflow (Quality and Audit Evidence Committee)",
    "initial": "planned",
    "states": {
        "planned": state("Planned", edit=("admin", "qaec")),
        "sampling": state("Sampling", edit=("admin", "qaec")),
        "fieldwork": state("Fieldwork (audit tools out)", edit=("admin", "qaec")),
        "findings": state("Findings", edit=("admin", "qaec")),
        "reported": state("Reported to LSCB", edit=("admin", "qaec")),
        "actions_agreed": state("Actions agreed", edit=("admin", "qaec")),
        "closed": state("Closed"),
    },
    "transitions": [
        transition("start_sampling", "planned", "sampling", ("admin", "qaec"), "Start sampling"),
        transition(
            "start_fieldwork", "sampling", "fieldwork", ("admin", "qaec"), "Send audit tools",
        ),
        transition(
            "record_findings", "fieldwork", "findings", ("admin", "qaec"), "Record findings",
        ),
        transition(
            "report", "findings", "reported", ("admin", "qaec"), "Report to LSCB",
            guard="has_findings",
        ),
        transition(
            "agree_actions", "reported", "actions_agreed", ("admin", "qaec"), "Actions agreed",
        ),
        transition("close", "actions_agreed", "closed", ("admin", "qaec"), "Close audit"),
        transition(
            "reopen", ("findings", "reported"), "fieldwork", ("admin", "qaec"), "Reopen",
            comment=True,
        ),
    ],
    "worklists": {"qaec": ("planned", "sampling", "fieldwork", "findings")},
}

PERSONAL = ("admin", "ciec", "ciec_chair", "chair")
# The referrer follows their own referral and its outcome (not the child's details: those
# are for the roles above, config/roles.py PERSONAL_DATA).
REFERRAL_READERS = (*PERSONAL, "referrer")

REFERRAL = {
    "title": "Referral workflow (CIEC process flowchart, steps 2-9)",
    "initial": "submitted",
    "states": {
        "submitted": state("Submitted (CIGSCR1)", view=REFERRAL_READERS,
                           edit=("admin", "ciec", "ciec_chair"), trash=("admin",)),
        "declined": state("Declined at intake", view=REFERRAL_READERS),
        "accepted": state("Accepted for CIEC", view=REFERRAL_READERS,
                          edit=("admin", "ciec_chair"), trash=("admin",)),
        "considered": state("Considered by CIEC", view=REFERRAL_READERS,
                            edit=("admin", "ciec", "ciec_chair"), trash=("admin",)),
        "decided": state("Decided by Independent Chair", view=REFERRAL_READERS),
        "closed": state("Closed", view=REFERRAL_READERS),
    },
    "transitions": [
        transition(
            "accept", "submitted", "accepted", ("admin", "ciec_chair"),
            "Accept for next CIEC", effects=("issue_information_requests", "notify_referrer"),
        ),
        transition(
            "decline", "submitted", "declined", ("admin", "ciec_chair"), "Decline",
            comment=True, effects=("record_decline_reason", "notify_referrer"),
        ),
        # "CIEC Recommendation(s) noted" (flowchart step 6): by the committee's members.
        transition(
            "recommend", "accepted", "considered", ("ciec", "ciec_chair"),
            "Record recommendation", guard="has_recommendation",
            records=("recommendation", "recommendation_rationale"),
            requires=("recommendation", "recommendation_rationale"), override=("admin",),
        ),
        # "The final decision on whether to conduct a SCR rests with the LSCB Chair."
        transition(
            "decide", "considered", "decided", ("chair",), "Record Chair's decision",
            guard="has_decision", effects=("record_decision", "notify_referrer"),
            records=("chair_stance", "decision", "decision_rationale", "decided_on",
                     "reviewers"),
            requires=("chair_stance", "decision", "decision_rationale"), override=("admin",),
        ),
        transition("close", "decided", "closed", ("admin",), "Close"),
    ],
    "worklists": {
        "ciec_chair": ("submitted", "accepted"),
        "ciec": ("accepted",),
        "chair": ("considered",),
        "admin": ("submitted", "decided"),
    },
}

INFORMATION_REQUEST = {
    "title": "Request for information (CIGINF1)",
    "initial": "issued",
    "states": {
        "issued": state("Issued", view=PERSONAL, edit=("admin", "ciec"), trash=("admin",)),
        "answered": state("Answered", view=PERSONAL, edit=("admin",)),
        "withdrawn": state("Withdrawn", view=PERSONAL),
    },
    "transitions": [
        transition(
            "answer", "issued", "answered", ("admin", "ciec"), "Send response",
            guard="has_response",
            records=("response", "key_practitioners", "responded_by", "responded_on"),
            requires=("response", "responded_by", "responded_on"),
        ),
        transition("withdraw", "issued", "withdrawn", ("admin",), "Withdraw", comment=True),
    ],
    "worklists": {"ciec": ("issued",)},
}

PDC_REVIEW = {
    "title": "Professional Development Committee six-month review",
    "initial": "scheduled",
    "states": {
        "scheduled": state("Scheduled", edit=("admin", "pdc", "training")),
        "held": state("Held (verdicts recorded)", edit=("admin", "pdc")),
        "closed": state("Closed"),
    },
    "transitions": [
        transition(
            "hold", "scheduled", "held", ("admin", "pdc"), "Record as held",
            guard="has_verdicts", records=("held_on",), requires=("held_on",),
        ),
        transition(
            "close", "held", "closed", ("admin", "pdc"), "Close review",
            effects=("schedule_next_pdc_review",),
        ),
    ],
    "worklists": {"pdc": ("scheduled", "held")},
}

MEETING = {
    "title": "Committee meeting",
    "initial": "planned",
    "states": {
        "planned": state("Planned",
                         edit=("admin", "ciec", "ciec_chair", "pdc", "qaec", "training", "chair")),
        "held": state("Held", edit=("admin",)),
    },
    "transitions": [
        transition(
            "hold", "planned", "held",
            ("admin", "ciec", "ciec_chair", "pdc", "qaec", "training", "chair"), "Record as held",
        ),
    ],
    "worklists": {},
}

# Content type → workflow.
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
