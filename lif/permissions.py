"""Who may see and change what: the workflow's per-state roles plus agency scope.

Every door asks here. ``view_filter`` turns the same rules into a database query, so lists,
search, exports and the API never fetch what the user may not read.
"""

from __future__ import annotations

from config.roles import AGENCY_SCOPE, CREATE, MENUS, PERSONAL_DATA_ROLES
from config.workflows import WORKFLOWS

from .errors import PermissionDenied


def roles_of(user) -> tuple[str, ...]:
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    return tuple(getattr(user, "roles", ()) or ())


def is_admin(user) -> bool:
    return "admin" in roles_of(user)


def _state_roles(type_key: str, state: str, kind: str) -> tuple[str, ...]:
    states = WORKFLOWS[type_key]["states"]
    return states.get(state, {}).get(kind, ())


def _scope_allows(user, role: str, type_key: str, item, *, for_edit: bool) -> bool:
    scope = AGENCY_SCOPE.get((role, type_key))
    if scope is None:
        return True
    value = getattr(item, scope["field"], None)
    if not value:
        return scope["shared_when_empty"] and not for_edit
    return bool(getattr(user, "agency", None)) and value == user.agency


def _granted(user, item, kind: str) -> bool:
    if is_admin(user):
        return True
    if getattr(item, "trashed", False):
        return False
    allowed = _state_roles(item.type_key, item.state, kind)
    return any(
        role in allowed and _scope_allows(user, role, item.type_key, item, for_edit=kind == "edit")
        for role in roles_of(user)
    )


def can_view(user, item) -> bool:
    return _granted(user, item, "view")


def can_edit(user, item) -> bool:
    return _granted(user, item, "edit")


def require_view(user, item) -> None:
    if not can_view(user, item):
        raise PermissionDenied("You may not see this item.")


def require_edit(user, item) -> None:
    if not can_edit(user, item):
        raise PermissionDenied("You may not change this item in its current state.")


def role_may_fire(user, role: str, item) -> bool:
    """Whether ``role`` (held by ``user``) reaches ``item`` under its agency scope."""
    return role in roles_of(user) and _scope_allows(user, role, item.type_key, item, for_edit=True)


def can_create(user, type_key: str, agency: str | None = None) -> bool:
    """Whether ``user`` may create an item of ``type_key`` (for ``agency``, when scoped)."""
    if is_admin(user):
        return True
    for role in roles_of(user):
        if role not in CREATE.get(type_key, ()):
            continue
        scope = AGENCY_SCOPE.get((role, type_key))
        if scope is None or (agency and agency == getattr(user, "agency", None)):
            return True
    return False


def creatable_types(user) -> set[str]:
    return {key for key in CREATE if can_create(user, key, getattr(user, "agency", None))}


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
    # Group the states each role may view by the agency scope that role brings.
    by_scope: dict[tuple, set[str]] = {}
    for role in roles_of(user):
        visible = {name for name, spec in states.items() if role in spec["view"]}
        if not visible:
            continue
        scope = AGENCY_SCOPE.get((role, type_key))
        key: tuple = ()
        if scope is not None:
            agency = getattr(user, "agency", None)
            allowed = ((agency,) if agency else ()) + ((None, "") if scope["shared_when_empty"]
                                                       else ())
            if not allowed:
                continue
            key = (scope["field"], allowed)
        by_scope.setdefault(key, set()).update(visible)
    if not by_scope:
        return None
    clauses = []
    for key, visible in by_scope.items():
        clause: dict = {}
        if set(visible) != set(states):
            clause["state"] = {"$in": sorted(visible)}
        if key:
            field, allowed = key
            clause[field] = allowed[0] if len(allowed) == 1 else {"$in": list(allowed)}
        clauses.append(clause)
    unscoped = by_scope.get(())
    if unscoped is not None and set(unscoped) == set(states):
        return base  # one role already sees every item in every state
    if len(clauses) == 1:
        return {**base, **clauses[0]}
    return {**base, "$or": clauses}


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


def can_see_personal(user, referral) -> bool:
    """Children's and families' details: admin, chair, and CIEC members of agencies involved."""
    roles = roles_of(user)
    if "admin" in roles or "chair" in roles:
        return True
    if "ciec" in roles and "ciec" in PERSONAL_DATA_ROLES:
        agency = getattr(user, "agency", None)
        involved = {referral.agency, *(referral.agencies or [])}
        return bool(agency) and agency in involved
    return False


def can_use_menu(user, menu: str) -> bool:
    return is_admin(user) or any(role in MENUS.get(menu, ()) for role in roles_of(user))
