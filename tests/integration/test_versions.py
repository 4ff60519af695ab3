"""Versions, diff, revert and edit conflicts."""

from __future__ import annotations

import re

import pytest

from lif import versioning
from lif.errors import Conflict
from lif.models import Action, AuditEvent, Version
from lif.services import content

from .. import factories as f
from ..conftest import AuthActions, make_user


def test_hundreds_of_sequential_saves_number_versions_without_gaps(clean_db):
    action = f.make_action()
    user = make_user("admin")
    for i in range(300):
        content.update(action, {"description": f"step {i}"}, user, base_version=action.version)
    numbers = sorted(v.number for v in Version.objects(object_id=str(action.pk)).only("number"))
    assert numbers == list(range(1, 302))
    assert action.version == 301


def test_saving_without_a_change_stores_no_version(clean_db):
    action = f.make_action()
    content.update(action, {"description": action.description}, make_user("admin"),
                   base_version=action.version)
    assert Version.objects(object_id=str(action.pk)).count() == 1


def test_diff_shows_changed_fields_and_an_inline_word_diff_for_long_text(clean_db):
    review = f.make_review(overview="The guidance on bruising is unequivocal. " * 5)
    content.update(review, {"overview": "The guidance on bruising in babies is clear. " * 5,
                            "reference": "LSCR 9"}, make_user("admin"), base_version=1)
    old, new = versioning.get_version(review, 1), versioning.get_version(review, 2)
    rows = {row["field"]: row for row in versioning.diff(old.snapshot, new.snapshot)}
    assert set(rows) == {"overview", "reference"}
    assert "<del>unequivocal.</del>" in rows["overview"]["inline"]
    assert "<ins>" in rows["overview"]["inline"]
    assert rows["reference"]["new"] == "LSCR 9" and rows["reference"]["inline"] is None


def test_revert_is_a_new_version_with_the_old_content(clean_db):
    review = f.make_review(summary="first")
    admin = make_user("admin")
    content.update(review, {"summary": "second"}, admin, base_version=1)
    content.revert(review, 1, admin)
    assert review.summary == "first"
    assert review.version == 3
    assert versioning.get_version(review, 3).note == "Reverted to version 1"


def test_saving_over_a_newer_version_is_refused_and_says_who(clean_db):
    action = f.make_action()
    first, second = make_user("admin"), make_user("training")
    content.update(action, {"description": "mine"}, first, base_version=1)
    stale = Action.objects.get(pk=action.pk)
    stale.version = 1  # what the second person's form was based on
    with pytest.raises(Conflict) as error:
        content.update(stale, {"description": "theirs"}, second, base_version=1)
    assert first.email in error.value.message
    assert Action.objects.get(pk=action.pk).description == "mine"


def _edit_form(client, action_id):
    page = client.get(f"/admin/action/edit/?id={action_id}").get_data(as_text=True)
    token = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    version = re.search(r'id="base_version" name="base_version" type="hidden" value="(\d+)"',
                        page)
    return token.group(1), version.group(1)


def test_two_clients_edit_the_same_action_over_http_one_wins_one_is_told(app, clean_db):
    action = f.make_action(agency="police")
    alice, bob = app.test_client(), app.test_client()
    AuthActions(alice).login(make_user("training").email)
    AuthActions(bob).login(make_user("lead", "police").email)
    token_a, version_a = _edit_form(alice, action.pk)
    token_b, version_b = _edit_form(bob, action.pk)
    assert version_a == version_b == "1"
    fields = {"title": action.title, "plan": str(action.plan.pk), "lead_name": "Named Lead",
              "lead_email": "named.lead@example.org", "agency": "police",
              "due_date": action.due_date.isoformat()}
    first = alice.post(f"/admin/action/edit/?id={action.pk}", data={
        **fields, "csrf_token": token_a, "base_version": version_a,
        "description": "Alice's wording"})
    assert first.status_code == 302
    second = bob.post(f"/admin/action/edit/?id={action.pk}", data={
        **fields, "csrf_token": token_b, "base_version": version_b,
        "description": "Bob's wording"})
    page = second.get_data(as_text=True)
    assert second.status_code == 200
    assert "Not saved" in page and "training@test.lif" in page
    assert "Bob&#39;s wording" in page or "Bob's wording" in page  # his text is still in the form
    stored = Action.objects.get(pk=action.pk)
    assert stored.description == "Alice's wording" and stored.version == 2
    assert AuditEvent.objects(object_id=str(action.pk), action="update").count() == 1


def test_crafted_transition_post_is_forbidden_and_changes_nothing(client):
    action = f.make_action(agency="police")
    AuthActions(client).login(make_user("lead", "alder_hey").email)
    token = AuthActions(client).csrf("/admin/")
    response = client.post("/admin/action/transition/", data={
        "csrf_token": token, "id": str(action.pk), "transition": "start", "base_version": "1"})
    assert response.status_code == 403
    assert Action.objects.get(pk=action.pk).state == "not_started"


def test_transition_button_over_http_fires_and_records(client):
    action = f.make_action(agency="police")
    AuthActions(client).login(make_user("lead", "police").email)
    page = client.get(f"/admin/action/details/?id={action.pk}").get_data(as_text=True)
    assert 'value="start"' in page and 'value="verify"' not in page
    token = AuthActions(client).csrf("/admin/")
    response = client.post("/admin/action/transition/", data={
        "csrf_token": token, "id": str(action.pk), "transition": "start", "base_version": "1"})
    assert response.status_code == 302
    assert Action.objects.get(pk=action.pk).state == "in_progress"
