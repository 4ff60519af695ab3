"""Roles and what each may do beyond one workflow state: creation, scope, fields, personal data.

What a role may do to one item in one state (view, edit, trash, add to, fire a transition) is
in ``config/workflows.py``; this module holds the rest of the permission table.
``lif/policy.py`` applies both; nothing else decides.
"""

ROLES = {
    "admin": "LSCB Business Manager / Administrator",
    "lead": "Workforce development lead of an agency",
    "pdc": "Professional Development Committee member",
    "qaec": "Quality and Audit Evidence Committee member",
    "ciec": "Critical Incident Evidence Committee member",
    "ciec_chair": "Chair of the Critical Incident Evidence Committee",
    "chair": "LSCB Independent Chair",
    "training": "LSCB Training Officer",
    "viewer": "Reader of published learning",
}

# Roles that only make sense with an agency: a user holding one must have an agency.
AGENCY_ROLES = ("lead", "ciec")

# Which roles may create items of each content type (admin always may). The new item must
# also be within the role's scope (below) and, for an item placed in another (an action in a
# plan), the container must take it (``add`` in the container's workflow state).
CREATE = {
    "review": ("training", "ciec", "chair"),
    "audit": ("qaec",),
    # QAEC turns its audits' recommendations into plans and actions, in new plans or in the
    # agencies' own (config/workflows.py: who adds to a plan in each state).
    "action_plan": ("training", "lead", "qaec"),
    "action": ("training", "lead", "qaec"),
    "pdc_review": ("pdc", "training"),
    # "Any professional can refer a case for review" (the source): every staff role, for
    # their own agency when they have one (scope below).
    "referral": ("lead", "pdc", "qaec", "ciec", "ciec_chair", "chair", "training"),
    "information_request": (),
    "meeting": ("ciec", "ciec_chair", "pdc", "qaec", "training", "chair"),
}

# Scope: for these (role, content type) pairs the role reaches only the items related to the
# user this way. ``field`` is the item's field (or fields: any of them matching will do);
# ``match`` is "agency" (the user's agency), "email" (the user's own items) or a tuple of
# values. ``view`` says how far the scope narrows reading: "scoped" (the default: read only
# what is in scope), "shared_when_empty" (also read items whose field is empty — a
# multi-agency plan holds every agency's actions) or "all" (read everything; the scope
# narrows only creating, changing, trashing and firing transitions). A CIEC member reaches
# the referrals that involve their agency: the referring agency and those added to it.
SCOPE = {
    ("lead", "action"): {"field": "agency", "match": "agency"},
    ("lead", "action_plan"): {"field": "agency", "match": "agency",
                              "view": "shared_when_empty"},
    ("lead", "referral"): {"field": "agency", "match": "agency"},
    ("ciec", "referral"): {"field": ("agency", "agencies"), "match": "agency"},
    ("ciec", "information_request"): {"field": "agency", "match": "agency"},
    ("ciec", "meeting"): {"field": "committee", "match": ("ciec",), "view": "all"},
    ("ciec_chair", "meeting"): {"field": "committee", "match": ("ciec",), "view": "all"},
    ("pdc", "meeting"): {"field": "committee", "match": ("pdc",), "view": "all"},
    ("qaec", "meeting"): {"field": "committee", "match": ("qaec",), "view": "all"},
}

# Local roles (Plone's): a person holds one on an item when the item's ``field`` names them
# (their email), whatever their roles. Workflow states list local roles beside the global ones.
LOCAL_ROLES = {
    "action": {"named_lead": "lead_email"},
    "referral": {"referrer": "referred_by"},
}

# An item that lives inside another: its ``field`` names the container, of ``type``. Creating
# one there, or moving one into it, needs the container's ``add`` right in its state.
CONTAINERS = {
    "action": {"field": "plan", "type": "action_plan"},
}

# Fields only these roles may set or change (admin always may), whatever else the person may
# edit. ``on_create``: the rule applies to a new item's value too (otherwise only to changes:
# a referrer names the referring agency, but only the CIEC chair moves it).
FIELDS = {
    ("referral", "agency"): {"roles": ("ciec_chair",), "on_create": False},
    ("referral", "agencies"): {"roles": ("ciec_chair",), "on_create": True},
    # The committee's verdicts (recorded one by one, DECISIONS below), never by editing.
    ("pdc_review", "verdicts"): {"roles": ("pdc",), "on_create": True},
}

# Whose decision a role records, in words: "recorded by the business manager in place of the
# LSCB Independent Chair".
DECIDING_BODY = {
    "chair": "the LSCB Independent Chair",
    "ciec": "the Critical Incident Evidence Committee",
    "ciec_chair": "the Critical Incident Evidence Committee",
    "pdc": "the Professional Development Committee",
    "qaec": "the Quality and Audit Evidence Committee",
}

# Decisions recorded on an item without moving it through its workflow, and who records each
# (the role the source gives it to): a PDC verdict on one action of the plan under review
# ("reviewed for scrutiny and challenge" by the Professional Development Committee), the
# Section 11 panel's outcome for one agency (the Quality and Audit Evidence Committee).
# ``states``: the item's states in which they are recorded. ``override``: roles that may record
# one in their place, only with a reason, shown as an override wherever the decision is (the
# transitions that record decisions say the same in config/workflows.py).
DECISIONS = {
    ("pdc_review", "verdict"): {
        "label": "Record verdict", "roles": ("pdc",), "states": ("scheduled", "held"),
        "override": ("admin",)},
    ("audit", "section11_outcome"): {
        "label": "Record the panel's outcome", "roles": ("qaec",),
        "states": ("planned", "sampling", "fieldwork", "findings", "reported",
                   "actions_agreed"),
        "override": ("admin",)},
}

# Who answers an agency's return in a multi-agency audit (besides an administrator): the
# participant's named lead auditor (by email), or a user of that agency holding one of
# these roles.
AUDIT_ANSWERS = {"roles": ("lead", "qaec"), "named": "lead_auditor"}

# Personal details of children and families (fields marked ``personal=True`` on the model,
# and the names and dates they hold wherever they appear in text) are shown to these roles:
# "all" for every item, "involved" for items whose referral involves the user's agency.
PERSONAL_DATA = {
    "admin": "all",
    "chair": "all",
    "ciec_chair": "all",
    "ciec": "involved",
}

# Who may pass a failing workflow guard, with a comment as the recorded reason (retracting an
# SCR inside its publication window, say).
GUARD_OVERRIDE = ("admin",)

# Admin menu areas and the roles that see each (admin sees all).
MENUS = {
    "Action plans": ("lead", "training", "pdc", "qaec", "ciec", "ciec_chair", "chair", "viewer"),
    "Reviews & learning": ("lead", "training", "pdc", "qaec", "ciec", "ciec_chair", "chair",
                           "viewer"),
    "Audits": ("qaec", "training", "pdc", "chair", "lead"),
    # Anyone on the staff may refer a case (and follow their own referrals).
    "CIEC": ("lead", "pdc", "qaec", "ciec", "ciec_chair", "chair", "training"),
    "Committees": ("pdc", "qaec", "ciec", "ciec_chair", "chair", "training"),
    "Administration": (),
}
