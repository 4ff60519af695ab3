"""The shape of every framework's workflows: Plone's workflow definitions as plain data.

Each framework's ``workflows.py`` builds its workflows with :func:`state` and
:func:`transition`, so ``lif/workflow.py`` and ``lif/policy.py`` read one shape whatever the
framework.

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
