"""Pages of a sorted list that cost what their own rows cost, however long the list is.

The embedded SecantusDB answers a query by decoding every document its index lookup yields
(or the whole collection when no index fits), matching, sorting all of them in memory, and
only then skipping and limiting: a lead's first 50 of 8,000 actions cost 250 ms, page 50 of
them the same, and a title sort or an ``$or`` decodes the collection. It uses an index only
for a query whose equality fields are exactly the leading fields of one (a bare equality per
field, or those plus one range or ``$in`` on the next field); any other field in the query,
or a top-level operator, makes it fall back to one clause alone or to a scan.

So a page sorted by a field is read here as consecutive *windows* of that field's values,
``{…equalities that lead an index…, field: {$gte: a, $lt: b}}``, each a query of exactly the
shape an index serves and yielding only the documents in the window, until the page is
full. The windows run between *fence posts*: every :data:`FENCE_STEP`-th value of the field
in the collection's order, kept in the ``list_fences`` collection and recomputed in the
background (the daily ``list_fences`` sweep, or after a bulk load). A window of a few fence
intervals holds a few hundred documents whatever the size of the collection, so every page
costs about what the first page costs. The posts only make the walk short; they are never
trusted for correctness: the first and last windows are open-ended, so a stale post costs
time, not rows, and a missing one means the plain query.

A page is addressed by a *position* — the sort value and id of the row it follows (keyset
paging) — rather than by a number: page 50 costs what page 1 costs. An offset (``skip``)
still works, reading the rows before it.

The query may be anything the plain query takes. It is spread into branches (a top-level
``$or``, an ``$and`` of them); in each branch the equalities that lead an index ending in the
sorted field go to the database, and the other conditions (a filter no index serves, the
rest of the permission filter) are applied to the window's rows here
(:func:`matches`, a small matcher of the query language LIF writes, checked against the
database by the tests) — or, for conditions it does not know, by the database on the
window's ids. A branch whose rows no index can order (one person's own actions) is read
whole by an index on its equalities. A query of a shape this cannot read (an unknown
operator on the sorted field, too many branches) is answered the plain way, as is every
query on a MongoDB server (``MONGODB_URI``), which walks its indexes in order itself.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bson import ObjectId
from mongoengine import Document

from . import db
from .db import database
from .models import CONTENT_TYPES

FENCES = "list_fences"
#: The fields each list is sorted by, per content type: the fields fence posts are kept for.
LISTS: dict[str, tuple[str, ...]] = {
    "action": ("due_date", "title", "modified_at"),
    "action_plan": ("modified_at", "title", "next_pdc_review"),
}
#: One fence post every this many documents (a window is a few such intervals).
FENCE_STEP = 64
#: Fence posts are kept for collections of at least this many documents; a shorter list is
#: read the plain way, which for it is as fast.
FENCES_FROM = 500
GROWTH = 16  # how much wider the next window may be, where rows are sparse
MAX_WINDOWS = 40  # then one last query for the rest: a walk never runs away
MAX_BRANCHES = 16  # an $or / $in spread into more queries than this is read the plain way
BATCH = 5000  # documents per reply: a window comes back in one round trip
FENCE_CACHE_SECONDS = 300  # posts are hints: a process keeps them this long before rereading


@dataclass(frozen=True)
class Position:
    """Where a page starts or ends: the sort value and id of a row."""

    value: object
    id: ObjectId


@dataclass
class Page:
    """The ids of one page, in the list's order, and whether rows lie beyond it."""

    ids: list
    keys: list[tuple]  # (value, id) of each row, for positions
    more: bool  # rows follow (after) or precede (before) the page in the direction read
    windowed: bool  # read by windows (False: the plain query)

    def position(self, index: int) -> Position:
        value, ident = self.keys[index]
        return Position(value, ident)


class _Plain(Exception):
    """The query has a shape the windows cannot read: use the plain query."""


# --- fence posts --------------------------------------------------------------------------------

_cache: dict[str, tuple[float, dict | None]] = {}
_cache_lock = threading.Lock()


def _fence_id(model: type[Document], field: str) -> str:
    return f"{model._get_collection_name()}.{field}"


def refresh_fences(model: type[Document], now: dt.datetime, *, force: bool = False) -> bool:
    """Recompute the fence posts of ``model``'s list fields from the data (one read of the
    collection), unless done on ``now``'s day already (and not ``force``); return whether
    it ran.

    Run it (``force``) after writing many documents without the services (a bulk load).
    """
    fields = LISTS.get(getattr(model, "type_key", ""), ())
    if not fields:
        return False
    store = database()[FENCES]
    ids = [_fence_id(model, name) for name in fields]
    known = {doc["_id"]: doc for doc in store.find({"_id": {"$in": ids}}, {"posts": 0})}
    today = now.date().isoformat()
    if not force and all(known.get(i, {}).get("refreshed_on") == today for i in ids):
        return False
    rows = list(model._get_collection().find({}, dict.fromkeys(fields, 1)))
    for name, fence in zip(fields, ids, strict=True):
        keys = sorted(((doc.get(name), doc["_id"]) for doc in rows), key=_sort_key)
        posts = [list(key) for key in keys[FENCE_STEP::FENCE_STEP] if key[0] is not None]
        store.replace_one({"_id": fence}, {
            "_id": fence, "posts": posts if len(rows) >= FENCES_FROM else [],
            "count": len(rows), "refreshed_on": today, "refreshed_at": now}, upsert=True)
    with _cache_lock:
        for fence in ids:
            _cache.pop(fence, None)
    return True


def refresh_all(now: dt.datetime, *, force: bool = False) -> list[str]:
    """Refresh the fence posts of every list (at most once a day); return which ran."""
    return [key for key in LISTS if refresh_fences(CONTENT_TYPES[key], now, force=force)]


def forget_fences() -> None:
    """Drop this process's copy of the fence posts (the next page rereads them)."""
    with _cache_lock:
        _cache.clear()


def _fences(model: type[Document], field: str) -> list[tuple] | None:
    """The fence posts of ``model.field`` as sorted ``(value, id)``, or ``None``."""
    key = _fence_id(model, field)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None or time.monotonic() - cached[0] > FENCE_CACHE_SECONDS:
        doc = database()[FENCES].find_one({"_id": key})
        posts = [tuple(post) for post in (doc or {}).get("posts") or []]
        cached = (time.monotonic(), posts or None)
        with _cache_lock:
            _cache[key] = cached
    return cached[1]


# --- the order ----------------------------------------------------------------------------------

_TYPE_ORDER = {type(None): 0, int: 1, float: 1, str: 2, dict: 3, list: 4, bytes: 5,
               ObjectId: 6, bool: 7, dt.datetime: 8}


def _sort_key(key: tuple):
    """Order ``(value, id)`` as MongoDB does (missing/null first, then by type bracket)."""
    value, ident = key
    bracket = _TYPE_ORDER.get(type(value), 9)
    return (bracket, value if bracket in (1, 2, 6, 7, 8) else 0, ident)


def _after(key: tuple, position: Position | None, direction: int) -> bool:
    """Whether ``key`` comes after ``position`` in the list's ``direction``."""
    if position is None:
        return True
    mine, theirs = _sort_key(key), _sort_key((position.value, position.id))
    return mine > theirs if direction > 0 else mine < theirs


# --- a small matcher ------------------------------------------------------------------------------

class Unknown(Exception):
    """A condition :func:`matches` does not know (the database checks it instead)."""


_RANGE = {"$gt", "$gte", "$lt", "$lte"}


def _values(doc: Mapping, path: str) -> list:
    """The values ``path`` reaches in ``doc``: a list field gives each element and itself."""
    if "." in path:
        raise Unknown(path)
    if path not in doc:
        return []
    value = doc[path]
    return [*value, value] if isinstance(value, list) else [value]


def _comparable(a, b) -> bool:
    kinds = (_TYPE_ORDER.get(type(a), 9), _TYPE_ORDER.get(type(b), 9))
    return kinds[0] == kinds[1] and kinds[0] in (1, 2, 6, 8)


def _test(op: str, have: list, want, doc_has: bool) -> bool:
    if op == "$eq":
        if want is None:
            return not doc_has or None in have
        return any(v == want and type(v) is not bool or v is want for v in have) or any(
            v == want and isinstance(v, type(want)) for v in have)
    if op == "$ne":
        return not _test("$eq", have, want, doc_has)
    if op == "$in":
        if not isinstance(want, list | tuple):
            raise Unknown(op)
        return any(_test("$eq", have, w, doc_has) for w in want)
    if op == "$nin":
        return not _test("$in", have, want, doc_has)
    if op in _RANGE:
        if want is None or isinstance(want, dict | list):
            raise Unknown(op)
        checks = {"$gt": lambda v: v > want, "$gte": lambda v: v >= want,
                  "$lt": lambda v: v < want, "$lte": lambda v: v <= want}[op]
        return any(_comparable(v, want) and checks(v) for v in have)
    if op == "$exists":
        return doc_has == bool(want)
    raise Unknown(op)


def _regex(value, options: str = "") -> re.Pattern:
    if isinstance(value, re.Pattern):
        return value
    if not isinstance(value, str) or set(options) - {"i", "m", "s", "x"}:
        raise Unknown("$regex")
    flags = 0
    for letter, flag in (("i", re.I), ("m", re.M), ("s", re.S), ("x", re.X)):
        if letter in options:
            flags |= flag
    return re.compile(value, flags)


def _field_matches(doc: Mapping, path: str, condition) -> bool:
    have = _values(doc, path)
    doc_has = path in doc
    if isinstance(condition, re.Pattern):
        return any(isinstance(v, str) and condition.search(v) for v in have)
    if not isinstance(condition, dict) or not condition:
        if isinstance(condition, dict | list):
            raise Unknown(path)
        return _test("$eq", have, condition, doc_has)
    if not all(key.startswith("$") for key in condition):
        raise Unknown(path)  # an embedded document compared whole
    rest = dict(condition)
    if "$regex" in rest:
        pattern = _regex(rest.pop("$regex"), rest.pop("$options", ""))
        if not any(isinstance(v, str) and pattern.search(v) for v in have):
            return False
    return all(_test(op, have, want, doc_has) for op, want in rest.items())


def matches(doc: Mapping, query: Mapping) -> bool:
    """Whether ``doc`` matches ``query``, as MongoDB would decide, for the conditions LIF's
    queries use (equality, ``$in``, ``$nin``, ``$ne``, ranges, ``$exists``, ``$regex``,
    ``$and``, ``$or``, ``$nor``) on top-level fields.

    :raises Unknown: the query uses something else (the caller asks the database).
    """
    for key, condition in query.items():
        if key == "$and":
            if not all(matches(doc, part) for part in condition):
                return False
        elif key == "$or":
            if not any(matches(doc, part) for part in condition):
                return False
        elif key == "$nor":
            if any(matches(doc, part) for part in condition):
                return False
        elif key.startswith("$"):
            raise Unknown(key)
        elif not _field_matches(doc, key, condition):
            return False
    return True


def fields_of(query: Mapping) -> set[str]:
    """The top-level fields ``query`` tests (within ``$and``, ``$or``, ``$nor`` too)."""
    names: set[str] = set()
    for key, condition in query.items():
        if key in ("$and", "$or", "$nor"):
            for part in condition:
                names |= fields_of(part)
        elif not key.startswith("$"):
            names.add(key)
    return names


# --- the branches of a query ----------------------------------------------------------------------

def _conjuncts(query: Mapping):
    """The ``(field, condition)`` pairs ANDed in ``query``, nested ``$and`` flattened."""
    for key, value in query.items():
        if key == "$and":
            for part in value:
                if not isinstance(part, Mapping):
                    raise _Plain
                yield from _conjuncts(part)
        else:
            yield key, value


def _and(into: dict, key: str, value) -> None:
    """AND one condition into the flat query ``into`` (a clash on a field goes to ``$and``)."""
    if key in into and into[key] != value:
        into.setdefault("$and", []).append({key: value})
    elif key == "$and":
        into.setdefault("$and", []).extend(value)
    else:
        into[key] = value


def branches(query: Mapping) -> list[dict]:
    """Flat queries whose union is ``query``: its ``$and`` merged, each ``$or`` spread
    (times the others). Two conditions on one field stay together as an ``$and`` (checked
    on the rows found).

    :raises _Plain: too many branches, or an ``$or`` within an ``$or``.
    """
    flat: dict = {}
    ors: list[list] = []
    for key, value in _conjuncts(query):
        if key == "$or":
            ors.append(list(value))
        else:
            _and(flat, key, value)
    out: list[dict] = []
    for combo in itertools.product(*ors):
        merged = {key: (list(value) if key == "$and" else value) for key, value in flat.items()}
        for choice in combo:
            if not isinstance(choice, Mapping):
                raise _Plain
            for key, value in _conjuncts(choice):
                if key == "$or":
                    raise _Plain
                _and(merged, key, value)
        if merged not in out:
            out.append(merged)
        if len(out) > MAX_BRANCHES:
            raise _Plain
    return out


# --- planning one branch ------------------------------------------------------------------

#: Fields the services always set (never null): no query for rows without them.
ALWAYS_SET = {"modified_at", "created_at"}


def _equality(value) -> bool:
    return not isinstance(value, dict | list | re.Pattern)


def _spreadable(value) -> bool:
    if _equality(value):
        return True
    return (isinstance(value, dict) and set(value) == {"$in"} and isinstance(value["$in"], list)
            and 0 < len(value["$in"]) <= MAX_BRANCHES and all(_equality(v) for v in value["$in"]))


def _indexes(model: type[Document]) -> list[list[str]]:
    return [[name for name, _direction in spec["fields"]]
            for spec in model._meta.get("index_specs") or []]


@dataclass
class _Branch:
    seeks: list[dict]  # index-shaped equality queries (one per value of a spread $in)
    residual: dict  # conditions checked on the rows found
    bounds: dict  # the query's own conditions on the sorted field
    ordered: bool  # True: an index orders the rows by the field (windows); False: read whole


def _spread(query: dict, prefix: list[str]) -> list[dict]:
    """The equality queries on ``prefix`` (an ``$in`` gives one per value)."""
    choices = []
    for name in prefix:
        value = query[name]
        choices.append(list(dict.fromkeys(value["$in"])) if isinstance(value, dict) else [value])
    out = [dict(zip(prefix, combo, strict=True)) for combo in itertools.product(*choices)]
    if len(out) > MAX_BRANCHES:
        raise _Plain
    return out


def _plan(model: type[Document], branch: dict, field: str, *, alone: bool) -> _Branch:
    """How to read ``branch``: by an index whose fields before ``field`` are equalities of
    the branch (the most of them), in windows; or, beside other branches (``alone``
    false), whole by an index on more of its equalities (one person's own rows, say)."""
    bounds = branch.get(field)
    if bounds is not None and not (isinstance(bounds, dict) and bounds and set(bounds) <= _RANGE):
        raise _Plain  # an equality or another operator on the sorted field
    usable = {name for name, value in branch.items()
              if name != field and not name.startswith("$") and _spreadable(value)}
    ordered: list[str] | None = None
    whole: list[str] | None = None
    for names in _indexes(model):
        if field in names[1:]:
            prefix = names[:names.index(field)]
            if set(prefix) <= usable and (ordered is None or len(prefix) > len(ordered)):
                ordered = prefix
        prefix = list(itertools.takewhile(lambda n: n in usable, names))
        if field not in prefix and len(prefix) >= 2 and (whole is None
                                                         or len(prefix) > len(whole)):
            whole = prefix
    if ordered is not None and (alone or whole is None or not set(ordered) < set(whole)):
        prefix, windows = ordered, True
    elif whole is not None and not alone:
        prefix, windows = whole, False
    else:
        raise _Plain
    residual = {name: value for name, value in branch.items()
                if name not in prefix and name != field}
    return _Branch(_spread(branch, prefix), residual, bounds or {}, windows)


def _essential(found: list[dict]) -> list[dict]:
    """``found`` without the branches another one includes (all its conditions, and more)."""
    def within(small: dict, big: dict) -> bool:
        return small is not big and all(key in big and big[key] == value
                                         for key, value in small.items())
    return [branch for branch in found if not any(within(other, branch) for other in found)]


# --- reading -------------------------------------------------------------------------------

def _tighter(condition: dict, op: str, value) -> dict:
    """``condition`` with the bound ``op value`` added, keeping the tighter of two."""
    out = dict(condition)
    lower = op in ("$gt", "$gte")
    for other in [o for o in out if (o in ("$gt", "$gte")) == lower]:
        have = out[other]
        if not _comparable(have, value):
            raise _Plain
        tighter = have > value if lower else have < value
        if tighter or (have == value and other in ("$gt", "$lt")):
            return out
        del out[other]
    out[op] = value
    return out


def _window(low, high, direction: int, bounds: dict) -> dict:
    """The condition on the field for the window from ``low`` (inclusive) to ``high``
    (exclusive) in ``direction``, within the query's own ``bounds``; ``None`` ends are open."""
    condition = dict(bounds)
    if low is not None:
        condition = _tighter(condition, "$gte" if direction > 0 else "$lte", low)
    if high is not None:
        condition = _tighter(condition, "$lt" if direction > 0 else "$gt", high)
    if not condition:
        raise _Plain  # both ends open: no range an index can serve
    return condition


class _Reader:
    """One walk along a list in one direction, collecting the rows after a position."""

    def __init__(self, model, field: str, direction: int, start: Position | None,
                 plans: list[_Branch]):
        self.model, self.field, self.direction, self.start = model, field, direction, start
        self.collection = model._get_collection()
        self.rows: dict = {}  # id -> (value, id)
        self.fields = {field: 1}
        self.known = True  # every residual is one :func:`matches` knows
        for plan in plans:
            self.fields.update(dict.fromkeys(fields_of(plan.residual), 1))
            try:
                matches({}, plan.residual)
            except Unknown:
                if any(key.startswith("$") for key in plan.residual):
                    raise _Plain from None  # the database could not check it on ids either
                self.known = False

    def _take(self, docs: list[dict], plan: _Branch) -> None:
        found = [doc for doc in docs
                 if _after((doc.get(self.field), doc["_id"]), self.start, self.direction)]
        if plan.residual and found:
            if self.known:
                found = [doc for doc in found if matches(doc, plan.residual)]
            else:
                ok = {doc["_id"] for doc in self.collection.find(
                    {"_id": {"$in": [doc["_id"] for doc in found]}, **plan.residual},
                    {"_id": 1})}
                found = [doc for doc in found if doc["_id"] in ok]
        for doc in found:
            self.rows[doc["_id"]] = (doc.get(self.field), doc["_id"])

    def read(self, plan: _Branch, condition) -> None:
        """The rows of ``plan`` whose field meets ``condition`` (``None``: the field null)."""
        for seek in plan.seeks:
            self._take(list(self.collection.find({**seek, self.field: condition},
                                                 self.fields, batch_size=BATCH)), plan)

    def read_whole(self, plan: _Branch) -> None:
        for seek in plan.seeks:
            self._take(list(self.collection.find(seek, self.fields, batch_size=BATCH)), plan)

    def settled(self, edge) -> int:
        """How many rows found lie before ``edge`` (all of them: ``None``)."""
        if edge is None:
            return len(self.rows)
        if self.direction > 0:
            return sum(1 for value, _ in self.rows.values()
                       if _sort_key((value, None)) < _sort_key((edge, None)))
        return sum(1 for value, _ in self.rows.values()
                   if _sort_key((value, None)) > _sort_key((edge, None)))

    def ordered(self) -> list[tuple]:
        return sorted(self.rows.values(), key=_sort_key, reverse=self.direction < 0)


def _walk(model, query: Mapping, field: str, direction: int, start: Position | None,
          want: int) -> list[tuple] | None:
    """``(value, id)`` of the first ``want`` rows after ``start`` in ``direction``, read by
    windows; ``None`` when the query cannot be read that way."""
    if db.embedded_server() is None:
        return None
    posts = _fences(model, field)
    if posts is None:
        return None
    try:
        spread = _essential(branches(query))
        plans = [_plan(model, branch, field, alone=len(spread) == 1) for branch in spread]
        windowed = [plan for plan in plans if plan.ordered]
        if not windowed:
            raise _Plain  # nothing ordered: a whole read would be the whole list
        reader = _Reader(model, field, direction, start, plans)
        for plan in plans:
            if not plan.ordered:
                reader.read_whole(plan)
        _windows(reader, windowed, [post[0] for post in posts], want)
    except (_Plain, TypeError):  # TypeError: values of several types in the field
        return None
    return reader.ordered()[:want]


def _windows(reader: _Reader, plans: list[_Branch], values: list, want: int) -> None:
    """Read ``plans`` window by window between the fence ``values`` until ``want`` rows
    before the last window's edge are found."""
    field, direction, start = reader.field, reader.direction, reader.start
    nullable = not reader.model._fields[field].required and field not in ALWAYS_SET
    if start is not None and start.value is None:
        if direction < 0 or not nullable:  # in the rows without the field, read last
            for plan in plans:
                reader.read(plan, None)
            return
    if nullable and direction > 0:  # rows without the field come first
        for plan in plans:
            reader.read(plan, None)
    edge = None if start is None or start.value is None else start.value
    if direction > 0:
        index = 0 if edge is None else bisect.bisect_right(values, edge)
    else:
        index = len(values) - 1 if edge is None else bisect.bisect_left(values, edge) - 1
    width = max(1, -(-want // FENCE_STEP))
    for _ in range(MAX_WINDOWS):
        if not 0 <= index < len(values) or reader.settled(edge) >= want and edge is not None:
            break
        target = min(max(index + (width - 1) * direction, 0), len(values) - 1)
        high = values[target]
        # Equal posts (a value many rows share) make one window.
        while 0 <= target + direction < len(values) and values[target + direction] == high:
            target += direction
        before = len(reader.rows)
        for plan in plans:
            reader.read(plan, _window(edge, high, direction, plan.bounds))
        got = len(reader.rows) - before
        edge, index = high, target + direction
        width *= GROWTH if not got else min(GROWTH, max(2, -(-(want - len(reader.rows)) // got)))
    if edge is not None and reader.settled(edge) >= want:
        return
    # Past the last post (or after MAX_WINDOWS): the rest in one query.
    if edge is None:  # no window was read: below the first post, then the rest
        edge = values[0] if direction > 0 else values[-1]
        for plan in plans:
            reader.read(plan, _window(None, edge, direction, plan.bounds))
    for plan in plans:
        reader.read(plan, _window(edge, None, direction, plan.bounds))
    if nullable and direction < 0:
        for plan in plans:
            reader.read(plan, None)


def _plain(model, query: Mapping, field: str, direction: int, start: Position | None,
           want: int) -> list[tuple]:
    """The same rows by the plain query (the database sorts every match)."""
    collection = model._get_collection()
    wanted = dict(query)
    if start is not None:
        wanted = {"$and": [dict(query), _beyond(field, start, direction)]}
    cursor = collection.find(wanted, {field: 1}).sort(
        [(field, direction), ("_id", direction)]).limit(want)
    return [(doc.get(field), doc["_id"]) for doc in cursor]


def _beyond(field: str, start: Position, direction: int) -> dict:
    """The rows after ``start`` in ``direction`` (by the field, then the id), as a query."""
    op = "$gt" if direction > 0 else "$lt"
    if start.value is None:
        ties = {field: None, "_id": {op: start.id}}
        return {"$or": [ties, {field: {"$ne": None}}]} if direction > 0 else ties
    parts = [{field: {op: start.value}}, {field: start.value, "_id": {op: start.id}}]
    if direction < 0:
        parts.append({field: None})
    return {"$or": parts}


def read(model: type[Document], query: Mapping, field: str, *, descending: bool = False,
         after: Position | None = None, before: Position | None = None, skip: int = 0,
         limit: int) -> Page:
    """One page of ``query`` sorted by ``(field, _id)`` (both descending if ``descending``).

    :param after: the page starts after this row (the next page).
    :param before: the page ends before this row (the previous page).
    :param skip: rows to pass over first (after the position, if any).
    :return: the page's ids in the list's order; ``more`` says whether rows lie beyond it
        in the direction read (after the page, or before it for ``before``).
    """
    direction = -1 if descending else 1
    start = after
    if before is not None:
        direction, start = -direction, before
    want = skip + limit + 1
    keys = _walk(model, query, field, direction, start, want)
    windowed = keys is not None
    if keys is None:
        keys = _plain(model, query, field, direction, start, want)
    more = len(keys) > skip + limit
    keys = keys[skip:skip + limit]
    if before is not None:
        keys.reverse()
    return Page([key[1] for key in keys], keys, more, windowed)


def in_order(model: type[Document], ids: list, *, related: bool = True) -> list:
    """The documents of ``ids``, in that order, in one query (and one per referenced
    collection when ``related``, instead of one per row); else references stay ids."""
    if not ids:
        return []
    queryset = model.objects(pk__in=ids)
    found = queryset.select_related(max_depth=1) if related else queryset.no_dereference()
    by_id = {doc.pk: doc for doc in found}
    return [by_id[pk] for pk in ids if pk in by_id]


# --- positions in links --------------------------------------------------------------------------

def encode(position: Position) -> str:
    """``position`` as text for a link (``d`` date, ``s`` text, ``n`` none, ``i`` number)."""
    value = position.value
    if isinstance(value, dt.datetime):
        text = "d" + value.isoformat()
    elif isinstance(value, str):
        text = "s" + value
    elif value is None:
        text = "n"
    elif isinstance(value, int) and not isinstance(value, bool):
        text = "i" + str(value)
    else:
        raise ValueError(f"Cannot put a {type(value).__name__} in a link.")
    return f"{position.id}.{text}"


def decode(text: str) -> Position | None:
    """The position :func:`encode` wrote, or ``None`` for anything else (a page 1 then)."""
    if not isinstance(text, str) or len(text) > 1000:
        return None
    ident, _, rest = text.partition(".")
    if not ObjectId.is_valid(ident) or not rest:
        return None
    kind, body = rest[0], rest[1:]
    try:
        if kind == "d":
            value = dt.datetime.fromisoformat(body)
        elif kind == "s":
            value = body
        elif kind == "n" and not body:
            value = None
        elif kind == "i" and re.fullmatch(r"-?\d{1,18}", body):
            value = int(body)
        else:
            return None
    except ValueError:
        return None
    return Position(value, ObjectId(ident))
