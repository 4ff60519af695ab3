"""The workflow engine: apply the workflows declared in ``config/workflows.py``.

``available_transitions(item, user)`` lists what a user may fire now; ``fire(...)`` changes
the state in one atomic, version-checked update, records the transition on the item and in
the audit trail, stores a version and runs the transition's effects. Anything else is
refused: a transition that does not start from the current state, a role that may not fire
it, an agency outside the user's scope, a failing guard, a missing comment.

Guards are named checks in ``lif/guards.py``. Effects belong to the services that own what
they change: each registers its own with ``@workflow.effect("name")``, as a blueprint
registers with an app, so the engine never imports a service (importing ``lif.services``
registers them all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pymongo import ReturnDocument

from config.workflows import WORKFLOWS

from . import audit_trail, clock, events, guards, policy, versioning
from .actors import actor_email
from .edits import preview
from .errors import Conflict, GuardFailed, InvalidInput
from .models import WorkflowEntry
from .models.base import Content

Effect = Callable[[Content, object, dt.datetime], object]
_effects: dict[str, Effect] = {}


def effect(name: str) -> Callable[[Effect], Effect]:
    """Register the decorated function as the effect ``name`` of ``config/workflows.py``.

    It is called as ``func(item, actor, now)`` after the transition is stored.
    :raises ValueError: another function already has that name.
    """
    def register(func: Effect) -> Effect:
        known = _effects.get(name)
        if known is not None and (known.__module__, known.__qualname__) != (
                func.__module__, func.__qualname__):
            raise ValueError(f"Two workflow effects are named {name!r}: "
                             f"{known.__module__}.{known.__qualname__} and "
                             f"{func.__module__}.{func.__qualname__}.")
        _effects[name] = func
        return func
    return register


def registered_effects() -> dict[str, Effect]:
    """Return ``{name: function}`` of every registered effect."""
    return dict(_effects)


def _run_effect(name: str, item: Content, actor, now: dt.datetime) -> None:
    func = _effects.get(name)
    if func is None:
        raise LookupError(f"No workflow effect {name!r} is registered: the service that owns "
                          "it registers it with @workflow.effect (import lif.services).")
    func(item, actor, now)


def workflow_of(item_or_key) -> dict:
    key = item_or_key if isinstance(item_or_key, str) else item_or_key.type_key
    return WORKFLOWS[key]


def initial_state(type_key: str) -> str:
    return WORKFLOWS[type_key]["initial"]


def state_title(item: Content) -> str:
    return title_of_state(item.type_key, item.state)


def title_of_state(type_key: str, state: str) -> str:
    """The title of ``state`` in the workflow of ``type_key`` (a history entry's states)."""
    return WORKFLOWS[type_key]["states"].get(state, {}).get("title", state)


def next_steps(item: Content) -> list[dict]:
    """The transitions the workflow offers from ``item``'s state, whoever may fire them:
    each with its ``label``, the state it leads to (``to_title``) and the ``roles`` that
    fire it (what a page says happens next to someone who cannot take the step)."""
    if getattr(item, "trashed", False):
        return []
    spec = workflow_of(item)
    return [{**t, "to_title": title_of_state(item.type_key, t["to"])}
            for t in spec["transitions"] if item.state in t["from"]]


def available_transitions(item: Content, user, now: dt.datetime | None = None) -> list[dict]:
    """The transitions ``user`` may fire on ``item`` now, each with ``blocked`` (a guard's
    reason, or ``None``) so a page can show why a button is disabled."""
    if getattr(item, "trashed", False):
        return []
    result = []
    for spec in workflow_of(item)["transitions"]:
        if not policy.allows(user, "fire", item, transition=spec["name"]):
            continue
        blocked = guards.check(spec["guard"], item, user, now or clock.now())
        result.append({**spec, "blocked": blocked})
    return result


def fire(
    item: Content,
    name: str,
    actor,
    comment: str = "",
    *,
    now: dt.datetime | None = None,
    override: bool = False,
    base_version: int | None = None,
    fields: dict | None = None,
) -> Content:
    """Fire transition ``name`` on ``item`` as ``actor`` and return the updated item.

    :param override: an administrator may pass a failing guard, with a comment as the
        recorded reason (e.g. retracting an SCR inside its 12-month publication window); and
        a role in the transition's ``override`` may fire it in place of those it belongs
        to (the business manager recording the Chair's decision), with the comment as the
        reason: the history entry names whose decision it was (``in_place_of``).
    :param base_version: the version the caller saw; a newer one is a conflict.
    :param fields: values the transition records (its ``records`` in config/workflows.py,
        such as a decision and its rationale), written with the new state in the same
        update: both or neither.
    :raises PermissionDenied: the transition is not available to the actor from this state.
    :raises GuardFailed: the guard refuses; the message says why.
    :raises InvalidInput: a comment is required and missing, a field the transition
        ``requires`` is not given (a decision is recorded only when chosen), or a recorded
        value is wrong.
    :raises Conflict: the item changed meanwhile.
    """
    now = now or clock.now()
    fields = dict(fields or {})
    in_place_of = policy.in_place_of(actor, "fire", item, transition=name,
                                     fields=fields) if override else ()
    if not in_place_of:
        policy.require(actor, "fire", item, transition=name, fields=fields)
    spec = policy.transition_spec(item.type_key, name)
    comment = (comment or "").strip()
    if spec["comment_required"] and not comment:
        raise InvalidInput("A comment is required for this step.", field="comment")
    if in_place_of and not comment:
        raise InvalidInput(f"Give the reason for recording this in place of "
                           f"{policy.deciding_body(in_place_of)}.", field="comment")
    missing = [key for key in spec["requires"] if _blank(fields.get(key))]
    if missing:
        raise InvalidInput(f"'{spec['label']}' records only what is given: "
                           f"{', '.join(key.replace('_', ' ') for key in missing)} missing.",
                           field=missing[0])
    if in_place_of:
        comment = f"In place of {policy.deciding_body(in_place_of)}: {comment}"
    judged = preview(item, fields) if fields else item
    blocked = guards.check(spec["guard"], judged, actor, now)
    if blocked:
        if not (override and policy.may_override_guards(actor)):
            raise GuardFailed(blocked)
        if not comment:
            raise InvalidInput("Give the reason for overriding the guard.", field="comment")
    expected = item.version if base_version is None else base_version
    if expected != item.version:
        raise Conflict(f"This item was changed by {item.modified_by} at {item.modified_at}.")

    entry = WorkflowEntry(
        action=name,
        from_state=item.state,
        to_state=spec["to"],
        actor=actor_email(actor),
        at=now,
        comment=comment + (f" [guard overridden: {blocked}]" if blocked else ""),
        in_place_of=list(in_place_of),
    )
    model = type(item)
    recorded_changes = (versioning.changed_fields(versioning.snapshot(item),
                                                  versioning.snapshot(judged)) if fields else {})
    recorded = {model._fields[key].db_field: value
                for key, value in judged.to_mongo().items() if key in _db_names(model, fields)}
    raw = model._get_collection().find_one_and_update(
        {"_id": item.pk, "state": item.state, "version": expected},
        {
            "$set": {**recorded, "state": spec["to"], "modified_at": now,
                     "modified_by": actor_email(actor)},
            "$push": {"workflow_history": entry.to_mongo()},
            "$inc": {"version": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    if raw is None:
        current = model.objects(pk=item.pk).first()
        who = f"{current.modified_by} at {current.modified_at:%Y-%m-%d %H:%M}" if current else "?"
        raise Conflict(f"This item was changed meanwhile by {who}.", current=current)
    versioning.store(
        model._from_son(raw), actor,
        note=f"{spec['label']}" + (f": {comment}" if comment else ""), at=now,
    )
    item.reload()
    audit_trail.record(
        "transition",
        actor,
        item,
        changes={**recorded_changes, "state": [entry.from_state, entry.to_state]},
        detail=f"{name}" + (f": {entry.comment}" if entry.comment else ""),
        at=now,
    )
    for effect_name in spec["effects"]:
        _run_effect(effect_name, item, actor, now)
    events.content_changed.send(item)
    return item


def _blank(value) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not (
        value.strip() if isinstance(value, str) else value))


def _db_names(model, fields: dict) -> set[str]:
    return {model._fields[name].db_field for name in fields}


def worklist_states(role: str) -> dict[str, tuple[str, ...]]:
    """``{type_key: states}`` in which items wait for ``role`` (Plone's review queue)."""
    return {
        key: tuple(workflow.get("worklists", {}).get(role, ()))
        for key, workflow in WORKFLOWS.items()
        if workflow.get("worklists", {}).get(role)
    }
