"""Lists read window by window give exactly the plain query's pages, in every order."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from bson import ObjectId

from lif import clock, list_pages, policy
from lif.actors import SYSTEM
from lif.db import database
from lif.list_pages import Position
from lif.models import Action, ActionPlan
from lif.services import content, worklist
from lif.services.content import NewItem

from .. import factories as f
from ..conftest import make_user

STATES = ["not_started", "in_progress", "complete", "verified", "cancelled"]
AGENCIES = ["police", "police", "csc", "education", "alder_hey"]


@pytest.fixture
def actions(clean_db, monkeypatch):
    """240 actions over two years, in clusters with long gaps and ties, across agencies,
    states, named leads and titles (some shared); fence posts every 7 rows."""
    monkeypatch.setattr(list_pages, "FENCE_STEP", 7)
    monkeypatch.setattr(list_pages, "FENCES_FROM", 50)
    list_pages.forget_fences()
    rng = random.Random(11)
    plans = [f.make_plan(title=f"Plan {n}") for n in range(3)]
    today = clock.today()
    days = ([rng.randrange(0, 10) for _ in range(90)] + [rng.randrange(300, 303) for _ in range(60)]
            + [rng.randrange(11, 730) for _ in range(88)] + [5, 5])
    rows = [NewItem(Action, {
        "title": f"Action {rng.randrange(200)}" if n % 5 else "Shared title",
        "plan": plans[n % 3], "description": "Do it.", "lead_name": "Lead",
        "lead_email": "named@example.org" if n % 9 == 4 else f"lead{n % 4}@example.org",
        "agency": rng.choice(AGENCIES), "due_date": today + dt.timedelta(days=day)})
        for n, day in enumerate(days)]
    created = content.create_many(rows, SYSTEM, note="")
    moment = clock.now()
    for n, item in enumerate(created):
        Action.objects(pk=item.pk).update_one(
            set__state=rng.choice(STATES),
            set__modified_at=moment - dt.timedelta(minutes=rng.randrange(0, 5000) if n % 6
                                                   else 7))
    Action.objects(pk=created[0].pk).update_one(set__trashed=True)
    list_pages.refresh_fences(Action, clock.now(), force=True)
    yield created
    list_pages.forget_fences()


def plain(query, field, descending=False, start=None, skip=0, limit=1000):
    direction = -1 if descending else 1
    if start is not None:
        query = {"$and": [query, list_pages._beyond(field, start, direction)]}
    found = Action._get_collection().find(query, {"_id": 1}).sort(
        [(field, direction), ("_id", direction)]).skip(skip).limit(limit)
    return [doc["_id"] for doc in found]


QUERIES = [
    {"trashed": False},
    {"trashed": False, "agency": "police"},
    {"trashed": False, "agency": "police", "state": "in_progress"},
    {"trashed": False, "agency": "police", "state": {"$in": ["not_started", "in_progress"]}},
    {"trashed": False, "state": {"$in": ["complete", "verified", "cancelled"]}},
    # a lead's: their agency's, or the ones they are named to lead
    {"trashed": False, "$or": [{"agency": "csc"}, {"lead_email": "named@example.org"}]},
    # and a filter on top (as policy.and_query / the admin's filters build it)
    {"$and": [{"trashed": False, "$or": [{"agency": "csc"},
                                         {"lead_email": "named@example.org"}]},
              {"state": "complete"}]},
    {"$and": [{"trashed": False, "agency": "police"}, {"agency": "csc"}]},  # nothing
    {"trashed": False, "lead_name": {"$regex": "ea", "$options": "i"}},
    {"trashed": False, "due_date": {"$gte": dt.datetime.combine(clock.today(), dt.time())}},
    {"trashed": False, "agency": "education",
     "$nor": [{"state": {"$nin": ["complete", "verified"]},
               "due_date": {"$lt": dt.datetime.combine(clock.today(), dt.time())}}]},
    {"trashed": False, "title": {"$regex": "^Action 1"}},
]
FIELDS = ["due_date", "title", "modified_at"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("query", QUERIES)
def test_every_page_is_the_plain_querys_page(actions, query, field, descending):
    everything = plain(query, field, descending)
    for limit in (4, 25):
        position, seen = None, []
        while True:  # following "next" links
            page = list_pages.read(Action, query, field, descending=descending,
                                   after=position, limit=limit)
            assert page.ids == plain(query, field, descending, position, limit=limit)
            seen += page.ids
            assert page.more == (len(seen) < len(everything))
            if not page.more:
                break
            position = page.position(-1)
        assert seen == everything
    for skip in (0, 3, 40, 200):
        page = list_pages.read(Action, query, field, descending=descending, skip=skip,
                               limit=15)
        assert page.ids == plain(query, field, descending, skip=skip, limit=15)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("descending", [False, True])
def test_previous_pages_lead_back_to_the_first(actions, field, descending):
    query = {"trashed": False, "$or": [{"agency": "police"}, {"lead_email": "named@example.org"}]}
    everything = plain(query, field, descending)
    last = list_pages.read(Action, query, field, descending=descending,
                           after=Position(*_key(everything[-25], field)), limit=10)
    assert last.ids == everything[-24:-14]
    page, back = last, []
    while True:
        page = list_pages.read(Action, query, field, descending=descending,
                               before=page.position(0), limit=10)
        back = page.ids + back
        if not page.more:
            break
    assert back == everything[:len(back)]
    assert back + last.ids == everything[:len(back) + 10]


def _key(ident, field):
    doc = Action._get_collection().find_one({"_id": ident}, {field: 1})
    return doc.get(field), ident


def test_the_lists_are_read_by_windows(actions):
    query = {"trashed": False, "$or": [{"agency": "csc"}, {"lead_email": "named@example.org"}]}
    for field in FIELDS:
        assert list_pages.read(Action, query, field, limit=10).windowed


def test_stale_or_missing_fence_posts_cost_time_not_rows(actions):
    query = {"trashed": False, "agency": "police"}
    fences = database()[list_pages.FENCES]
    middle = dt.datetime.combine(clock.today() + dt.timedelta(days=100), dt.time())
    fences.update_one({"_id": "actions.due_date"}, {"$set": {"posts": [[middle, ObjectId()]]}})
    list_pages.forget_fences()
    for descending in (False, True):
        page = list_pages.read(Action, query, "due_date", descending=descending, limit=30)
        assert page.windowed
        assert page.ids == plain(query, "due_date", descending, limit=30)
    fences.delete_many({})
    list_pages.forget_fences()
    page = list_pages.read(Action, query, "due_date", limit=30)
    assert not page.windowed and page.ids == plain(query, "due_date", limit=30)


def test_rows_added_after_the_posts_are_in_their_place(actions):
    plan = ActionPlan.objects.first()
    far = clock.today() + dt.timedelta(days=3000)
    early = clock.today() - dt.timedelta(days=3000)
    for day, title in ((far, "zzz last"), (early, "AAA first")):
        item = content.create(Action, {"title": title, "plan": plan, "description": "x",
                                       "lead_name": "L", "lead_email": "l@example.org",
                                       "agency": "police", "due_date": far}, SYSTEM)
        Action.objects(pk=item.pk).update_one(set__due_date=day)  # before the plan: no form
    query = {"trashed": False, "agency": "police"}
    for field in ("due_date", "title"):
        for descending in (False, True):
            page = list_pages.read(Action, query, field, descending=descending, limit=5)
            assert page.windowed
            assert page.ids == plain(query, field, descending, limit=5)


def test_a_mongodb_server_is_asked_the_plain_way(actions, monkeypatch):
    monkeypatch.setattr(list_pages.db, "embedded_server", lambda: None)
    assert not list_pages.read(Action, {"trashed": False}, "title", limit=5).windowed


def test_short_lists_keep_no_fence_posts(actions, monkeypatch):
    monkeypatch.setattr(list_pages, "FENCES_FROM", 10_000)
    list_pages.refresh_fences(Action, clock.now(), force=True)
    assert not list_pages.read(Action, {"trashed": False}, "title", limit=5).windowed


def test_fence_posts_are_refreshed_once_a_day_unless_forced(actions):
    assert not list_pages.refresh_fences(Action, clock.now())
    assert list_pages.refresh_fences(Action, clock.now() + dt.timedelta(days=1))


@pytest.mark.parametrize("value", [dt.datetime(2026, 5, 1, 10, 30), "Action: 7 . x", None, 42])
def test_positions_survive_a_link(value):
    position = Position(value, ObjectId())
    assert list_pages.decode(list_pages.encode(position)) == position


ANY_ID = "6b11a9bacc82b999295ac1f2"  # (fixed: test ids must be the same in every process)


@pytest.mark.parametrize("text", ["", "x", "nonsense.sabc", f"{ANY_ID}.dnot-a-date",
                                  f"{ANY_ID}.q1", "a" * 2000, f"{ANY_ID}.i1e9"])
def test_a_mangled_position_means_the_first_page(text):
    assert list_pages.decode(text) is None


@pytest.mark.parametrize("query", QUERIES + [
    {"agencies": "police"}, {"agencies": {"$in": ["csc"]}}, {"agencies": {"$nin": ["csc"]}},
    {"agencies": {"$ne": "csc"}}, {"completed_on": None}, {"completed_on": {"$exists": True}},
    {"completed_on": {"$ne": None}}, {"last_pdc_verdict": {"$nin": ["challenged"]}},
])
def test_the_matcher_agrees_with_the_database(actions, query):
    collection = Action._get_collection()
    for n, doc in enumerate(collection.find()):
        if n % 3 == 0:
            collection.update_one({"_id": doc["_id"]}, {"$set": {"agencies": ["police", "csc"]}})
        if n % 4 == 0:
            collection.update_one({"_id": doc["_id"]}, {"$set": {"completed_on": doc["due_date"]}})
    expected = {doc["_id"] for doc in collection.find(query, {"_id": 1})}
    assert {doc["_id"] for doc in collection.find() if list_pages.matches(doc, query)} == expected


def test_what_waits_for_a_lead_is_the_plain_querys_first_rows(actions):
    lead = make_user("lead", agency="csc", email="named@example.org")
    query = {"$and": [policy.view_filter(lead, "action"),
                      {"state": {"$in": ["in_progress", "not_started"]}}]}
    assert list_pages.read(Action, query, "modified_at", descending=True, limit=10).windowed
    [group] = [g for g in worklist.waiting_for(lead, limit=10) if g["type_key"] == "action"]
    expected = plain(query, "modified_at", descending=True, limit=10)
    assert len(expected) == 10 < len(plain(query, "modified_at"))
    assert [item.pk for item in group["items"]] == expected
