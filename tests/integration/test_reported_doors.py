"""The five findings of issue #11 ("one policy for every door"), each as it was reproduced:
through the web forms, signed in as the demo roles, with a real CSRF token.

Each test drives only HTTP and the factories, so it runs as well against the code as it was
(where each failed) as against the code now.
"""

from __future__ import annotations

import datetime as dt
import re

import lxml.html
import pytest

from lif.models import (
    Action,
    ActionPlan,
    AuditEvent,
    Finding,
    InformationRequest,
    Meeting,
    Person,
    Recommendation,
    Referral,
    User,
    Version,
)
from lif.services import content

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user

WORKSPACE = "/admin/audit_work"
CHILD = "Zebedee Quartermaine"
NEW_CHILD = "Ottoline Fairweather"


def sign_in(client, user):
    auth = AuthActions(client)
    if client.get("/login").status_code == 302:  # someone is signed in
        auth.logout()
    assert auth.login(user.email, PASSWORD).status_code == 302


def form_of(client, url: str) -> tuple[str, dict]:
    """The page's main form (the POST form with most fields, not the navbar's sign-out): its
    address and the values a browser would send."""
    page = client.get(url)
    assert page.status_code == 200, f"{url}: {page.status_code}"
    tree = lxml.html.fromstring(page.get_data(as_text=True))
    forms = [form for form in tree.forms
             if (form.method or "").upper() == "POST" and "csrf_token" in form.fields]
    assert forms, f"no form on {url}"
    form = max(forms, key=lambda candidate: len(candidate.fields))
    values: dict = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    for area in form.xpath(".//textarea"):  # a browser drops the newline after <textarea>
        name = area.get("name")
        if name in values:
            values[name] = [v[1:] if v.startswith("\n") else v for v in values[name]]
    return form.action or url, values


def post(client, url: str, values: dict):
    return client.post(url, data={k: v for k, v in values.items()})


def csrf(client) -> str:
    page = client.get("/admin/").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def stored(item) -> tuple[int, int]:
    """How many versions and audit events ``item`` has: a refused change adds neither."""
    return (Version.objects(object_id=str(item.pk)).count(),
            AuditEvent.objects(object_id=str(item.pk)).count())


# --- 1. personal data in the version diff -------------------------------------------------------


def test_the_diff_never_shows_a_child_to_an_uninvolved_ciec_member(client):
    referral = f.make_referral(agency="csc", child=Person(name=CHILD),
                               case_summary=f"{CHILD} was admitted.")
    content.update(referral, {"child": Person(name=NEW_CHILD)}, User.objects(
        email="admin@test.lif").first(), base_version=referral.version, note="Name corrected")
    outsider = make_user("ciec", "police")
    sign_in(client, outsider)
    for url in (f"/admin/referral/diff/?id={referral.pk}&a=1&b=2",
                f"/admin/referral/details/?id={referral.pk}"):
        page = client.get(url)
        assert page.status_code in (200, 403)  # not involved: now not shown at all
        text = page.get_data(as_text=True)
        assert CHILD not in text and NEW_CHILD not in text, url


# --- 2. granting oneself access; trashing another agency's referral ---------------------------


def test_a_ciec_member_cannot_add_their_agency_to_a_referral(client):
    referral = f.make_referral(agency="csc", child=Person(name=CHILD))
    before = stored(referral)
    # An outsider's form, forged: the referral is not theirs to change.
    outsider = make_user("ciec", "police")
    sign_in(client, outsider)
    response = client.post(f"/admin/referral/edit/?id={referral.pk}", data={
        "csrf_token": csrf(client), "base_version": str(referral.version),
        "title": referral.title, "reasons": referral.reasons, "agency": "csc",
        "agencies": ["csc", "police"]})
    assert response.status_code == 403
    # The referring agency's own member edits it, but cannot widen who is involved.
    member = make_user("ciec", "csc")
    sign_in(client, member)
    action, values = form_of(client, f"/admin/referral/edit/?id={referral.pk}")
    assert "agencies" not in values  # not offered: the CIEC chair's or business manager's
    values["agencies"] = ["csc", "police"]
    assert post(client, action, values).status_code in (302, 403)  # ignored or refused
    referral.reload()
    assert "police" not in referral.agencies and stored(referral) == before
    sign_in(client, outsider)
    assert CHILD not in client.get(
        f"/admin/referral/details/?id={referral.pk}").get_data(as_text=True)


def test_only_an_administrator_trashes_a_referral(client):
    referral = f.make_referral(agency="csc", child=Person(name=CHILD))
    for user in (make_user("ciec", "police"), make_user("ciec", "csc")):
        sign_in(client, user)
        response = client.post("/admin/referral/delete/",
                               data={"id": str(referral.pk), "csrf_token": csrf(client)})
        assert response.status_code == 403, user.email
        assert not Referral.objects(pk=referral.pk).first().trashed


# --- 3. cross-agency writes by a workforce lead through the forms --------------------------------


@pytest.fixture
def lead_world(clean_db):
    review = f.make_review(findings=[Finding(text="Agencies did not share information.")])
    shared = f.make_plan(title="Shared draft plan", review=review)
    ratified = f.in_state(f.make_plan(title="Ratified plan", review=review), "ratified")
    health_own = f.make_plan(title="Health's own plan", kind="single_agency", agency="alder_hey",
                             review=review)
    mine = f.make_action(plan=shared, agency="police", title="Police action")
    return {"review": review, "shared": shared, "ratified": ratified, "health_own": health_own,
            "mine": mine, "lead": make_user("lead", "police")}


def test_a_lead_cannot_move_their_action_to_another_agency(client, lead_world):
    action = lead_world["mine"]
    sign_in(client, lead_world["lead"])
    url, values = form_of(client, f"/admin/action/edit/?id={action.pk}")
    values["agency"] = ["alder_hey"]
    before = stored(action)
    assert post(client, url, values).status_code == 403
    action.reload()
    assert action.agency == "police" and stored(action) == before


def _new_action(client, plan, agency="police"):
    url, values = form_of(client, f"/admin/action/new/?plan={plan.pk}")
    values.update({"title": ["Sneaked in"], "description": ["Sneaked in"],
                   "lead_name": ["A Lead"], "lead_email": ["a.lead@example.org"],
                   "agency": [agency], "due_date": [str(dt.date.today() + dt.timedelta(days=60))],
                   "plan": [str(plan.pk)]})
    return post(client, url, values)


def test_a_lead_cannot_add_an_action_to_another_agency_s_plan(client, lead_world):
    sign_in(client, lead_world["lead"])
    response = _new_action(client, lead_world["health_own"])
    # A plan they cannot see is not a choice (the form comes back) or is refused outright.
    assert response.status_code in (200, 403)
    assert not Action.objects(title="Sneaked in").first()


def test_a_lead_cannot_add_an_action_to_a_ratified_plan(client, lead_world):
    sign_in(client, lead_world["lead"])
    response = _new_action(client, lead_world["ratified"])
    assert response.status_code == 403
    assert not Action.objects(title="Sneaked in").first()


def test_a_lead_may_add_their_agency_s_action_to_a_shared_draft_plan(client, lead_world):
    sign_in(client, lead_world["lead"])
    response = _new_action(client, lead_world["shared"])
    assert response.status_code == 302
    assert Action.objects(title="Sneaked in").first().plan.pk == lead_world["shared"].pk


def test_a_lead_cannot_make_a_multi_agency_plan_from_an_audit_recommendation(client):
    audit = f.make_audit(findings=[Finding(uid="f1", text="Few plans were shared.")],
                         recommendations=[Recommendation(uid="r1", text="Share plans.",
                                                         finding_uid="f1")])
    audit = f.in_state(audit, "actions_agreed")
    lead = make_user("lead", "police")
    sign_in(client, lead)
    fields = {"target": "new", "plan_title": "Lead's shared plan",
              "plan_kind": "multi_agency", "title": "Share plans", "lead_name": "A Lead",
              "lead_email": "a.lead@example.org", "agency": "police",
              "due_date": str(dt.date.today() + dt.timedelta(days=60))}
    response = client.post(f"{WORKSPACE}/{audit.pk}/recommendations/r1/action", data={
        "csrf_token": csrf(client), **{f"rr1-{k}": v for k, v in fields.items()}})
    assert response.status_code in (200, 403)
    assert not ActionPlan.objects(title="Lead's shared plan").first()


# --- 4. a PDC member and CIEC meetings -------------------------------------------------------


def test_a_pdc_member_cannot_trash_a_ciec_meeting(client):
    meeting = f.make_meeting("ciec")
    sign_in(client, make_user("pdc"))
    response = client.post("/admin/meeting/delete/",
                           data={"id": str(meeting.pk), "csrf_token": csrf(client)})
    assert response.status_code == 403
    assert not Meeting.objects(pk=meeting.pk).first().trashed


# --- 5. accepting a referral keeps every agency already named -----------------------------------


def test_accepting_keeps_the_agencies_named_and_records_the_change(client):
    make_user("ciec", "police")  # an agency with a CIEC member joins at acceptance
    admin = User.objects(email="admin@test.lif").first()
    referral = f.make_referral(agency="csc", agencies=["csc", "alder_hey"],
                               child=Person(name=CHILD))
    versions, events = stored(referral)
    sign_in(client, admin)
    url, values = form_of(client, f"/admin/referral/details/?id={referral.pk}")
    response = client.post("/admin/referral/transition/", data={
        "csrf_token": csrf(client), "id": str(referral.pk), "transition": "accept",
        "base_version": str(referral.version)})
    assert response.status_code == 302
    referral.reload()
    assert referral.state == "accepted"
    assert {"csc", "alder_hey", "police"} <= set(referral.agencies)
    assert InformationRequest.objects(referral=referral, agency="alder_hey").first()
    after_versions, after_events = stored(referral)
    # the transition's version and event, and one more of each for the agencies it added
    assert after_versions >= versions + 2 and after_events >= events + 2
    changes = [e.changes for e in AuditEvent.objects(object_id=str(referral.pk), action="update")]
    assert any("agencies" in c for c in changes)
