"""Lists sorted by due date, read window by window, give exactly the plain query's pages."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest

from lif import clock, dated_pages
from lif.actors import SYSTEM
from lif.db import database
from lif.models import Action
from lif.services import content, plans, sweeps
from lif.services.content import NewItem

from .. import factories as f
from ..conftest import make_user

STATES = ["not_started", "in_progress", "complete", "verified", "cancelled"]

# Due-date windows are the embedded server's strategy; a MongoDB server (MONGODB_URI) sorts by
# walking the index and pages the plain query (lif/dated_pages.py).
pytestmark = pytest.mark.embedded_only("due-date windows are used on the embedded server only")


@pytest.fixture
def actions(clean_db, monkeypatch):
    """150 actions over two years, in clusters with long gaps, across three agencies; lists
    of more than 100 read by windows."""
    monkeypatch.setattr(dated_pages, "WINDOWED_FROM", 100)
    rng = random.Random(7)
    plan = f.make_plan()
    today = clock.today()
    days = ([rng.randrange(0, 10) for _ in range(60)] + [rng.randrange(300, 303) for _ in range(50)]
            + [rng.randrange(0, 730) for _ in range(38)] + [5, 5])  # and a tie
    rows = [NewItem(Action, {"title": f"Action {n}", "plan": plan, "description": "Do it.",
                             "lead_name": "Lead",
                             "lead_email": f"lead.{n % 7}@example.org" if n % 7 == 3
                             else "lead@example.org",
                             "agency": rng.choice(["police", "police", "csc", "education"]),
                             "due_date": today + dt.timedelta(days=day)})
            for n, day in enumerate(days)]
    created = content.create_many(rows, SYSTEM, note="")
    for item in created:
        Action.objects(pk=item.pk).update_one(set__state=rng.choice(STATES))
    dated_pages.refresh_bounds(Action, "due_date", clock.now())
    return created


def plain(query, skip, limit, descending=False):
    direction = -1 if descending else 1
    found = Action._get_collection().find(query, {"_id": 1}).sort(
        [("due_date", direction), ("_id", direction)]).skip(skip).limit(limit)
    return [doc["_id"] for doc in found]


QUERIES = [
    {"trashed": False, "agency": "police"},
    {"trashed": False, "agency": "police", "state": "in_progress"},
    {"trashed": False, "agency": "police", "state": {"$in": ["not_started", "in_progress"]}},
    {"trashed": False, "state": {"$in": ["complete", "verified", "cancelled"]}},
    {"trashed": False},
]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("query", QUERIES)
def test_every_page_is_the_plain_querys_page(actions, query, descending):
    for limit in (1, 7, 20):
        for skip in range(0, 160, limit):
            assert dated_pages.page_ids(Action, query, "due_date", skip=skip, limit=limit,
                                        descending=descending) == plain(
                query, skip, limit, descending), (skip, limit)


@pytest.mark.parametrize("descending", [False, True])
def test_a_stale_or_missing_bound_costs_time_not_rows(actions, descending):
    query = {"trashed": False, "agency": "police"}
    bounds = database()[dated_pages.BOUNDS]
    key = {"_id": "actions.due_date"}
    middle = dt.datetime.combine(clock.today() + dt.timedelta(days=100), dt.time())
    bounds.update_one(key, {"$set": {"min": middle, "max": middle}})  # far too narrow
    for skip in (0, 20, 60):
        assert dated_pages.page_ids(Action, query, "due_date", skip=skip, limit=20,
                                    descending=descending) == plain(query, skip, 20, descending)
    bounds.delete_one(key)
    assert dated_pages.page_ids(Action, query, "due_date", skip=0, limit=20) is None


def test_a_mongodb_server_is_asked_the_plain_way(actions, monkeypatch):
    from lif import db

    monkeypatch.setattr(db, "embedded_server", lambda: None)  # as with MONGODB_URI
    assert dated_pages.page_ids(Action, {"trashed": False}, "due_date", skip=0, limit=9) is None


def test_short_lists_are_read_the_plain_way(actions, monkeypatch):
    monkeypatch.setattr(dated_pages, "WINDOWED_FROM", 151)  # there are 150
    assert dated_pages.page_ids(Action, {"trashed": False}, "due_date", skip=0, limit=9) is None


def test_other_shapes_and_deep_pages_are_left_to_the_plain_query(actions):
    for query in ({"trashed": False, "title": {"$regex": "1"}},
                  {"trashed": False, "$or": [{"lead_name": "Lead"}, {"title": "T"}]},
                  {"trashed": False, "due_date": {"$lt": dt.datetime(2030, 1, 1)}},
                  {"trashed": False, "lead_name": "Lead"}):  # no index leads with it
        assert dated_pages.page_ids(Action, query, "due_date", skip=0, limit=20) is None
    assert dated_pages.page_ids(Action, {"trashed": False}, "due_date",
                                skip=dated_pages.MAX_ROWS, limit=20) is None


@pytest.mark.parametrize("query", [
    {"trashed": False, "$or": [{"agency": "csc"}, {"agency": "police"}]},
    # a lead's: their agency's actions or those they lead (one branch read plainly)
    {"trashed": False, "$or": [{"agency": "police"}, {"lead_email": "lead.3@example.org"}]},
    {"trashed": False, "agency": "police",
     "$or": [{"agency": "police"}, {"lead_email": "lead.3@example.org"}]},
])
def test_an_or_is_read_branch_by_branch_in_the_plain_order(actions, query):
    for skip in (0, 20, 40):
        ids = dated_pages.page_ids(Action, query, "due_date", skip=skip, limit=20)
        assert ids is not None and ids == plain(query, skip, 20)


def test_bounds_follow_saves_and_the_daily_sweep(clean_db):
    def bounds():
        found = database()[dated_pages.BOUNDS].find_one({"_id": "actions.due_date"})
        return found["min"].date(), found["max"].date()

    today = clock.today()
    first = f.make_action(due=today + dt.timedelta(days=10))
    f.make_action(plan=first.plan, due=today + dt.timedelta(days=40))
    assert bounds() == (today + dt.timedelta(days=10), today + dt.timedelta(days=40))
    content.update(first, {"due_date": today + dt.timedelta(days=90)}, SYSTEM, base_version=1)
    assert bounds() == (today + dt.timedelta(days=10), today + dt.timedelta(days=90))

    # The sweep narrows them to the data, once a day.
    summary = sweeps.refresh_list_bounds(clock.now())
    assert summary == {"action.due_date": 1}
    assert bounds() == (today + dt.timedelta(days=40), today + dt.timedelta(days=90))
    assert database()[dated_pages.BOUNDS].find_one()["count"] == 2
    assert sweeps.refresh_list_bounds(clock.now()) == {}


def test_my_actions_come_in_due_date_order(actions):
    lead = make_user("lead", "police")
    mine = [a.pk for a in plans.my_actions(lead)]
    query = plans.my_actions_query(lead)
    query["state"] = {"$in": list(plans.OPEN_STATUSES)}
    assert mine == plain(query, 0, plans.MY_ACTIONS_PAGE) and len(mine) == 25
    assert dated_pages.page_ids(Action, query, "due_date", skip=0, limit=25) == mine


def test_the_admin_list_and_the_api_read_by_windows_in_the_plain_order(actions, client,
                                                                       monkeypatch):
    """The pages people see, with windows in use, list what the plain query lists."""
    from ..conftest import AuthActions
    from .test_api import token_for

    windowed = []
    page_ids = dated_pages.page_ids

    def spy(*args, **kwargs):
        found = page_ids(*args, **kwargs)
        windowed.append(found is not None)
        return found

    monkeypatch.setattr(dated_pages, "page_ids", spy)

    titles = {item.pk: item.title for item in actions}
    in_progress = {"trashed": False, "agency": "police", "state": "in_progress"}
    assert dated_pages.page_ids(Action, in_progress, "due_date", skip=0, limit=20) is not None

    AuthActions(client).login()
    page = client.get("/admin/action/?flt0_agency_equals=police"
                      "&flt1_status_equals=in_progress").get_data(as_text=True)
    shown = list(dict.fromkeys(re.findall(r"\bAction \d+\b", page)))
    assert shown == [titles[pk] for pk in plain(in_progress, 0, 20)] and shown
    assert windowed.pop() is True

    lead = make_user("lead", "police")
    response = client.get("/api/v1/actions?per_page=30",
                          headers={"Authorization": f"Bearer {token_for(lead)}"})
    listed = [row["id"] for row in response.get_json()["items"]]
    mine = plans.my_actions_query(lead)
    assert listed == [str(pk) for pk in plain(mine, 0, 30)] and listed
    assert windowed.pop() is True
