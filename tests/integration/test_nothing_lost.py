"""Nothing typed is lost: a refused form comes back with everything typed and the reason at
the field; text over a limit is an error naming the limit, never a bare 413 page or a note
cut short; a value LIF stored never blocks saving an unrelated change.

Reported on the demo: editing any action's title failed with "Invalid email address" on its
lead's email (``…@police.demo.lif.local``, stored by LIF itself); filling only "How it was
measured" said "Nothing to save" and dropped it; a long progress note or an attachment over
the limit gave a bare 413 page and the text was lost; a delete said two things.
"""

from __future__ import annotations

import io

import lxml.html
import pytest

from lif.models import Action, Attachment, Review
from lif.seed import seed_demo

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user

LIMIT_PROGRESS = Action.progress.field.document_type.text.max_length  # 10,000


def tree_of(response):
    return lxml.html.fromstring(response.get_data(as_text=True))


def browser_form(tree, *, action_contains: str):
    """The form whose action contains ``action_contains``, as a browser would submit it."""
    form = next(f for f in tree.forms if action_contains in (f.get("action") or ""))
    return form, dict(form.form_values())


def error_at(tree, name: str) -> str:
    """The message shown at the field named ``name`` (its aria-describedby), or ""."""
    field = tree.xpath(f"//*[@name='{name}']")
    assert field, f"no field {name}"
    ids = (field[0].get("aria-describedby") or "").split()
    return " ".join(" ".join(tree.get_element_by_id(i).text_content().split()) for i in ids
                    if tree.xpath(f"//*[@id='{i}']"))


def value_of(tree, name: str) -> str:
    field = tree.xpath(f"//*[@name='{name}']")[0]
    return field.text_content() if field.tag == "textarea" else (field.get("value") or "")


@pytest.fixture
def lead(app, clean_db):
    client = app.test_client()
    AuthActions(client).login(make_user("lead", "police").email, PASSWORD)
    return client


@pytest.fixture
def action(clean_db):
    return f.make_action(agency="police", title="Brief response officers")


def update_form(client, action):
    """The one-form update on the action's page: ``(tree, values)``."""
    tree = tree_of(client.get(f"/admin/action/details/?id={action.pk}"))
    _, values = browser_form(tree, action_contains="/my_actions/update/")
    return tree, values


def post_update(client, values: dict, files: dict | None = None):
    data = {k: v for k, v in values.items()}
    data.update(files or {})
    return client.post("/admin/my_actions/update/", data=data,
                       content_type="multipart/form-data")


# --- the action's one-form update ---------------------------------------------------------


def test_a_measure_alone_is_refused_at_the_evidence_field_and_kept(lead, action):
    _, values = update_form(lead, action)
    values["measure"] = "Dip sample of 20 cases"
    response = post_update(lead, values)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Nothing to save" not in text
    tree = tree_of(response)
    assert value_of(tree, "measure") == "Dip sample of 20 cases"
    assert "what changed for practice" in error_at(tree, "evidence").lower()
    assert not Action.objects.get(pk=action.pk).evidence


def test_a_progress_note_over_the_limit_is_refused_naming_it_and_kept(lead, action):
    _, values = update_form(lead, action)
    note = "The briefing reached every team. " * 400  # 13,200 characters
    values["progress"] = note
    response = post_update(lead, values)
    assert response.status_code == 200
    tree = tree_of(response)
    assert "10,000" in error_at(tree, "progress")
    assert value_of(tree, "progress").strip() == note.strip()
    assert Action.objects.get(pk=action.pk).progress == []  # not stored cut short


def test_a_progress_note_longer_than_a_form_field_holds_is_not_a_413(lead, action):
    _, values = update_form(lead, action)
    values["progress"] = "x" * 700_000
    values["evidence"] = "What changed: the teams use the form."
    response = post_update(lead, values)
    assert response.status_code == 200
    tree = tree_of(response)
    assert "10,000" in error_at(tree, "progress")
    assert value_of(tree, "evidence") == "What changed: the teams use the form."
    assert Action.objects.get(pk=action.pk).progress == []


def test_an_attachment_over_the_limit_keeps_the_rest_of_the_form(app, lead, action,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "LIF_MAX_UPLOAD_MB", 1)
    _, values = update_form(lead, action)
    values["progress"] = "Audit done in March."
    values["evidence"] = "17 of 20 cases show the change."
    values["measure"] = "Dip sample"
    big = (io.BytesIO(b"a,b\n" + b"1,2\n" * 300_000), "dip sample.csv")  # 1.2 MB
    response = post_update(lead, values, {"evidence_file": big})
    assert response.status_code == 200
    tree = tree_of(response)
    assert "1 MB" in error_at(tree, "evidence_file")
    assert value_of(tree, "progress") == "Audit done in March."
    assert value_of(tree, "evidence") == "17 of 20 cases show the change."
    assert value_of(tree, "measure") == "Dip sample"
    stored = Action.objects.get(pk=action.pk)
    assert stored.progress == [] and stored.evidence == []
    assert Attachment.objects.count() == 0


def test_a_refused_update_then_saved_goes_back_to_where_it_came_from(lead, action):
    _, values = update_form(lead, action)
    values["measure"] = "Dip sample"
    refused = tree_of(post_update(lead, values))
    _, again = browser_form(refused, action_contains="/my_actions/update/")
    again["evidence"] = "17 of 20 cases show the change."
    response = post_update(lead, again)
    assert response.status_code == 302
    assert f"/admin/action/details/?id={action.pk}" in response.headers["Location"]
    evidence = Action.objects.get(pk=action.pk).evidence
    assert [(e.description, e.measure) for e in evidence] == [
        ("17 of 20 cases show the change.", "Dip sample")]


# --- content forms -------------------------------------------------------------------------


def edit(client, item, changes: dict):
    """Post the item's edit form as a browser would, with ``changes``."""
    tree = tree_of(client.get(f"/admin/{item.type_key}/edit/?id={item.pk}"))
    form = next(f for f in tree.forms if "base_version" in f.fields)
    values = dict(form.form_values())
    values.update(changes)
    return client.post(f"/admin/{item.type_key}/edit/?id={item.pk}", data=values)


def test_a_demo_action_takes_a_new_title_despite_its_stored_lead_email(app, clean_db):
    seed_demo(password="demo password for the edit test")
    action = Action.objects(lead_email__endswith=".demo.lif.local").first()
    client = app.test_client()
    AuthActions(client).login()
    response = edit(client, action, {"title": "Embed the bruising guidance in induction"})
    assert response.status_code == 302, tree_of(response).text_content()[-800:]
    stored = Action.objects.get(pk=action.pk)
    assert stored.title == "Embed the bruising guidance in induction"
    assert stored.lead_email == action.lead_email


def test_a_typed_email_that_is_not_one_is_refused_at_the_field_keeping_the_rest(app, action):
    client = app.test_client()
    AuthActions(client).login()
    response = edit(client, action, {"title": "A new title", "lead_email": "not an address"})
    assert response.status_code == 200
    tree = tree_of(response)
    assert "Enter a valid email address." in tree.text_content()
    assert value_of(tree, "title") == "A new title"
    assert Action.objects.get(pk=action.pk).title == "Brief response officers"


@pytest.mark.parametrize("length", [20_001, 700_000])
def test_a_text_over_its_limit_is_a_form_error_naming_the_limit(app, clean_db, length):
    review = f.make_review()
    client = app.test_client()
    AuthActions(client).login()
    response = edit(client, review, {"summary": "s" * length, "reference": "LSCR 77"})
    assert response.status_code == 200
    tree = tree_of(response)
    assert "20,000" in tree.text_content()
    assert value_of(tree, "reference") == "LSCR 77"
    assert Review.objects.get(pk=review.pk).summary == ""


def test_a_delete_says_one_thing(app, clean_db):
    review = f.make_review()
    client = app.test_client()
    AuthActions(client).login()
    tree = tree_of(client.get("/admin/review/"))
    form = next(f for f in tree.forms if "/delete/" in (f.get("action") or ""))
    response = client.post(form.get("action"), data=dict(form.form_values()),
                           follow_redirects=True)
    messages = [" ".join(m.text_content().split()) for m in tree_of(response).xpath(
        "//div[contains(@class, 'alert')]")]
    assert len(messages) == 1, messages
    assert "moved to the trash" in messages[0]
    assert Review.objects.get(pk=review.pk).trashed
