"""Choices, not typing: what LIF already knows is chosen from a list, never typed or shown as
an internal id.

An audit's participants were typed ("Alder Hey" was accepted and became an agency of its own
in returns and findings); a recommendation's finding was a hand-typed "Finding Uid" beside a
raw "Uid *" field. Now the agency is chosen from the agencies (adding one stays an
administrator's job), the finding from the audit's own findings, and no id is typed.
"""

from __future__ import annotations

import datetime as dt

import lxml.html
import pytest

from lif.actors import SYSTEM
from lif.models import AgendaItem, Audit, Finding, Participant, Recommendation
from lif.services import content

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user


@pytest.fixture
def qaec(app, clean_db):
    client = app.test_client()
    AuthActions(client).login(make_user("qaec").email, PASSWORD)
    return client


def edit_form(client, audit):
    """The audit's edit form as a browser has it: ``(form element, the page's tree)``."""
    response = client.get(f"/admin/audit/edit/?id={audit.pk}")
    assert response.status_code == 200
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    form = next(f for f in tree.forms if f.get("method", "").lower() == "post"
                and "base_version" in f.fields)
    return form, tree


def submit(client, audit, changes: dict):
    """Post the edit form as the browser would, with ``changes`` made to it."""
    form, _ = edit_form(client, audit)
    data = dict(form.form_values())
    data.update(changes)
    return client.post(f"/admin/audit/edit/?id={audit.pk}", data=data)


def labels_of(tree) -> list[str]:
    return [" ".join(label.text_content().split()) for label in tree.xpath("//form//label")]


def test_a_participant_is_chosen_from_the_agencies(qaec):
    audit = f.make_audit(participants=[Participant(agency="police",
                                                   lead_auditor="a@police.example.org")])
    form, tree = edit_form(qaec, audit)
    agency = tree.xpath("//select[@name='participants-0-agency']")
    assert agency, "the participant's agency is a choice"
    options = {o.get("value"): o.text_content() for o in agency[0].xpath("./option")}
    assert options["police"] == "Merseyside Police"
    assert "alder_hey" in options


def test_a_typed_agency_is_refused_at_the_field_and_nothing_stored(qaec):
    audit = f.make_audit(participants=[Participant(agency="police",
                                                   lead_auditor="a@police.example.org")])
    response = submit(qaec, audit, {"participants-1-agency": "Alder Hey",
                                    "participants-1-lead_auditor": "b@alder-hey.example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Not a valid choice" in page or "choose one of the agencies" in page
    assert "b@alder-hey.example.org" in page  # what was typed is kept
    assert [p.agency for p in Audit.objects.get(pk=audit.pk).participants] == ["police"]


def test_a_chosen_agency_is_stored_by_its_key(qaec):
    audit = f.make_audit()
    response = submit(qaec, audit, {"participants-0-agency": "alder_hey",
                                    "participants-0-lead_auditor": "b@alder-hey.example.org"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    stored = Audit.objects.get(pk=audit.pk)
    assert [(p.agency, p.lead_auditor) for p in stored.participants] == [
        ("alder_hey", "b@alder-hey.example.org")]


def test_a_stored_participant_outside_the_list_does_not_block_another_change(qaec):
    audit = f.make_audit()
    # Typed before the agency became a choice: kept as it is until someone corrects it.
    Audit.objects(pk=audit.pk).update_one(
        set__participants=[Participant(agency="Alder Hey", lead_auditor="")])
    response = submit(qaec, audit.reload(), {"scope": "Referrals in March"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    stored = Audit.objects.get(pk=audit.pk)
    assert stored.scope == "Referrals in March"
    assert [p.agency for p in stored.participants] == ["Alder Hey"]


def test_a_recommendation_chooses_its_finding_and_no_id_is_typed(qaec):
    audit = f.make_audit(findings=[Finding(text="Chronologies were not read."),
                                   Finding(text="Outcomes were not shared.")])
    content.update(audit, {"recommendations": [Recommendation(text="Read the chronology.")]},
                   SYSTEM, base_version=audit.version)
    form, tree = edit_form(qaec, audit.reload())
    labels = labels_of(tree)
    assert not [label for label in labels if "uid" in label.lower()], labels
    visible = [i for i in tree.xpath("//form//input") if i.get("type") != "hidden"]
    assert not [i.get("name") for i in visible if "uid" in (i.get("name") or "")]
    finding = tree.xpath("//select[@name='recommendations-0-finding_uid']")
    assert finding, "the recommendation's finding is a choice"
    options = [o.text_content() for o in finding[0].xpath("./option")]
    assert "2. Outcomes were not shared." in options
    second = audit.findings[1].uid
    response = submit(qaec, audit, {"recommendations-0-finding_uid": second})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    assert Audit.objects.get(pk=audit.pk).recommendations[0].finding_uid == second


def test_a_finding_not_of_the_audit_is_refused(qaec):
    audit = f.make_audit(findings=[Finding(text="Chronologies were not read.")])
    content.update(audit, {"recommendations": [Recommendation(text="Read the chronology.")]},
                   SYSTEM, base_version=audit.version)
    response = submit(qaec, audit.reload(), {"recommendations-0-finding_uid": "0123456789ab"})
    assert response.status_code == 200
    assert Audit.objects.get(pk=audit.pk).recommendations[0].finding_uid == ""


def test_an_audit_theme_is_chosen_from_the_themes(qaec):
    audit = f.make_audit()
    _, tree = edit_form(qaec, audit)
    theme = tree.xpath("//select[@name='theme']")
    assert theme, "the audit's theme is a choice"
    options = {o.get("value"): o.text_content() for o in theme[0].xpath("./option")}
    assert options["domestic_abuse"] == "Domestic Abuse"
    response = submit(qaec, audit, {"theme": "Neglectt"})
    assert response.status_code == 200
    assert Audit.objects.get(pk=audit.pk).theme == ""


def test_a_new_audit_takes_its_participants_from_the_list(qaec):
    page = qaec.get("/admin/audit/new/").get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    form = next(f for f in tree.forms if f.get("method", "").lower() == "post")
    data = dict(form.form_values())
    data.update({"title": "Neglect 2027", "audit_type": "multi_agency",
                 "participants-0-agency": "Alder Hey",
                 "participants-0-lead_auditor": "a@alder-hey.example.org",
                 "start_date": dt.date(2027, 1, 4).isoformat()})
    response = qaec.post("/admin/audit/new/", data=data)
    assert response.status_code == 200
    assert Audit.objects.count() == 0


def test_a_participant_without_a_lead_auditor_is_refused_where_it_was_typed(qaec):
    audit = f.make_audit()
    response = submit(qaec, audit, {"participants-0-agency": "police",
                                    "participants-0-lead_auditor": "",
                                    "scope": "Referrals in March"})
    assert response.status_code == 200
    tree = lxml.html.fromstring(response.get_data(as_text=True))
    assert "give the lead auditor's email" in tree.text_content()
    assert tree.xpath("//textarea[@name='scope']")[0].text_content().strip() == "Referrals in March"
    assert Audit.objects.get(pk=audit.pk).participants == []


def test_a_meeting_form_neither_shows_nor_asks_for_an_agenda_item_id(app, clean_db):
    referral = f.make_referral()
    meeting = f.make_meeting()
    content.update(meeting, {"agenda": [AgendaItem(part="Part 1", title="CIEC 26/31",
                                                   item_ref=str(referral.pk))]},
                   SYSTEM, base_version=meeting.version)
    client = app.test_client()
    AuthActions(client).login()
    page = client.get(f"/admin/meeting/edit/?id={meeting.pk}").get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    assert not [label for label in labels_of(tree) if "ref" in label.lower()]
    shown = [i for i in tree.xpath("//form//input") if i.get("type") != "hidden"]
    assert str(referral.pk) not in " ".join(i.get("value") or "" for i in shown)
    form = next(f for f in tree.forms if "base_version" in f.fields)
    data = dict(form.form_values())
    data["agenda-0-decision"] = "Refer to the Chair"
    response = client.post(f"/admin/meeting/edit/?id={meeting.pk}", data=data)
    assert response.status_code == 302
    stored = type(meeting).objects.get(pk=meeting.pk).agenda[0]
    assert (stored.item_ref, stored.decision) == (str(referral.pk), "Refer to the Chair")
