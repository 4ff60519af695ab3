"""Roles and what each may do outside a workflow state (menus, creation, agency scope).

What a role may do to one item in one state is in ``config/workflows.py``; this module holds
the rest of the permission table. ``lif/permissions.py`` applies both; nothing else decides.
"""

ROLES = {
    "admin": "LSCB Business Manager / Administrator",
    "lead": "Workforce development lead of an agency",
    "pdc": "Professional Development Committee member",
    "qaec": "Quality and Audit Evidence Committee member",
    "ciec": "Critical Incident Evidence Committee member",
    "chair": "LSCB Independent Chair",
    "training": "LSCB Training Officer",
    "viewer": "Reader of published learning",
}

# Roles that only make sense with an agency: a user holding one must have an agency.
AGENCY_ROLES = ("lead", "ciec")

# Which roles may create items of each content type (admin always may).
CREATE = {
    "review": ("training", "ciec", "chair"),
    "audit": ("qaec",),
    "action_plan": ("training", "lead"),
    "action": ("training", "lead"),
    "pdc_review": ("pdc", "training"),
    "referral": ("ciec", "lead"),
    "information_request": (),
    "meeting": ("ciec", "pdc", "qaec", "training", "chair"),
}

# Agency scope: for these (role, content type) pairs the role reaches only items whose
# ``field`` is the user's agency. ``shared_when_empty`` lets the role *read* items that
# belong to no single agency (a multi-agency plan holds every agency's actions).
AGENCY_SCOPE = {
    ("lead", "action"): {"field": "agency", "shared_when_empty": False},
    ("lead", "action_plan"): {"field": "agency", "shared_when_empty": True},
    ("ciec", "information_request"): {"field": "agency", "shared_when_empty": False},
}

# Restricted personal data (children and families in referrals) is shown to these roles;
# a `ciec` member additionally only for referrals that involve their agency.
PERSONAL_DATA_ROLES = ("admin", "chair", "ciec")

# Admin menu areas and the roles that see each (admin sees all).
MENUS = {
    "Action plans": ("lead", "training", "pdc", "qaec", "ciec", "chair", "viewer"),
    "Reviews & learning": ("lead", "training", "pdc", "qaec", "ciec", "chair", "viewer"),
    "Audits": ("qaec", "training", "pdc", "chair", "lead"),
    "CIEC": ("ciec", "chair"),
    "Committees": ("pdc", "qaec", "ciec", "chair", "training"),
    "Administration": (),
}
