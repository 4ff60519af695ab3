"""What the JSON API asks of the domain: checked filters, permission-scoped pages, action edits.

Every list is the user's :func:`~lif.policy.view_filter` AND the filters asked for. Each
filter value is checked against what its field can hold (a choice, a known agency, an id, a
date) before it becomes part of a query, so no client text ever reaches the database as an
operator. Pages fetch one item more than asked to know whether a next page exists instead of
counting the collection: a full count scans on the embedded database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bson import ObjectId

from config import taxonomy

from .. import clock, emails, list_pages, policy, values, workflow
from ..dates import read_date
from ..errors import InvalidInput, LIFError, PermissionDenied
from ..models import Action, ActionPlan, Audit, Referral, Review
from ..models.action_plan import ACTION_STATUSES, PLAN_KINDS, SOURCE_KINDS
from ..models.base import Content
from ..search import SearchQueryError
from . import content, plans, reference, searching

PER_PAGE = 20
MAX_PER_PAGE = values.MAX_PER_PAGE
MAX_VALUE = 200
PAGING = ("page", "per_page", "after", "before")

Build = Callable[[str, dt.date], dict]


@dataclass(frozen=True)
class Page:
    """One page of a list: the items, where it is, and the positions of the pages around it
    (``after``: of the next page, ``before``: of the previous one; ``None``: there is none)."""

    items: list
    page: int
    per_page: int
    has_next: bool
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class ListSpec:
    model: type[Content]
    filters: Mapping[str, Build]
    order: tuple[str, ...]


# --- filter builders: each checks one value and returns the raw query clause it stands for ----


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def _choice(param: str, field: str, choices: Sequence[str]) -> Build:
    def build(value: str, today: dt.date) -> dict:
        if value not in choices:
            raise InvalidInput(
                f"Unknown {param} '{_short(value)}' (one of: {', '.join(choices)}).", field=param
            )
        return {field: value}

    return build


def _state(type_key: str, param: str = "state") -> Build:
    return _choice(param, "state", tuple(workflow.states_of_type(type_key)))


def agency_key(value: str, param: str = "agency") -> str:
    """Return ``value`` if it is the key of a known agency.

    :raises InvalidInput: no agency has this key (the message lists the keys).
    """
    names = reference.agency_names()
    if value not in names:
        raise InvalidInput(
            f"Unknown agency '{_short(value)}' (agency keys: {', '.join(sorted(names))}).",
            field=param,
        )
    return value


def _agency(*fields: str) -> Build:
    def build(value: str, today: dt.date) -> dict:
        key = agency_key(value)
        clauses = [{field: key} for field in fields]
        return clauses[0] if len(clauses) == 1 else {"$or": clauses}

    return build


def _object_id(param: str, field: str) -> Build:
    def build(value: str, today: dt.date) -> dict:
        if not ObjectId.is_valid(value):
            raise InvalidInput(f"'{_short(value)}' is not an id.", field=param)
        return {field: ObjectId(value)}

    return build


def _title(value: str, today: dt.date) -> dict:
    # The {"$regex": …} form: a compiled pattern matches nothing on SecantusDB (DESIGN.md).
    return {"title": {"$regex": re.escape(value), "$options": "i"}}


def _rag(value: str, today: dt.date) -> dict:
    if value not in ("red", "amber", "green"):
        raise InvalidInput(f"Unknown rag '{_short(value)}' (red, amber or green).", field="rag")
    return plans.rag_query(value, today)


def _overdue(value: str, today: dt.date) -> dict:
    flags = {"1": True, "true": True, "0": False, "false": False}
    if value.lower() not in flags:
        raise InvalidInput("Give overdue=1 or overdue=0.", field="overdue")
    query = plans.overdue_query(today)
    return query if flags[value.lower()] else {"$nor": [query]}


def _midnight(value: str, param: str) -> dt.datetime:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InvalidInput(f"'{_short(value)}' is not a date (use YYYY-MM-DD).", field=param)
    day = read_date(value, param)
    return dt.datetime.combine(day, dt.time())


def _due_before(value: str, today: dt.date) -> dict:
    return {"due_date": {"$lt": _midnight(value, "due_before")}}


def _due_after(value: str, today: dt.date) -> dict:
    return {"due_date": {"$gte": _midnight(value, "due_after") + dt.timedelta(days=1)}}


def _keys(pairs) -> tuple[str, ...]:
    return tuple(key for key, _ in pairs)


LISTS: dict[str, ListSpec] = {
    "action_plan": ListSpec(
        ActionPlan,
        {
            "kind": _choice("kind", "kind", _keys(PLAN_KINDS)),
            "agency": _agency("agency", "agencies"),
            "state": _state("action_plan"),
            "source": _choice("source", "source_kind", _keys(SOURCE_KINDS)),
            "q": _title,
        },
        ("-modified_at", "-id"),
    ),
    "action": ListSpec(
        Action,
        {
            "agency": _agency("agency"),
            "state": _state("action"),
            "status": _state("action", "status"),
            "plan": _object_id("plan", "plan"),
            "rag": _rag,
            "overdue": _overdue,
            "due_before": _due_before,
            "due_after": _due_after,
            "q": _title,
        },
        ("due_date", "id"),
    ),
    "review": ListSpec(
        Review,
        {
            "review_type": _choice(
                "review_type", "review_type", tuple(t["key"] for t in taxonomy.REVIEW_TYPES)
            ),
            "state": _state("review"),
            "agency": _agency("agencies"),
            "q": _title,
        },
        ("-date", "-id"),
    ),
    "audit": ListSpec(
        Audit,
        {
            "audit_type": _choice("audit_type", "audit_type", _keys(taxonomy.AUDIT_TYPES)),
            "state": _state("audit"),
            "agency": _agency("agencies", "participants.agency"),
            "q": _title,
        },
        ("-date", "-id"),
    ),
    "referral": ListSpec(
        Referral,
        {
            "state": _state("referral"),
            "agency": _agency("agency", "agencies"),
            "q": _title,
        },
        ("-notified_on", "-id"),
    ),
}


def filter_names(type_key: str) -> tuple[str, ...]:
    """The query parameters the list of ``type_key`` takes (besides ``page``, ``per_page``)."""
    return tuple(LISTS[type_key].filters)


def _one(args: Mapping[str, Sequence[str]], name: str) -> str:
    values = list(args.get(name) or [])
    if len(values) > 1:
        raise InvalidInput(f"Give '{name}' once.", field=name)
    value = values[0] if values else ""
    if not isinstance(value, str):
        raise InvalidInput(f"'{name}' must be text.", field=name)
    if len(value) > MAX_VALUE or "\x00" in value:
        raise InvalidInput(f"'{name}' is too long or not text.", field=name)
    return value.strip()




def list_query(
    type_key: str, user, args: Mapping[str, Sequence[str]], *, today: dt.date | None = None
) -> dict:
    """Return the raw query for the filters in ``args``, limited to what ``user`` may view.

    :param args: query parameters, each name mapped to all the values given for it.
    :raises PermissionDenied: the user may see no item of this type at all.
    :raises InvalidInput: an unknown parameter or a value its field cannot hold; ``errors``
        names the parameter.
    """
    spec = LISTS[type_key]
    base = policy.view_filter(user, type_key)
    if base is None:
        raise PermissionDenied(f"You may not see any {spec.model.type_label.lower()}.")
    unknown = sorted(set(args) - set(spec.filters) - set(PAGING))
    if unknown:
        takes = ", ".join((*spec.filters, *PAGING))
        raise InvalidInput(
            f"Unknown parameter '{_short(unknown[0])}' (this list takes: {takes}).",
            errors={name: "Unknown parameter." for name in unknown},
        )
    today = today or clock.today()
    clauses, errors = [base], {}
    for name, build in spec.filters.items():
        try:
            value = _one(args, name)
            if value:
                clauses.append(build(value, today))
        except InvalidInput as error:
            errors.update(error.errors)
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return combine(*clauses)


RANGE_OPERATORS = {"$lt", "$lte", "$gt", "$gte"}


def _merged_value(have, want):
    """Return one condition meaning both ``have`` and ``want`` on a field, else ``None``."""
    if have == want:
        return have
    if isinstance(have, dict) and set(have) == {"$in"} and not isinstance(want, dict):
        return want if want in have["$in"] else None
    if (isinstance(have, dict) and isinstance(want, dict) and set(have) | set(want)
            <= RANGE_OPERATORS and not set(have) & set(want)):
        return {**have, **want}
    return None


def combine(*parts: dict) -> dict:
    """AND raw queries, as one flat document wherever two conditions on a field can be one.

    A filter repeating the permission's condition (a police lead asking for ``agency=police``)
    or narrowing its ``$in`` to one value, and two ends of a date range, merge into one
    condition: a query planner uses a compound index for a flat query, not for ``$and``.
    """
    merged: dict = {}
    rest = []
    for part in parts:
        update = {}
        for key, value in part.items():
            if key not in merged:
                update[key] = value
                continue
            both = None if key.startswith("$") else _merged_value(merged[key], value)
            if both is None:
                break
            update[key] = both
        else:
            merged.update(update)
            continue
        rest.append(part)
    return {"$and": [merged, *rest]} if rest else merged


def list_page(
    type_key: str, user, args: Mapping[str, Sequence[str]], *, today: dt.date | None = None
) -> Page:
    """Return one page of the items of ``type_key`` that ``user`` may view, filtered by ``args``.

    ``per_page`` (1 to 100, default 20) sets the page's length; ``after`` (or ``before``),
    the position a ``next`` (or ``prev``) link carries, says where it starts (or ends), so a
    deep page costs what the first does (:mod:`lif.list_pages`); ``page`` (from 1) counts
    pages from the start instead. ``q`` looks its words up in the search index, as the
    search page does, and the page lists the matches in order of relevance. One item more
    than asked is fetched to tell whether a next page exists; the collection is never
    counted.

    :raises PermissionDenied: the user may see no item of this type at all.
    :raises InvalidInput: see :func:`list_query`; also a bad ``page``, ``per_page`` or
        position.
    """
    errors: dict[str, str] = {}
    page = per_page = 0
    try:
        page = values.read_page(_one(args, "page"))
    except InvalidInput as error:
        errors.update(error.errors)
    try:
        per_page = values.read_per_page(_one(args, "per_page"), PER_PAGE)
    except InvalidInput as error:
        errors.update(error.errors)
    positions = {}
    for name in ("after", "before"):
        try:
            positions[name] = _one(args, name)
        except InvalidInput as error:
            errors.update(error.errors)
    words = ""
    try:
        words = _one(args, "q")
        query = list_query(type_key, user, {k: v for k, v in args.items() if k != "q"},
                           today=today)
    except InvalidInput as error:
        errors = {**error.errors, **errors}
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    spec = LISTS[type_key]
    if words:
        return _search_page(spec, user, words, query, page, per_page, positions)
    after, before = (_position(positions, name) for name in ("after", "before"))
    field, descending = spec.order[0].lstrip("-"), spec.order[0].startswith("-")
    skip = 0 if after or before else (page - 1) * per_page
    found = list_pages.read(spec.model, query, field, descending=descending, after=after,
                            before=before, skip=skip, limit=per_page)
    first = not (after or before or skip)
    return Page(
        list_pages.in_order(spec.model, found.ids, related=False), page, per_page,
        bool(found.ids) and (found.more or before is not None),
        list_pages.encode(found.position(-1)) if found.ids and (
            found.more or before is not None) else None,
        list_pages.encode(found.position(0)) if found.ids and not first and (
            found.more or before is None) else None)


def _position(positions: Mapping[str, str], name: str) -> list_pages.Position | None:
    text = positions.get(name) or ""
    if not text:
        return None
    found = list_pages.decode(text)
    if found is None:
        raise InvalidInput(f"'{name}' is not a position this list gave.", field=name)
    return found


def _search_page(spec: ListSpec, user, words: str, query: dict, page: int, per_page: int,
                 positions: Mapping[str, str]) -> Page:
    """A list's items matching ``words`` (the search index), in order of relevance."""
    ranks = {}
    for name in ("after", "before"):
        text = positions.get(name) or ""
        if text and not re.fullmatch(r"r\d{1,9}", text):
            raise InvalidInput(f"'{name}' is not a position this list gave.", field=name)
        ranks[name] = int(text[1:]) if text else None
    after, before = ranks["after"], ranks["before"]
    if after is None and before is None and page > 1:
        after = (page - 1) * per_page - 1  # counted from the matches, before the filters
    try:
        found = searching.list_matches(user, spec.model, words, query, limit=per_page,
                                       after=after, before=before if after is None else None)
    except SearchQueryError as error:
        raise InvalidInput(str(error), field="q") from None
    return Page(found.items, page, per_page, found.more_after and bool(found.items),
                f"r{found.last_rank}" if found.more_after and found.items else None,
                f"r{found.first_rank}" if found.more_before and found.items else None)


# --- titles of referenced items, fetched once per page rather than once per item ----------------


def reference_id(value) -> str | None:
    """The id held by a reference field read without dereferencing (an id, a DBRef, a doc)."""
    if value is None:
        return None
    return str(getattr(value, "id", None) or getattr(value, "pk", None) or value)


def titles(model: type[Content], ids) -> dict[str, str]:
    """Return ``{id: title}`` for the items of ``model`` with these ids, in one query."""
    wanted = [ObjectId(i) for i in {str(i) for i in ids if i} if ObjectId.is_valid(i)]
    if not wanted:
        return {}
    return {str(item.pk): item.title for item in model.objects(pk__in=wanted).only("title")}


# --- changing an action through the API: check everything, then write ------------------------

EDITABLE_ACTION_FIELDS = ("title", "description", "lead_name", "lead_email", "agency", "due_date")
STATUSES = _keys(ACTION_STATUSES)


def _check_status(action: Action, status: str, actor, comment: str) -> None:
    if status not in STATUSES:
        raise InvalidInput(
            f"Unknown status '{_short(status)}' (one of: {', '.join(STATUSES)}).", field="status"
        )
    try:
        plans.check_status_change(action, status, actor, comment)
    except LIFError as error:
        if not error.errors:  # a refusal by role or guard is about the status asked for
            error.errors["status"] = error.message
        raise


def _clean_changes(action: Action, changes: Mapping[str, object]) -> dict:
    unknown = sorted(set(changes) - set(EDITABLE_ACTION_FIELDS))
    if unknown:
        raise InvalidInput(f"'{unknown[0]}' cannot be changed here.", field=unknown[0])
    data, errors = {}, {}
    for name, value in changes.items():
        if not isinstance(value, str):
            errors[name] = "Give text."
            continue
        value = value.strip()
        if not value:
            # Every editable field is required; an empty string would pass the model's check.
            errors[name] = "This field is required."
            continue
        try:
            if name == "agency":
                value = agency_key(value)
            elif name == "due_date":
                value = read_date(value, "due_date")
            elif name == "lead_email" and not emails.is_email(value):
                raise InvalidInput(f"'{_short(value)}' is not an email address.", field=name)
        except InvalidInput as error:
            errors.update(error.errors)
            continue
        data[name] = value
    plan = action.plan
    agency = data.get("agency")
    if agency and plan is not None and plan.kind == "single_agency" and agency != plan.agency:
        errors.setdefault("agency", "A single-agency plan's actions belong to its agency.")
    if errors:
        raise InvalidInput(next(iter(errors.values())), errors=errors)
    return data


def edit_action(
    action: Action,
    changes: Mapping[str, object],
    actor,
    *,
    base_version: int | None,
    status: str | None = None,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Action:
    """Change ``action``'s fields and, after them, its status, as one request.

    Everything is checked before anything is written, so a refused request stores nothing:
    the version it was based on, the edit right, each value, the item as it would be saved,
    and the status change (reachable for the actor, its guard, its comment). ``comment`` is
    the transition's comment and the change note of the field edit.

    :param changes: new values of :data:`EDITABLE_ACTION_FIELDS`, as text.
    :param base_version: the version the client read; required.
    :raises Conflict: the action is at a newer version; says who changed it and when.
    :raises InvalidInput: a value is wrong (``errors`` names the field).
    :raises PermissionDenied: the actor may not change the action, or not to this status.
    :raises GuardFailed: the workflow's guard refuses the status (e.g. no evidence of impact).
    """
    if isinstance(base_version, bool) or not isinstance(base_version, int):
        raise InvalidInput(
            "Give the version of the action the change is based on.", field="version"
        )
    comment = (comment or "").strip()
    data = _clean_changes(action, changes)
    if data:
        policy.require(actor, "edit", action)
    if base_version != action.version:
        content._raise_conflict(action, base_version)
    if data:
        policy.require(actor, "edit", action, after=content.preview(action, data))
    moving = bool(status) and status != action.state
    if moving:
        _check_status(action, status, actor, comment)
    if data:
        content.update(action, data, actor, base_version=base_version, note=comment, now=now)
    if moving:
        plans.change_status(action, status, actor, comment)
    action.reload()
    return action


__all__ = [
    "EDITABLE_ACTION_FIELDS",
    "LISTS",
    "MAX_PER_PAGE",
    "PER_PAGE",
    "Page",
    "agency_key",
    "combine",
    "edit_action",
    "filter_names",
    "list_page",
    "list_query",
    "reference_id",
    "titles",
]
