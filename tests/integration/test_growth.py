"""Growth stays linear: what an append stores is what was added, however many came before.

Measured in bytes (the database's own ``dbStats`` data size), never in time. 60 progress
notes of 10 KB grew a database from 12 MB to 46 MB when every note stored a full snapshot of
its action; each note must now cost about its own size.
"""

from __future__ import annotations

import pytest

from lif import db
from lif.actors import SYSTEM
from lif.models import Action
from lif.services import content, plans, searching, users

from .. import factories as f
from ..conftest import ADMIN_EMAIL, AuthActions, make_user
from .test_documents import all_xml

NOTE = 10_000  # characters, the most a progress note holds


def data_size() -> int:
    """The size of every document in the database, in bytes (what ``dbStats`` counts)."""
    searching.drain()  # the index queue is emptied as it would be in a running app
    return int(db.database().command("dbStats")["dataSize"])


def note(number: int) -> str:
    return (f"Update {number}: " + "briefings delivered to front-line teams; " * 300)[:NOTE]


@pytest.mark.parametrize("kind", ["progress", "evidence"])
def test_each_append_costs_what_it_adds_however_many_came_before(client, kind):
    # GIVEN an action
    action = f.make_action()
    lead = make_user("lead", "police")

    def append(number: int) -> None:
        if kind == "progress":
            plans.add_progress(action, note(number), lead)
        else:
            plans.add_evidence(action, note(number), "Dip sample of 20 cases", lead)

    # WHEN 60 notes of 10 KB are appended to it, one by one
    growth = []
    for number in range(60):
        before = data_size()
        append(number)
        growth.append(data_size() - before)

    # THEN each stored about its own size: the 60th no more than the first, and none near
    # twice a note (a snapshot of the action with every note before it stored each time)
    assert all(NOTE <= grown < 1.5 * NOTE for grown in growth), growth
    assert max(growth[-10:]) <= max(growth[:10]) * 1.05, growth
    fresh = Action.objects.get(pk=action.pk)
    assert len(getattr(fresh, kind)) == 60
    assert getattr(fresh, kind)[-1].at >= getattr(fresh, kind)[0].at


def test_an_action_with_many_notes_keeps_working_everywhere(client):
    # GIVEN an action with 300 progress notes and some evidence, and a version of it before
    action = f.make_action(title="Much noted")
    content.update(action, {"description": "Do it better"}, SYSTEM,
                   base_version=action.version)
    lead = make_user("lead", "police")
    for number in range(300):
        plans.add_progress(action, f"Note {number} about zanzibar", lead)
    plans.add_evidence(action, "Referrals now record the outcome", "Dip sample", lead)
    AuthActions(client).login()

    # THEN its page, the diff and revert of its versions, search, the API and the plan's
    # Word document all still show or find what they did
    page = client.get(f"/admin/action/details/?id={action.pk}").get_data(as_text=True)
    assert "Note 299 about zanzibar" in page and "Referrals now record the outcome" in page
    diff = client.get(f"/admin/action/diff/?id={action.pk}&a=1&b=2")
    assert diff.status_code == 200 and "better" in diff.get_data(as_text=True)
    reverted = content.revert(Action.objects.get(pk=action.pk), 1, SYSTEM)
    assert reverted.description == "Do Much noted"
    assert len(reverted.progress) == 300  # what leads reported is not undone by a revert
    found = searching.search(SYSTEM, "zanzibar", pagelen=100)
    assert found.total == 300 and {hit.type for hit in found.hits} == {"progress"}
    assert {hit.parent_id for hit in found.hits} == {str(action.pk)}
    token = users.create_token(ADMIN_EMAIL, "growth")
    body = client.get(f"/api/v1/actions/{action.pk}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["progress_count"] == 300 and len(body["progress"]) == 300
    assert body["evidence"][0]["description"] == "Referrals now record the outcome"
    word = client.get(f"/admin/documents/export/plan/{action.plan.pk}")
    assert word.status_code == 200
    assert "Note 299 about zanzibar" in all_xml(word.data)
