"""Who may do what to which item: the one policy every door reaches through the services.

``decide(user, operation, item, ...)`` answers one question and says why when the answer is
no; ``require`` raises :class:`~lif.errors.PermissionDenied` with that reason and ``allows``
is the yes or no a page needs to show a button. The rules are data: the per-state rights of
``config/workflows.py`` (view, edit, trash, add, and who fires each transition) and
``config/roles.py`` (creation, scope, fields only some roles set, personal data). Changes are
judged on the item before *and* after them: a lead may not move their action into another
agency's list, nor put one into a plan that does not take it from them.

``view_filter`` turns the view rule into a database query (lists, search, exports and the
API never fetch what the user may not read), and ``item_principals``/``user_principals`` into
the search index's access lists. Operations:

- ``view``, ``view_personal`` (children's and families' details), ``export`` and
  ``download`` read;
- ``create`` (the new item as built), ``edit`` (before, ``after=`` the item as it will be),
  ``trash``, ``restore``, ``purge``, ``fire`` (``transition=``, and ``fields=`` it records),
  ``record`` (a decision recorded on the item without a transition, ``what=``: a PDC
  verdict, a Section 11 panel outcome), ``add_to`` (an item placed in this container),
  ``import_into`` and ``answer_for`` (an agency's return in an audit, ``agency=``) change.

Decisions belong to the role the source gives them to. ``override=True`` asks whether the
person may record one in that role's place (config: a transition's ``override``,
``DECISIONS[...]["override"]``); the service then insists on a reason and records the
override (:func:`in_place_of` names whose decision it was).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from config.roles import (
    AUDIT_ANSWERS,
    CONTAINERS,
    CREATE,
    DECIDING_BODY,
    DECISIONS,
    FIELDS,
    GUARD_OVERRIDE,
    LOCAL_ROLES,
    MENUS,
    PERSONAL_DATA,
    ROLES,
    SCOPE,
)
from config.workflows import WORKFLOWS

from .errors import PermissionDenied
from .models import CONTENT_TYPES

OPERATIONS = ("view", "view_personal", "export", "download", "create", "edit", "trash",
              "restore", "purge", "fire", "record", "add_to", "import_into", "answer_for")


@dataclass(frozen=True)
class Decision:
    """The policy's answer: allowed or not, and the reason a person is shown when not."""

    allowed: bool
    reason: str = ""
    field: str | None = None  # the field that made the difference, when one did

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def _deny(reason: str, field: str | None = None) -> Decision:
    return Decision(False, reason, field)


# --- who the user is -------------------------------------------------------------------------


def roles_of(user) -> tuple[str, ...]:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    return tuple(getattr(user, "roles", ()) or ())


def is_admin(user) -> bool:
    return "admin" in roles_of(user)


def _role_names(roles: Iterable[str]) -> str:
    """"the CIEC chair or the business manager", from the role keys (admin always last)."""
    names = [ROLES.get(role, role) for role in roles if role != "admin"]
    names.append(ROLES["admin"])
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


# --- scope and state rights ------------------------------------------------------------------


def _in_scope(user, role: str, item, *, reading: bool, adding: bool = False) -> bool:
    """Whether ``role`` (held by ``user``) reaches ``item`` under its scope.

    :param adding: for putting an item into ``item`` (a plan): a shared container (empty
        field, ``shared_when_empty``) takes items from everyone in that role.
    """
    scope = SCOPE.get((role, item.type_key))
    if scope is None:
        return True
    mode = scope.get("view", "scoped")
    if adding:
        reading = mode == "shared_when_empty"
    if reading and mode == "all":
        return True
    values = scope_values(item, scope)
    if not values:
        return reading and mode == "shared_when_empty"
    match = scope["match"]
    if match == "agency":
        mine = getattr(user, "agency", None)
        return bool(mine) and mine in values
    if match == "email":
        mine = (getattr(user, "email", "") or "").lower()
        return bool(mine) and mine in {str(v).lower() for v in values}
    return bool(set(values) & set(match))


def _scope_fields(scope: dict) -> tuple[str, ...]:
    field = scope["field"]
    return (field,) if isinstance(field, str) else tuple(field)


def scope_values(item, scope: dict) -> list:
    """The values of ``item``'s scope fields (list fields give each element)."""
    values = []
    for name in _scope_fields(scope):
        value = getattr(item, name, None)
        values.extend(v for v in (value if isinstance(value, list | tuple) else [value]) if v)
    return values


def _local_roles(user, item) -> list[str]:
    """The local roles ``user`` holds on ``item`` (its named lead, ...)."""
    email = (getattr(user, "email", "") or "").lower()
    if not email:
        return []
    return [name for name, field in LOCAL_ROLES.get(item.type_key, {}).items()
            if str(getattr(item, field, "") or "").lower() == email]


def _state_roles(item, right: str) -> tuple[str, ...]:
    states = WORKFLOWS[item.type_key]["states"]
    return states.get(item.state, {}).get(right, ())


def _holds(user, item, right: str, *, reading: bool = False) -> bool:
    """Whether ``user`` has ``right`` (view, edit, trash, add) on ``item`` in its state."""
    if is_admin(user):
        return True
    if getattr(item, "trashed", False):
        return False
    allowed = _state_roles(item, right)
    return any(role in allowed and _in_scope(user, role, item, reading=reading,
                                             adding=right == "add")
               for role in roles_of(user)) or any(
        role in allowed for role in _local_roles(user, item))


# --- personal data ---------------------------------------------------------------------------


def personal_subject(item):
    """The item whose people ``item``'s personal data is about (a request's referral), or None.

    A model marks its personal fields with ``personal=True``; one whose personal data is
    another item's names that item in ``personal_via``.
    """
    if item is None:
        return None
    via = getattr(type(item), "personal_via", None)
    if via:
        return personal_subject(getattr(item, via, None))
    return item if personal_fields(type(item)) else None


def personal_fields(model) -> tuple[str, ...]:
    """The fields of ``model`` marked ``personal=True``."""
    return tuple(name for name, field in getattr(model, "_fields", {}).items()
                 if getattr(field, "personal", False))


def involved_agencies(item) -> set[str]:
    """The agencies involved in a referral: the referring agency and those added to it."""
    return {a for a in (getattr(item, "agency", None), *(getattr(item, "agencies", None) or ()))
            if a}


def _sees_personal(user, subject) -> bool:
    for role in roles_of(user):
        reach = PERSONAL_DATA.get(role)
        if reach == "all":
            return True
        if reach == "involved":
            agency = getattr(user, "agency", None)
            if agency and agency in involved_agencies(subject):
                return True
    return False


# --- the questions ---------------------------------------------------------------------------


def decide(
    user,
    operation: str,
    item=None,
    *,
    type_key: str | None = None,
    after=None,
    changed: Iterable[str] | None = None,
    transition: str | None = None,
    fields: Iterable[str] = (),
    agency: str | None = None,
    what: str | None = None,
    override: bool = False,
) -> Decision:
    """Decide whether ``user`` may do ``operation`` to ``item``.

    :param type_key: for a question about a type rather than an item ("may they create
        actions at all?", "export the list of referrals?").
    :param after: for ``edit``, the item as it will be after the change.
    :param changed: for ``edit``, the fields the change touches (default: every field that
        differs between ``item`` and ``after``).
    :param transition: for ``fire``, the transition's name.
    :param fields: for ``fire``, the fields written with the transition.
    :param agency: for ``answer_for``, the agency whose return it is.
    :param what: for ``record``, which decision (a key of ``config.roles.DECISIONS``).
    :param override: for ``fire`` and ``record``, whether the person records the decision in
        the place of those it belongs to (allowed to the transition's or decision's
        ``override`` roles; the caller must record the reason).
    """
    if operation not in OPERATIONS:
        raise ValueError(f"Unknown operation '{operation}'.")
    if not roles_of(user):
        return _deny("Sign in first.")
    check = _CHECKS[operation]
    return check(user, item, type_key=type_key or getattr(item, "type_key", None), after=after,
                 changed=changed, transition=transition, fields=tuple(fields), agency=agency,
                 what=what, override=override)


def allows(user, operation: str, item=None, **kwargs) -> bool:
    return decide(user, operation, item, **kwargs).allowed


def require(user, operation: str, item=None, **kwargs) -> None:
    """Raise :class:`PermissionDenied` with the policy's reason unless it allows."""
    decision = decide(user, operation, item, **kwargs)
    if not decision:
        raise PermissionDenied(decision.reason, field=decision.field)


def _view(user, item, *, type_key=None, **_) -> Decision:
    if item is None:
        return _export(user, None, type_key=type_key)
    if getattr(item, "trashed", False) and not is_admin(user):
        return _deny("This item is in the trash.")
    if _holds(user, item, "view", reading=True):
        return ALLOW
    return _deny("You may not see this item.")


def _view_personal(user, item, **kw) -> Decision:
    seen = _view(user, item, **kw)
    if not seen:
        return seen
    subject = personal_subject(item)
    if subject is None or is_admin(user) or _sees_personal(user, subject):
        return ALLOW
    return _deny("Children's and families' details are shown only to those the referral "
                 "involves.")


def _export(user, item, *, type_key, **_) -> Decision:
    if view_filter(user, type_key) is None:
        return _deny("You may not see these items.")
    return ALLOW


def _download(user, item, **kw) -> Decision:
    return _view(user, item, **kw)


def _field_rule(user, type_key: str, name: str, *, creating: bool) -> Decision:
    rule = FIELDS.get((type_key, name))
    if rule is None or is_admin(user) or (creating and not rule.get("on_create", True)):
        return ALLOW
    if any(role in rule["roles"] for role in roles_of(user)):
        return ALLOW
    return _deny(f"Only the {_role_names(rule['roles'])} can set '{name}'.", name)


def recorded_fields(type_key: str) -> dict[str, str]:
    """``{field: transition label}`` of the fields only a transition writes: nobody sets
    them by creating or editing the item, not even an administrator."""
    return {name: spec["label"] for spec in WORKFLOWS[type_key]["transitions"]
            for name in spec["records"]}


def _container_takes(user, item, **_) -> Decision:
    """``add_to``: whether ``item`` (a container, such as a plan) takes new items from ``user``."""
    if _holds(user, item, "add"):
        return ALLOW
    state = WORKFLOWS[item.type_key]["states"].get(item.state, {}).get("title", item.state)
    return _deny(f"'{item}' does not take new items from you in its state '{state}'.")


def _into_container(user, item, *, moving: bool) -> Decision:
    spec = CONTAINERS.get(item.type_key)
    if spec is None:
        return ALLOW
    container = getattr(item, spec["field"], None)
    if container is None:
        return ALLOW  # validation says the field is required
    if not hasattr(container, "type_key"):  # a bare reference: judge the item it names
        model = CONTENT_TYPES[spec["type"]]
        container = model.objects(pk=getattr(container, "id", container)).first()
        if container is None:
            return _deny(f"No such {model.type_label.lower()}.", spec["field"])
    if not _view(user, container):
        return _deny(f"You may not see the {container.type_label.lower()} chosen.")
    decision = _container_takes(user, container)
    if not decision and moving:
        return _deny(f"You may not move this {item.type_label.lower()} there: "
                     f"{decision.reason}", spec["field"])
    return decision if decision else _deny(decision.reason, spec["field"])


def _create(user, item, *, type_key, **_) -> Decision:
    roles = [r for r in roles_of(user) if r in CREATE.get(type_key, ())]
    noun = type_key.replace("_", " ")
    label = f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
    if not roles and not is_admin(user):
        return _deny(f"You may not create {label}.")
    if item is None:
        return ALLOW
    if not is_admin(user) and not any(_in_scope(user, r, item, reading=False) for r in roles):
        return _deny(f"You may not create {label} for another agency or committee.")
    for name, by in recorded_fields(type_key).items():
        if getattr(item, name, None) not in (None, "", []):
            return _deny(f"'{name}' is recorded with '{by}', not when the item is made.", name)
    for (key, name) in FIELDS:
        if key == type_key and getattr(item, name, None) not in (None, "", []):
            decision = _field_rule(user, type_key, name, creating=True)
            if not decision:
                return decision
    return _into_container(user, item, moving=False)


def _differences(before, after) -> set[str]:
    old, new = before.to_mongo().to_dict(), after.to_mongo().to_dict()
    names = {after._reverse_db_field_map.get(k, k) for k in set(old) | set(new)
             if old.get(k) != new.get(k)}
    return names - {"id", "_id"}


def _edit(user, item, *, type_key, after=None, changed=None, **_) -> Decision:
    if not _holds(user, item, "edit"):
        return _deny("You may not change this item in its current state.")
    subject = personal_subject(item)
    if subject is not None and not is_admin(user) and not _sees_personal(user, subject):
        # A form without the child's details, saved, would overwrite them: who changes an
        # item about a child is someone the referral involves.
        return _deny("Only those the referral involves may change it.")
    if after is None:
        return ALLOW
    changes = set(changed) if changed is not None else _differences(item, after)
    recorded = recorded_fields(type_key)
    touched = sorted(changes & set(recorded))
    if touched:
        name = touched[0]
        return _deny(f"'{name}' is recorded with '{recorded[name]}', not by editing.", name)
    if is_admin(user):
        return ALLOW
    for name in sorted(changes):
        decision = _field_rule(user, type_key, name, creating=False)
        if not decision:
            return decision
    if not _holds(user, after, "edit"):
        scoped = {name for r in roles_of(user) if (r, type_key) in SCOPE
                  for name in _scope_fields(SCOPE[(r, type_key)])}
        return _deny("After this change you could no longer change it: it would belong to "
                     "another agency or committee.", next(iter(sorted(scoped & changes)), None))
    container = CONTAINERS.get(type_key)
    if container and container["field"] in changes:
        return _into_container(user, after, moving=True)
    return ALLOW


def _trash(user, item, **_) -> Decision:
    if _holds(user, item, "trash"):
        return ALLOW
    return _deny("You may not move this item to the trash.")


def _admin_only(what: str):
    def check(user, item, **_) -> Decision:
        return ALLOW if is_admin(user) else _deny(f"Only an administrator can {what}.")
    return check


def may_override_guards(user) -> bool:
    """Whether ``user`` may pass a failing guard (giving the reason)."""
    return any(role in GUARD_OVERRIDE for role in roles_of(user))


def transition_spec(type_key: str, name: str) -> dict | None:
    for spec in WORKFLOWS[type_key]["transitions"]:
        if spec["name"] == name:
            return spec
    return None


def may_fire_as(user, role: str, item) -> bool:
    """Whether ``role``, held by ``user``, reaches ``item`` for a change (its scope)."""
    return role in roles_of(user) and _in_scope(user, role, item, reading=False)


def deciding_body(roles: Iterable[str]) -> str:
    """Whose decision the ``roles`` record, in words ("the LSCB Independent Chair")."""
    names = list(dict.fromkeys(DECIDING_BODY.get(r, ROLES.get(r, r)) for r in roles))
    return " or ".join(names)


def _owner_or_override(user, item, spec: dict, label: str, override: bool) -> Decision:
    """Whether ``user`` records what ``spec`` (a transition or a decision rule) gives to its
    ``roles`` — in their own right, or (``override``) in their place."""
    if any(may_fire_as(user, role, item) for role in spec["roles"]):
        return ALLOW
    substitutes = spec.get("override", ())
    if override and any(may_fire_as(user, role, item) for role in substitutes):
        return ALLOW
    if any(role in substitutes for role in roles_of(user)):
        return _deny(f"'{label}' is for {deciding_body(spec['roles'])}: record it in their "
                     "place only as an override, giving the reason.")
    return _deny(f"You may not '{label}' this item.")


def _fire(user, item, *, type_key, transition=None, fields=(), override=False, **_) -> Decision:
    spec = transition_spec(type_key, transition or "")
    if getattr(item, "trashed", False) or spec is None or item.state not in spec["from"]:
        return _deny(f"'{transition}' is not possible from the state '{item.state}'.")
    decision = _owner_or_override(user, item, spec, spec["label"], override)
    if not decision:
        return decision
    extra = sorted(set(fields) - set(spec["records"]))
    if extra:
        return _deny(f"'{spec['label']}' does not record {', '.join(extra)}.")
    return ALLOW


def _record(user, item, *, type_key, what=None, override=False, **_) -> Decision:
    rule = DECISIONS.get((type_key, what or ""))
    if rule is None:
        raise ValueError(f"No decision '{what}' is recorded on a {type_key}.")
    if getattr(item, "trashed", False):
        return _deny("This item is in the trash.")
    if item.state not in rule["states"]:
        state = WORKFLOWS[type_key]["states"].get(item.state, {}).get("title", item.state)
        return _deny(f"'{rule['label']}' is not possible in the state '{state}'.")
    return _owner_or_override(user, item, rule, rule["label"], override)


def decision_owners(type_key: str, what: str) -> tuple[str, ...]:
    """The roles a decision recorded without a transition belongs to (``DECISIONS``)."""
    return DECISIONS[(type_key, what)]["roles"]


def in_place_of(user, operation: str, item, **kwargs) -> tuple[str, ...]:
    """The roles whose decision ``user`` would record only as an override (empty when they
    record it in their own right, or may not at all): what a page asks to show the reason
    box, what a service asks to record the override."""
    if allows(user, operation, item, **kwargs) or not allows(user, operation, item,
                                                            override=True, **kwargs):
        return ()
    if operation == "fire":
        return transition_spec(item.type_key, kwargs["transition"])["roles"]
    return decision_owners(item.type_key, kwargs["what"])


def _import_into(user, item, **kw) -> Decision:
    if any(spec["type"] == item.type_key for spec in CONTAINERS.values()):
        return _container_takes(user, item, **kw)
    return _edit(user, item, **kw)


def _answer_for(user, audit, *, agency=None, **_) -> Decision:
    """An agency's return in an audit: its named lead auditor, or a lead or QAEC member of
    that agency (an administrator: any)."""
    if is_admin(user):
        return ALLOW
    email = (getattr(user, "email", "") or "").lower()
    for named in getattr(audit, "participants", None) or []:
        lead = getattr(named, AUDIT_ANSWERS["named"], "") or ""
        if named.agency == agency and lead and lead.lower() == email:
            return ALLOW
    if agency and getattr(user, "agency", None) == agency and any(
            role in AUDIT_ANSWERS["roles"] for role in roles_of(user)):
        return ALLOW
    return _deny("You do not answer for this agency in this audit.")


_CHECKS = {
    "view": _view,
    "view_personal": _view_personal,
    "export": _export,
    "download": _download,
    "create": _create,
    "edit": _edit,
    "trash": _trash,
    "restore": _admin_only("restore from the trash"),
    "purge": _admin_only("purge"),
    "fire": _fire,
    "record": _record,
    "add_to": _container_takes,
    "import_into": _import_into,
    "answer_for": _answer_for,
}


def fields_not_settable(user, item_or_type) -> set[str] | None:
    """Names of fields a form must not offer ``user`` for this item or type (``None``: the
    user may set every field).

    Fields only a transition records are left out of the generic forms for everyone, and
    fields only some roles set for everyone else; the policy would refuse a change to them
    anyway.
    """
    type_key = getattr(item_or_type, "type_key", item_or_type)
    hidden = set(recorded_fields(type_key))
    if is_admin(user):
        return hidden or None
    creating = isinstance(item_or_type, str)
    for (key, name), _rule in FIELDS.items():
        if key == type_key and not _field_rule(user, key, name, creating=creating):
            hidden.add(name)
    return hidden


# --- the same rules as queries and access lists --------------------------------------------


def view_filter(user, type_key: str) -> dict | None:
    """Return a raw query selecting the items of ``type_key`` that ``user`` may view.

    ``None`` means nothing at all. Trashed items are never included (the trash has its own
    admin-only view). The query is kept as flat as the rules allow (equality and ``$in``
    on indexed fields, no ``$or`` unless two roles reach different items), because a query
    planner can use a compound index for that and not for an ``$or`` (SecantusDB scans).
    """
    base = {"trashed": False}
    if is_admin(user):
        return base
    states = WORKFLOWS[type_key]["states"]
    # Group the states each role may view by the scope that role brings.
    by_scope: dict[tuple, set[str]] = {}
    for role in roles_of(user):
        visible = {name for name, spec in states.items() if role in spec["view"]}
        if not visible:
            continue
        key = _scope_key(user, role, type_key)
        if key is None:
            continue
        by_scope.setdefault(key, set()).update(visible)
    email = getattr(user, "email", None)
    for name, field in LOCAL_ROLES.get(type_key, {}).items():
        visible = {state for state, spec in states.items() if name in spec["view"]}
        if visible and email:
            by_scope.setdefault(((field,), (email,)), set()).update(visible)
    if not by_scope:
        return None
    unscoped = by_scope.get(())
    if unscoped is not None and set(unscoped) == set(states):
        return base  # one role already sees every item in every state
    clauses = []
    for key, visible in by_scope.items():
        clause: dict = {}
        if set(visible) != set(states):
            clause["state"] = {"$in": sorted(visible)}
        if key:
            fields, allowed = key
            value = allowed[0] if len(allowed) == 1 else {"$in": list(allowed)}
            if len(fields) == 1:
                clause[fields[0]] = value
            else:
                clause = and_query(clause, {"$or": [{name: value} for name in fields]})
        clauses.append(clause)
    if len(clauses) == 1:
        return {**base, **clauses[0]}
    return {**base, "$or": clauses}


def _scope_key(user, role: str, type_key: str) -> tuple | None:
    """``()`` for an unscoped read, ``(field, values)`` for a scoped one, ``None`` for none."""
    scope = SCOPE.get((role, type_key))
    if scope is None or scope.get("view", "scoped") == "all":
        return ()
    match = scope["match"]
    if match == "agency":
        mine = getattr(user, "agency", None)
        allowed: tuple = (mine,) if mine else ()
    elif match == "email":
        mine = getattr(user, "email", None)
        allowed = (mine,) if mine else ()
    else:
        allowed = tuple(match)
    if scope.get("view") == "shared_when_empty":
        allowed += (None, "")
    return (_scope_fields(scope), allowed) if allowed else None


def and_query(*parts: dict) -> dict:
    """Combine raw queries with AND, flat when their fields do not overlap (index-friendly)."""
    merged: dict = {}
    rest = []
    for part in parts:
        # A condition already present with the same value adds nothing (a lead's "my agency"
        # on top of the permission filter's own agency scope).
        part = {k: v for k, v in part.items() if not (k in merged and merged[k] == v)}
        if set(part) & set(merged) or "$or" in part and "$or" in merged:
            rest.append(part)
        else:
            merged.update(part)
    return {"$and": [merged, *rest]} if rest else merged


def user_principals(user) -> list[str]:
    """The search index's names for what ``user`` may read (see :func:`item_principals`)."""
    roles = roles_of(user)
    agency = getattr(user, "agency", None)
    email = (getattr(user, "email", "") or "").lower()
    result = [f"role:{r}" for r in roles]
    if agency:
        result += [f"role:{r}@{agency}" for r in roles]
    if email:
        result += [f"role:{r}={email}" for r in roles]
        result += [f"local:{name}={email}" for name in sorted(
            {name for spec in LOCAL_ROLES.values() for name in spec})]
    return result


def item_principals(item) -> list[str]:
    """Who may read ``item``, as the index stores it: the view rule of its state and scope."""
    if getattr(item, "trashed", False):
        return []
    result = {"role:admin"}
    viewers = _state_roles(item, "view")
    for name, field in LOCAL_ROLES.get(item.type_key, {}).items():
        value = getattr(item, field, None)
        if name in viewers and value:
            result.add(f"local:{name}={str(value).lower()}")
    for role in viewers:
        if role in {n for spec in LOCAL_ROLES.values() for n in spec}:
            continue
        scope = SCOPE.get((role, item.type_key))
        if scope is None or scope.get("view", "scoped") == "all":
            result.add(f"role:{role}")
            continue
        values = scope_values(item, scope)
        if not values:
            if scope.get("view") == "shared_when_empty":
                result.add(f"role:{role}")
        elif scope["match"] == "agency":
            result.update(f"role:{role}@{value}" for value in values)
        elif scope["match"] == "email":
            result.update(f"role:{role}={str(value).lower()}" for value in values)
        elif set(values) & set(scope["match"]):
            result.add(f"role:{role}")
    return sorted(result)


def can_use_menu(user, menu: str) -> bool:
    return is_admin(user) or any(role in MENUS.get(menu, ()) for role in roles_of(user))
