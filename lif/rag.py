"""RAG rules as data, read three ways: in Python, as a query, as an aggregation expression.

The rules are ``ACTION_RAG`` over ``ACTION_CONDITIONS`` in ``config/deadlines.py``: the first
rule whose condition holds gives the colour, ``ACTION_RAG_OTHERWISE`` when none does.
:func:`colour` is the definition; :func:`query` (a filter: the actions of one colour) and
:func:`expression` (the colour of each document, for ``$group``) are derived from the same
rules, so a page, a filter and the dashboard cannot disagree. A missing value (no due date)
satisfies no date test in all three: the query's ``$lt`` never matches it, and the
expression checks it is there first (in an aggregation, a missing date sorts before any).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from config.deadlines import ACTION_CONDITIONS, ACTION_RAG, ACTION_RAG_OTHERWISE

from . import clock

Condition = Mapping[str, tuple[str, object]]
DATE_TESTS = ("before", "on or before")


def _value(value, dates: Mapping[str, dt.date]):
    return dates[value] if isinstance(value, str) and value in dates else value


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


# --- Python ---------------------------------------------------------------------------------


def _passes(test: str, actual, value) -> bool:
    if test in DATE_TESTS:
        actual = clock.as_date(actual)
        if actual is None:
            return False
        return actual < value if test == "before" else actual <= value
    if test == "is":
        return actual == value
    if test == "is not":
        return actual != value
    if test == "in":
        return actual in value
    if test == "not in":
        return actual not in value
    raise ValueError(f"Unknown test {test!r} in a RAG condition.")


def _holds(condition: Condition, item, dates: Mapping[str, dt.date]) -> bool:
    get = item.get if isinstance(item, Mapping) else lambda field: getattr(item, field, None)
    return all(_passes(test, get(field), _value(value, dates))
               for field, (test, value) in condition.items())


def holds(name: str, item, dates: Mapping[str, dt.date]) -> bool:
    """Return whether the condition ``name`` holds for ``item`` (a document or a mapping)."""
    return _holds(ACTION_CONDITIONS[name], item, dates)


def colour(item, dates: Mapping[str, dt.date]) -> str:
    """Return the colour of ``item``: the first rule whose condition holds."""
    for name, result in ACTION_RAG:
        if holds(name, item, dates):
            return result
    return ACTION_RAG_OTHERWISE


# --- a query --------------------------------------------------------------------------------


def condition_query(name: str, dates: Mapping[str, dt.date],
                    domains: Mapping[str, tuple] | None = None) -> dict:
    """The condition ``name`` as a query. ``domains`` lists the values a field can take, so
    "not in" can be written as ``$in`` of the others (a planner can use an index for it)."""
    query: dict = {}
    for field, (test, value) in ACTION_CONDITIONS[name].items():
        value = _value(value, dates)
        if test in DATE_TESTS:
            query[field] = {"$lt" if test == "before" else "$lte": _midnight(value)}
        elif test == "is":
            query[field] = value
        elif test == "is not":
            query[field] = {"$ne": value}
        elif test == "in":
            query[field] = {"$in": list(value)}
        elif domains and field in domains:
            query[field] = {"$in": [v for v in domains[field] if v not in value]}
        else:
            query[field] = {"$nin": list(value)}
    return query


def query(wanted: str, dates: Mapping[str, dt.date],
          domains: Mapping[str, tuple] | None = None) -> dict:
    """The documents whose colour is ``wanted``, as a query: a rule gives its colour where its
    condition holds and no earlier rule's does."""
    clauses = []
    earlier: list[dict] = []
    for name, result in ACTION_RAG:
        this = condition_query(name, dates, domains)
        if result == wanted:
            clauses.append({"$and": [this, {"$nor": earlier}]} if earlier else this)
        earlier = [*earlier, this]
    if wanted == ACTION_RAG_OTHERWISE:
        clauses.append({"$nor": earlier})
    if not clauses:
        return {"_id": {"$exists": False}}  # a colour no rule gives: nothing
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


# --- an aggregation expression --------------------------------------------------------------


def condition_expression(name: str, dates: Mapping[str, dt.date]) -> dict:
    """The condition ``name`` as an aggregation expression (true or false)."""
    parts = []
    for field, (test, value) in ACTION_CONDITIONS[name].items():
        value, path = _value(value, dates), f"${field}"
        if test in DATE_TESTS:
            parts.append({"$gt": [path, None]})  # present: a missing date is in no window
            parts.append({"$lt" if test == "before" else "$lte": [path, _midnight(value)]})
        elif test == "is":
            parts.append({"$eq": [path, value]})
        elif test == "is not":
            parts.append({"$ne": [path, value]})
        elif test == "in":
            parts.append({"$in": [path, list(value)]})
        else:
            parts.append({"$not": [{"$in": [path, list(value)]}]})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def expression(dates: Mapping[str, dt.date]) -> dict:
    """The colour of each document, as an aggregation expression (``$switch``)."""
    return {"$switch": {
        "branches": [{"case": condition_expression(name, dates), "then": result}
                     for name, result in ACTION_RAG],
        "default": ACTION_RAG_OTHERWISE,
    }}
