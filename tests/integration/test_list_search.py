"""A list's search box (the search index, paged by rank) gives exactly what the plain way
gives: every match the search page shows, in its order, kept when the list's query (the
permission filter and the list's filters) selects it in the database."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from bson import ObjectId

from lif import clock, policy
from lif.actors import SYSTEM
from lif.models import Action
from lif.services import content, searching
from lif.services.content import NewItem

from .. import factories as f
from ..conftest import make_user

WORDS = ["alpha", "beta", "gamma", "delta", "police", "school", "health", "review"]
AGENCIES = ["police", "csc", "education"]


@pytest.fixture
def listed(clean_db):
    """90 actions with titles of a few common words, across agencies, leads and due dates."""
    rng = random.Random(7)
    plans = [f.make_plan(title=f"Plan {n}") for n in range(2)]
    today = clock.today()
    rows = [NewItem(Action, {
        "title": " ".join(rng.sample(WORDS, rng.randrange(1, 4))) + f" {n}",
        "plan": plans[n % 2], "description": rng.choice(WORDS) + " work",
        "lead_name": "Lead", "agency": rng.choice(AGENCIES),
        "lead_email": "named@example.org" if n % 7 == 0 else f"lead{n % 3}@example.org",
        "due_date": today + dt.timedelta(days=rng.randrange(-60, 200))})
        for n in range(90)]
    content.create_many(rows, SYSTEM, note="")
    searching.drain()
    return today


def plain(user, words: str, query: dict) -> list:
    """Every action the search page finds for ``words``, in its order, that ``query``
    selects in the database."""
    hits, page = [], 1
    while True:
        found = searching.search(user, words, page=page, pagelen=100)
        hits += [hit.id for hit in found.hits if hit.type == "action"]
        if page >= found.pages:
            break
        page += 1
    selected = {str(doc["_id"]) for doc in Action._get_collection().find(
        {"$and": [{"_id": {"$in": [ObjectId(i) for i in hits]}}, query]}, {"_id": 1})}
    return [ident for ident in hits if ident in selected]


def _ids(page) -> list:
    return [str(item.pk) for item in page.items]


FILTERS = [
    {},
    {"agency": "csc"},
    {"agency": {"$in": ["police", "education"]}},
    {"lead_email": "named@example.org"},
    {"due_date": {"$lt": dt.datetime.combine(dt.date.today(), dt.time())}},
]


@pytest.mark.parametrize("who", ["admin", "lead"])
@pytest.mark.parametrize("words", ["alpha", "police", "gamma delta", "beta OR school",
                                   '"alpha beta"', "work"])
def test_every_page_of_a_list_search_is_the_plain_result(listed, who, words):
    user = (make_user("admin") if who == "admin"
            else make_user("lead", agency="police", email="named@example.org"))
    for extra in FILTERS:
        query = policy.and_query(policy.view_filter(user, "action"), extra)
        everything = plain(user, words, query)
        for limit in (3, 10):
            seen, after, pages = [], None, []
            while True:  # following "next" links
                page = searching.list_matches(user, Action, words, query, limit=limit,
                                              after=after)
                pages.append(page)
                seen += _ids(page)
                assert len(page.items) <= limit
                if not page.more_after:
                    break
                after = page.last_rank
            assert seen == everything, (words, extra, limit)
            assert pages[-1].total >= len(everything)
            # and "previous" links from the last page lead back through the same pages
            back, page = [], pages[-1]
            for earlier in reversed(pages[:-1]):
                if not page.more_before:
                    break
                page = searching.list_matches(user, Action, words, query, limit=limit,
                                              before=page.first_rank)
                assert _ids(page) == _ids(earlier)
                back.append(page)
            assert len(back) == len(pages) - 1


def test_a_lead_finds_only_what_they_may_see(listed):
    lead = make_user("lead", agency="csc", email="someone@example.org")
    query = policy.view_filter(lead, "action")
    found = searching.list_matches(lead, Action, "police", query, limit=100)
    assert found.items and {item.agency for item in found.items} == {"csc"}
    assert [str(item.pk) for item in found.items] == plain(lead, "police", query)
