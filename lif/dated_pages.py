"""Pages of a list sorted by a date, read window by window so the database never sorts it all.

The embedded SecantusDB sorts every match of a query in memory before it skips and limits:
a lead's 8,000 actions (of 100,000) cost 250 ms for the first 50, whatever the page size. It
does use a compound index for equality on its leading fields plus a range on the next one,
and then reads only the documents in the range. So a page sorted by ``due_date`` is read as
consecutive date windows — ``{…equalities…, due_date: {$gte: a, $lt: b}}`` — each sorted by
the server, until the page is full. Every window costs what its few rows cost, so a page
costs about the same at 1,000 actions as at 100,000.

Windows start from the field's known lower bound (kept in the ``date_bounds`` collection,
widened on every write, recomputed once a day by a sweep). The bound only makes the walk
short; it is never trusted for correctness: the first window is open below the bound and
the walk ends with one query open above the last window, so a stale bound costs time, not
rows (and a missing one means the plain way). An ``$or`` (a lead reads their agency's
actions *or* those they are named to lead) is read branch by branch: the branches an index
serves by windows, the others (a few rows: one person's) plainly, and the pages merged. A
query of another shape (a text search, a date range of its own) is answered the plain way, as
is every query on a MongoDB server (``MONGODB_URI``), which sorts by walking the index.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

from mongoengine import Document

from . import db
from .db import database
from .models import CONTENT_TYPES

BOUNDS = "date_bounds"
#: The lists read this way: content type → the date field whose bounds are kept.
DATED = {"action": "due_date"}
FIRST_WINDOW = dt.timedelta(days=7)
GROWTH = 16  # how much wider the next window may be, where rows are sparse
MAX_WINDOWS = 40  # then one last query for the rest: a walk never runs away
MAX_SPLIT = 8  # an $in of up to this many values is read as that many equality queries
#: Below this many documents (as last counted) the plain query is as fast: windows are not
#: used (measured: 500 actions, first page 13 ms plain, 24 ms by windows of a week).
WINDOWED_FROM = 5_000
#: Deeper pages are read the plain way: the windows before them cost what their rows cost
#: (measured at 100k actions: rows 980-1,000 of 1,660 took 85 ms by windows, 50 ms plain).
MAX_ROWS = 200


def _bounds_id(model: type[Document], field: str) -> str:
    return f"{model._get_collection_name()}.{field}"


def note_dates(model: type[Document], field: str, dates) -> None:
    """Widen the stored bounds of ``model.field`` to include ``dates`` (after a write)."""
    values = [_as_datetime(d) for d in dates if d is not None]
    if values:
        database()[BOUNDS].update_one(
            {"_id": _bounds_id(model, field)},
            {"$min": {"min": min(values)}, "$max": {"max": max(values)}}, upsert=True)


def refresh_bounds(model: type[Document], field: str, now: dt.datetime, *,
                   force: bool = False) -> bool:
    """Recompute the bounds of ``model.field`` from the data (one aggregation over it all),
    unless that was done on ``now``'s day already (and not ``force``); return whether it ran.

    Run it (``force``) after writing documents without the services (a bulk load).
    """
    key = {"_id": _bounds_id(model, field)}
    known = database()[BOUNDS].find_one(key) or {}
    if not force and known.get("refreshed_on") == now.date().isoformat():
        return False
    found = list(model._get_collection().aggregate([
        {"$match": {field: {"$ne": None}}},
        {"$group": {"_id": None, "min": {"$min": f"${field}"}, "max": {"$max": f"${field}"},
                    "count": {"$sum": 1}}},
    ]))
    if found:
        bounds = {name: found[0][name] for name in ("min", "max", "count")}
        database()[BOUNDS].replace_one(
            key, {**key, **bounds, "refreshed_on": now.date().isoformat()}, upsert=True)
    else:
        database()[BOUNDS].delete_one(key)
    return True


def refresh_all(now: dt.datetime) -> list[str]:
    """Refresh the bounds of every dated list (at most once a day); return which ran."""
    return [f"{key}.{field}" for key, field in DATED.items()
            if refresh_bounds(CONTENT_TYPES[key], field, now)]


def _bounds(model: type[Document], field: str) -> tuple[dt.datetime, dt.datetime] | None:
    """The bounds of ``model.field``, or ``None`` when unknown or the list is short."""
    found = database()[BOUNDS].find_one({"_id": _bounds_id(model, field)})
    if not found or found.get("count", 0) < WINDOWED_FROM:
        return None
    return found["min"], found["max"]


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time())


def _index_prefixes(model: type[Document], field: str) -> set[frozenset[str]]:
    """The sets of equality fields that lead an index whose next field is ``field``."""
    prefixes = set()
    for spec in model._meta.get("index_specs") or []:
        names = [name for name, _direction in spec["fields"]]
        if field in names[1:]:
            prefixes.add(frozenset(names[:names.index(field)]))
    return prefixes


def _split(query: Mapping, field: str, prefixes: set[frozenset[str]]) -> list[dict] | None:
    """Equality-only queries whose union is ``query``, each served by an index; else ``None``.

    A field given as ``{"$in": [...]}`` (at most one such field) becomes one query per value.
    """
    if not query or field in query or any(key.startswith("$") for key in query):
        return None
    if frozenset(query) not in prefixes:
        return None
    listed = [key for key, value in query.items() if isinstance(value, dict)]
    if any(set(query[key]) != {"$in"} for key in listed) or len(listed) > 1:
        return None
    if not listed:
        return [dict(query)]
    key = listed[0]
    values = list(dict.fromkeys(query[key]["$in"]))
    if len(values) > MAX_SPLIT or any(isinstance(v, dict | list) for v in values):
        return None
    return [{**query, key: value} for value in values]


def _branches(query: Mapping) -> list[dict] | None:
    """The queries whose union is ``query`` with its top-level ``$or`` spread over the rest
    (``[query]`` when it has none); ``None`` when a branch cannot be written that way."""
    if "$or" not in query:
        return [dict(query)]
    rest = {key: value for key, value in query.items() if key != "$or"}
    if any(key.startswith("$") for key in rest):
        return None
    out = []
    for branch in query["$or"]:
        if not isinstance(branch, Mapping) or any(key.startswith("$") for key in branch):
            return None
        merged = dict(rest)
        for key, value in branch.items():
            if key in merged and merged[key] != value:
                if isinstance(value, dict) or isinstance(merged[key], dict):
                    return None
                merged = None  # two different equalities: this branch matches nothing
                break
            merged[key] = value
        if merged is not None and merged not in out:
            out.append(merged)
    return out


def _plain(model, queries: list[dict], field: str, direction: int, limit: int) -> list[tuple]:
    """``(date, _id)`` of the first ``limit`` rows of each query, sorted (few rows each)."""
    rows = []
    for query in queries:
        cursor = model._get_collection().find(query, {field: 1}).sort(
            [(field, direction), ("_id", direction)]).limit(limit)
        rows += [(doc.get(field), doc["_id"]) for doc in cursor]
    return rows


def _read(model, queries: list[dict], field: str, condition, direction: int,
          limit: int | None = None) -> list[tuple]:
    """``(date, _id)`` of the rows matching any of ``queries`` and ``condition``, sorted."""
    rows: list[tuple] = []
    collection = model._get_collection()
    for query in queries:
        cursor = collection.find({**query, field: condition}, {field: 1}).sort(
            [(field, direction), ("_id", direction)])
        if limit is not None:
            cursor = cursor.limit(limit)
        rows += [(doc.get(field), doc["_id"]) for doc in cursor]
    if len(queries) > 1:  # branches of an $or may overlap
        rows = list({row[1]: row for row in rows}.values())
    rows.sort(key=_key, reverse=direction < 0)
    return rows


def _key(row: tuple):
    # None (missing) sorts before every date, as in MongoDB.
    return (row[0] is not None, row[0] or dt.datetime.min, row[1])


def page_ids(model: type[Document], query: Mapping, field: str, *, skip: int, limit: int,
             descending: bool = False) -> list | None:
    """The ids of rows ``skip`` to ``skip + limit`` of ``query`` sorted by ``(field, _id)``.

    :return: the ids in order, or ``None`` when the query's shape is not one this can read
        window by window, or the page is deep (the caller then runs it the plain way).
    """
    if skip + limit > MAX_ROWS or DATED.get(getattr(model, "type_key", None)) != field:
        return None
    if db.embedded_server() is None:  # MongoDB walks the index in order: the plain way is best
        return None
    branches = _branches(query)
    if branches is None:
        return None
    prefixes = _index_prefixes(model, field)
    queries: list[dict] = []
    plain: list[dict] = []
    for branch in branches:
        split = _split(branch, field, prefixes)
        if split is None and len(branches) == 1:
            return None
        queries += split or []
        plain += [] if split else [branch]
    if not queries:
        return None
    bounds = _bounds(model, field)
    if bounds is None:
        return None
    low, high = bounds
    want = skip + limit
    direction = -1 if descending else 1
    width = FIRST_WINDOW
    # The first window reaches from the end (so rows beyond a stale bound are read too).
    if descending:
        edge = high - width
        rows = _read(model, queries, field, {"$gt": edge}, direction, limit=want)
    else:
        edge = low + width
        rows = _read(model, queries, field, {"$lt": edge}, direction, limit=want)
    for _ in range(MAX_WINDOWS):  # every row beyond the edge has been read
        if len(rows) >= want or (edge < low if descending else edge > high):
            break
        # Widen where rows are sparse (an empty window is cheap); never narrow.
        width *= GROWTH if not rows else min(GROWTH, max(1, (want - len(rows)) // len(rows)))
        if descending:
            window, edge = {"$lte": edge, "$gt": edge - width}, edge - width
        else:
            window, edge = {"$gte": edge, "$lt": edge + width}, edge + width
        rows += _read(model, queries, field, window, direction, limit=want - len(rows))
    if len(rows) < want:  # past the bound (or after MAX_WINDOWS): the rest in one query
        rest = {"$lte": edge} if descending else {"$gte": edge}
        rows += _read(model, queries, field, rest, direction, limit=want - len(rows))
    if not model._fields[field].required:
        # Rows without the date sort first ascending, last descending (as in MongoDB).
        nulls = _read(model, queries, field, None, direction, limit=want)
        rows = rows + nulls if descending else nulls + rows
    if plain:
        seen: set = set()
        rows = [row for row in sorted(rows + _plain(model, plain, field, direction, want),
                                      key=_key, reverse=descending)
                if not (row[1] in seen or seen.add(row[1]))]
    return [row[1] for row in itertools.islice(rows, skip, want)]


def queryset_ids(queryset, field: str) -> list | None:
    """:func:`page_ids` for a mongoengine queryset filtered, ordered by ``field`` alone,
    skipped and limited (as Flask-Admin's list builds it); ``None`` when it cannot."""
    ordering = list(queryset._ordering or [])
    if len(ordering) != 1 or ordering[0][0] != field or not queryset._limit:
        return None
    return page_ids(queryset._document, queryset._query, field, skip=queryset._skip or 0,
                    limit=queryset._limit, descending=ordering[0][1] < 0)


def in_order(model: type[Document], ids: list, *, related: bool = True) -> list:
    """The documents of ``ids``, in that order, in one query (and one per referenced
    collection when ``related``, instead of one per row); else references stay ids."""
    queryset = model.objects(pk__in=ids)
    found = queryset.select_related(max_depth=1) if related else queryset.no_dereference()
    by_id = {doc.pk: doc for doc in found}
    return [by_id[pk] for pk in ids if pk in by_id]
