"""The install's statutory framework: chosen at first start, moved on purpose, on record.

The choice is kept in the database (an :class:`InstallSetting`), not only in the
environment: every process of an install (app workers, the scheduler, cron sweeps, commands)
must make new items under the same framework, and a move must be a recorded act (who, when,
from what, to what in the audit trail) rather than a variable that one process started with
and another did not. ``LIF_FRAMEWORK`` names the framework an install starts with; once
chosen, a start with a different ``LIF_FRAMEWORK`` is refused with a message saying how to
move (``flask --app app lif framework --set NAME``), so a typo or a stale environment never
moves an install silently.
"""

from __future__ import annotations

import datetime as dt

from pymongo.errors import DuplicateKeyError

from .. import audit_trail, clock, frameworks
from ..actors import actor_email
from ..frameworks import Framework, FrameworkError
from ..models import CONTENT_TYPES, InstallSetting

KEY = "framework"


def stored() -> str | None:
    """The framework the install chose (``None`` before its first start)."""
    setting = InstallSetting.objects(pk=KEY).first()
    return setting.value if setting else None


def start(requested: str | None, now: dt.datetime | None = None) -> Framework:
    """Make the install's framework the active one in this process, and return it.

    On an install's first start the framework is ``requested`` (``LIF_FRAMEWORK``) or the
    default, and is recorded. Later starts use the recorded one.

    :raises FrameworkError: ``requested`` names no framework, or not the install's.
    """
    if requested:
        frameworks.get(requested)  # an unknown name is refused before anything is stored
    current = stored()
    if current is None:
        choice = requested or frameworks.default_name()
        try:
            InstallSetting(key=KEY, value=choice, changed_at=now or clock.now(),
                           changed_by="first start").save(force_insert=True)
        except DuplicateKeyError:
            pass  # another process's first start recorded it at the same moment
        current = stored()
    elif requested and requested != current:
        raise FrameworkError(
            f"LIF_FRAMEWORK is {requested!r} but this install works to {current!r} "
            f"({frameworks.get(current).title}). LIF_FRAMEWORK chooses only at an install's "
            "first start. To move the install, unset LIF_FRAMEWORK, run `flask --app app lif "
            f"framework --set {requested}` (a dry run), then with --yes, and restart.")
    return frameworks.activate(current)


def items_by_framework() -> dict[str, dict[str, int]]:
    """``{framework name: {content type: count}}`` of the items made under each."""
    counts: dict[str, dict[str, int]] = {}
    for type_key, model in CONTENT_TYPES.items():
        for row in model._get_collection().aggregate(
                [{"$group": {"_id": "$framework", "n": {"$sum": 1}}}]):
            name = row["_id"] or frameworks.default_name()
            counts.setdefault(name, {})[type_key] = (
                counts.get(name, {}).get(type_key, 0) + row["n"])
    return counts


def plan_move(name: str) -> dict:
    """Say what moving the install to framework ``name`` changes; change nothing.

    :return: ``{"from", "to", "same", "kept", "workflows", "clocks", "documents"}``: the two
        frameworks, the items that keep the framework they were made under, the content types
        whose new items follow another workflow, the clocks new items gain, lose or count
        differently, and the Word documents offered and no longer offered for new items.
    :raises FrameworkError: no such framework.
    """
    target = frameworks.get(name)
    current = frameworks.get(stored() or frameworks.default_name())
    workflows = [
        {"type": type_key, "from": current.workflows[type_key]["title"],
         "to": target.workflows[type_key]["title"]}
        for type_key in sorted(target.workflows)
        if current.workflows[type_key] != target.workflows[type_key]]
    clocks = {
        "added": sorted(set(target.clocks) - set(current.clocks)),
        "removed": sorted(set(current.clocks) - set(target.clocks)),
        "changed": sorted(k for k in set(target.clocks) & set(current.clocks)
                          if tuple(target.clocks[k]) != tuple(current.clocks[k])),
    }
    documents = {
        "added": [d for d in target.documents if d not in current.documents],
        "removed": [d for d in current.documents if d not in target.documents],
    }
    return {"from": current, "to": target, "same": current.name == target.name,
            "kept": items_by_framework(), "workflows": workflows, "clocks": clocks,
            "documents": documents}


def move(name: str, actor, now: dt.datetime | None = None) -> dict:
    """Move the install to framework ``name``: new items are made under it from now on;
    every item made before keeps its own. Recorded in the audit trail.

    The processes already running keep making items under the old framework until they are
    restarted (each reads the choice when it starts).

    :return: what :func:`plan_move` said.
    :raises FrameworkError: no such framework, or the install already works to it.
    """
    plan = plan_move(name)
    if plan["same"]:
        raise FrameworkError(f"This install already works to {name!r}.")
    now = now or clock.now()
    InstallSetting.objects(pk=KEY).update_one(
        set__value=name, set__changed_at=now, set__changed_by=actor_email(actor), upsert=True)
    audit_trail.record("framework", actor, object_type="install", object_id=KEY,
                       object_title=plan["to"].title,
                       changes={"framework": [plan["from"].name, name]},
                       detail=f"moved from {plan['from'].title} to {plan['to'].title}", at=now)
    frameworks.activate(name)
    return plan
