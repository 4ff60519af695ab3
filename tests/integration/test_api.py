"""The JSON API over HTTP: tokens, lists, permissions, writes, bad input and its description."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from lif.models import Action, Attachment, AuditEvent, Finding, Person, Version
from lif.services import users
from lif.services.api_queries import combine

from ..conftest import ADMIN_EMAIL, AuthActions, make_user
from ..factories import (
    add_evidence,
    in_state,
    make_action,
    make_audit,
    make_plan,
    make_referral,
    make_review,
)

DATA = Path(__file__).resolve().parent.parent / "data"
API = "/api/v1"


def token_for(user) -> str:
    return users.create_token(user.email, "tests")


class Api:
    """A test client that sends one user's bearer token."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **kwargs):
        return self.client.get(API + path, headers=self.headers, **kwargs)

    def post(self, path: str, **kwargs):
        return self.client.post(API + path, headers=self.headers, **kwargs)

    def patch(self, path: str, **kwargs):
        return self.client.patch(API + path, headers=self.headers, **kwargs)


@pytest.fixture
def admin_api(client):
    return Api(client, token_for(users.find_by_email(ADMIN_EMAIL)))


@pytest.fixture
def lead_api(client):
    return Api(client, token_for(make_user("lead", "police")))


def stored(action) -> dict:
    """What the database holds for ``action`` now, and what goes with it."""
    doc = Action.objects(pk=action.pk).first().to_mongo().to_dict()
    return {
        "doc": doc,
        "versions": Version.objects(object_id=str(action.pk)).count(),
        "events": AuditEvent.objects(object_id=str(action.pk)).count(),
        "attachments": Attachment.objects.count(),
    }


def old_plan(days: int = 100, **kwargs):
    """A plan created ``days`` ago, so its actions can be overdue."""
    plan = make_plan(**kwargs)
    type(plan).objects(pk=plan.pk).update_one(
        set__created_at=dt.datetime.now() - dt.timedelta(days=days))
    plan.reload()
    return plan


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == status and body["error"]
    assert isinstance(body["fields"], dict)
    if field is not None:
        assert field in body["fields"], body
    return body


# --- authentication ---------------------------------------------------------------------------


def test_missing_token_is_401_with_bearer_challenge(client):
    response = client.get(f"{API}/me")
    assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [
    "Bearer lif_00000000_not-a-real-token",
    "Bearer nonsense",
    "Basic YWRtaW46cGFzc3dvcmQ=",
    "Bearer ",
])
def test_invalid_token_is_401(client, header):
    response = client.get(f"{API}/actions", headers={"Authorization": header})
    assert_error(response, 401)
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_revoked_token_is_401(client):
    token = token_for(make_user("lead", "police"))
    assert Api(client, token).get("/me").status_code == 200
    users.revoke_token("lead.police@test.lif", token.split("_")[1])
    response = Api(client, token).get("/me")
    assert_error(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_of_deactivated_account_is_401(client):
    user = make_user("lead", "police")
    token = token_for(user)
    users.update_user(user, name=user.name, roles=["lead"], agency="police", active=False)
    assert_error(Api(client, token).get("/me"), 401)


def test_session_cookie_alone_is_401_and_writes_nothing(client):
    action = make_action()
    before = stored(action)
    assert AuthActions(client).login().status_code == 302
    assert client.get("/admin/").status_code == 200  # the browser session works
    assert_error(client.get(f"{API}/me"), 401)
    assert_error(client.get(f"{API}/actions"), 401)
    response = client.post(f"{API}/actions/{action.pk}/progress", json={"text": "via cookie"})
    assert_error(response, 401)
    assert stored(action) == before


def test_me_describes_the_token_owner(client):
    user = make_user("lead", "police")
    token = token_for(user)
    body = Api(client, token).get("/me").get_json()
    assert body["email"] == user.email
    assert body["roles"] == ["lead"]
    assert body["agency"]["key"] == "police" and body["agency"]["name"]
    assert body["token"]["prefix"] == token.split("_")[1]
    assert "token_hash" not in json.dumps(body) and "password" not in json.dumps(body)


# --- lists: filters and pagination -------------------------------------------------------------


def test_actions_page_through_in_due_date_order(admin_api):
    plan = make_plan()
    today = dt.date.today()
    for n in range(5):
        make_action(plan, title=f"Paged {n}", due=today + dt.timedelta(days=40 + n))
    seen, path = [], "/actions?per_page=2"
    pages = 0
    while path:
        body = admin_api.get(path).get_json()
        assert body["per_page"] == 2 and len(body["items"]) <= 2
        seen += [item["title"] for item in body["items"]]
        path = body["next"][len(API):] if body["next"] else None
        pages += 1
    assert pages == 3
    assert seen == [f"Paged {n}" for n in range(5)]
    last = admin_api.get("/actions?per_page=2&page=3").get_json()
    assert [item["title"] for item in last["items"]] == ["Paged 4"]
    assert last["next"] is None
    # "prev" links lead back, page by page, to the first
    back = admin_api.get(last["prev"][len(API):]).get_json()
    assert [item["title"] for item in back["items"]] == ["Paged 2", "Paged 3"]
    first = admin_api.get(back["prev"][len(API):]).get_json()
    assert [item["title"] for item in first["items"]] == ["Paged 0", "Paged 1"]
    assert first["prev"] is None and first["next"]
    assert admin_api.get("/actions?per_page=2&page=9").get_json()["items"] == []
    assert admin_api.get("/actions?after=nonsense").status_code == 400


def test_action_item_shape(admin_api):
    plan = make_plan(title="Shape plan")
    action = make_action(plan, title="Shape", due=dt.date.today() + dt.timedelta(days=10))
    item = admin_api.get("/actions").get_json()["items"][0]
    assert item["id"] == str(action.pk) and item["type"] == "action"
    assert item["status"] == "not_started" and item["rag"] == "amber"
    assert item["due_date"] == action.due_date.isoformat()
    assert item["agency"] == {"key": "police", "name": "Merseyside Police"}
    assert item["plan"]["title"] == "Shape plan"
    assert item["lead"] == {"name": "Named Lead", "email": "named.lead@example.org"}
    assert item["version"] == 1 and item["created_at"].endswith("Z")
    assert item["links"]["self"] == f"{API}/actions/{action.pk}"
    assert "progress" not in item  # the detail carries the lists
    detail = admin_api.get(f"/actions/{action.pk}").get_json()
    assert detail["progress"] == [] and detail["evidence"] == []
    assert detail["workflow_history"] == []


def test_action_filters(admin_api):
    today = dt.date.today()
    plan, other_plan = old_plan(title="P1"), make_plan(title="P2")
    late = make_action(plan, title="Late police", due=today - dt.timedelta(days=3))
    soon = make_action(plan, agency="csc", title="Soon csc", due=today + dt.timedelta(days=5))
    later = make_action(other_plan, title="Later police", due=today + dt.timedelta(days=90))
    in_state(later, "in_progress")

    def titles(query: str) -> set[str]:
        response = admin_api.get(f"/actions?{query}")
        assert response.status_code == 200, response.get_json()
        return {item["title"] for item in response.get_json()["items"]}

    assert titles("agency=csc") == {"Soon csc"}
    assert titles("state=in_progress") == {"Later police"}
    assert titles("status=in_progress") == {"Later police"}
    assert titles(f"plan={plan.pk}") == {"Late police", "Soon csc"}
    assert titles("rag=red") == {"Late police"}
    assert titles("rag=amber") == {"Soon csc"}
    assert titles("rag=green") == {"Later police"}
    assert titles("overdue=1") == {"Late police"}
    assert titles("overdue=0") == {"Soon csc", "Later police"}
    assert titles(f"due_before={today.isoformat()}") == {"Late police"}
    assert titles(f"due_after={(today + dt.timedelta(days=5)).isoformat()}") == {"Later police"}
    assert titles("q=POLICE") == {"Late police", "Later police"}
    assert titles("q=.*") == set()  # text, not a pattern
    assert titles("agency=police&overdue=0") == {"Later police"}
    assert soon and late


def test_plan_filters(admin_api):
    review = make_review(title="Source review")
    make_plan(title="Multi", review=review)
    make_plan(title="Police only", kind="single_agency", agency="police")
    make_plan(title="Other learning", source_kind="other", source_other="A learning brief",
              review=None)

    def titles(query: str) -> set[str]:
        response = admin_api.get(f"/plans?{query}")
        assert response.status_code == 200, response.get_json()
        return {item["title"] for item in response.get_json()["items"]}

    assert titles("kind=single_agency") == {"Police only"}
    assert titles("agency=police") == {"Police only"}
    assert titles("source=other") == {"Other learning"}
    assert titles("state=draft") == {"Multi", "Police only", "Other learning"}
    assert titles("state=ratified") == set()
    plan = next(p for p in admin_api.get("/plans?q=multi").get_json()["items"])
    assert plan["source"] == {"kind": "review", "id": str(review.pk), "title": "Source review",
                              "link": f"{API}/reviews/{review.pk}"}
    assert plan["links"]["actions"] == f"{API}/actions?plan={plan['id']}"


def test_reviews_and_audits_list_and_get(admin_api):
    finding = Finding(text="Information was not shared.")
    review = make_review(title="SCR Child Q", findings=[finding])
    make_review(title="Thematic", review_type="multi_agency_thematic")
    audit = make_audit(title="Neglect audit")
    body = admin_api.get("/reviews?review_type=scr").get_json()
    assert [r["title"] for r in body["items"]] == ["SCR Child Q"]
    assert body["items"][0]["review_type"]["key"] == "scr"
    detail = admin_api.get(f"/reviews/{review.pk}").get_json()
    assert detail["findings"][0]["text"] == "Information was not shared."
    assert [a["title"] for a in admin_api.get("/audits").get_json()["items"]] == ["Neglect audit"]
    assert admin_api.get(f"/audits/{audit.pk}").get_json()["audit_type"]["key"] == "multi_agency"
    assert_error(admin_api.get(f"/reviews/{audit.pk}"), 404)
    assert_error(admin_api.get("/reviews/not-an-id"), 404)


# --- the same permissions as the admin ---------------------------------------------------------


def test_lead_sees_what_the_admin_shows_them(client, lead_api):
    multi = make_plan(title="Multi plan")
    police = make_plan(title="Police plan", kind="single_agency", agency="police")
    make_plan(title="Health plan", kind="single_agency", agency="alder_hey")
    make_action(multi, title="Police act")
    make_action(police, title="Police own act")
    make_action(multi, agency="csc", title="Social care act")

    plans = {p["title"] for p in lead_api.get("/plans").get_json()["items"]}
    actions = {a["title"] for a in lead_api.get("/actions").get_json()["items"]}
    assert plans == {"Multi plan", "Police plan"}
    assert actions == {"Police act", "Police own act"}
    own = {a["title"] for a in lead_api.get("/actions?agency=police").get_json()["items"]}
    assert own == actions
    assert lead_api.get("/actions?agency=csc").get_json()["items"] == []
    # The same as the admin lists for the same person, signed in through the browser.
    browser = client.application.test_client()
    AuthActions(browser).login("lead.police@test.lif")
    plan_page = browser.get("/admin/action_plan/").get_data(as_text=True)
    action_page = browser.get("/admin/action/").get_data(as_text=True)
    for title in ("Multi plan", "Police plan", "Health plan"):
        assert (title in plan_page) == (title in plans)
    for title in ("Police act", "Police own act", "Social care act"):
        assert (title in action_page) == (title in actions)


def test_lead_cannot_get_another_agencys_action(lead_api):
    """403, as the admin answers: ids are random, and the refusal says why."""
    other = make_action(agency="csc", title="Not yours")
    assert_error(lead_api.get(f"/actions/{other.pk}"), 403)
    assert_error(lead_api.post(f"/actions/{other.pk}/progress", json={"text": "x"}), 403)
    assert Action.objects(pk=other.pk).first().progress == []


def test_referrals_are_redacted_by_role(client):
    child = Person(name="Child A", date_of_birth=dt.date(2015, 3, 1))
    referral = make_referral(title="Referral R", agency="police", child=child,
                             significant_people=[Person(name="Parent B", role="mother")])
    path = f"/referrals/{referral.pk}"

    # A CIEC member of an agency the referral does not involve does not see it at all, as in
    # the admin and in search.
    outsider = Api(client, token_for(make_user("ciec", "csc"))).get(path)
    assert outsider.status_code == 403
    assert "Child A" not in outsider.get_data(as_text=True)

    involved = Api(client, token_for(make_user("ciec", "police"))).get(path).get_json()
    assert involved["child"]["name"] == "Child A" and involved["redacted"] == []
    assert involved["significant_people"][0]["name"] == "Parent B"
    chair = Api(client, token_for(make_user("chair"))).get(path).get_json()
    assert chair["child"]["date_of_birth"] == "2015-03-01"

    # Lists never carry personal data, whoever asks.
    admin = Api(client, token_for(users.find_by_email(ADMIN_EMAIL)))
    listed = admin.get("/referrals").get_json()["items"]
    assert listed[0]["redacted"] == ["child", "significant_people"]
    assert "Child A" not in json.dumps(listed)

    # A lead who did not refer it does not see it; their list holds only their own referrals.
    lead = Api(client, token_for(make_user("lead", "police")))
    assert_error(lead.get(path), 403)
    assert lead.get("/referrals").get_json()["items"] == []


# --- writes: progress, evidence, changes -------------------------------------------------------


def test_add_progress_records_who_and_from_where(lead_api):
    action = make_action()
    response = lead_api.post(f"/actions/{action.pk}/progress",
                             json={"text": "Briefings delivered to 40 officers."})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["progress"][0]["text"] == "Briefings delivered to 40 officers."
    assert body["progress"][0]["author"] == "lead.police@test.lif"
    # A note is a record of its own: the action is not changed (no new version to base on).
    assert body["version"] == 1 and body["progress_count"] == 1
    event = AuditEvent.objects(object_id=str(action.pk), action="update").first()
    assert event.actor == "lead.police@test.lif" and event.address == "127.0.0.1"


def test_add_evidence_as_json_and_with_a_file(lead_api):
    action = make_action()
    response = lead_api.post(f"/actions/{action.pk}/evidence", json={
        "description": "Referral quality improved", "measure": "Dip sample of 20"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["evidence"][0]["measure"] == "Dip sample of 20"
    upload = {"description": "Audit report", "measure": "Re-audit",
              "file": (io.BytesIO((DATA / "good.docx").read_bytes()), "report.docx")}
    response = lead_api.post(f"/actions/{action.pk}/evidence", data=upload,
                             content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    evidence = response.get_json()["evidence"][1]
    assert len(evidence["attachments"]) == 1
    assert Attachment.objects(item_id=str(action.pk)).first().name == "report.docx"
    events = AuditEvent.objects(object_id=str(action.pk), address="127.0.0.1")
    assert {e.action for e in events} >= {"update", "attach"}


def test_patch_changes_fields_and_status(lead_api):
    action = make_action()
    response = lead_api.patch(f"/actions/{action.pk}", json={
        "version": 1, "lead_name": "New Lead", "status": "in_progress", "comment": "Started"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["lead"]["name"] == "New Lead" and body["status"] == "in_progress"
    assert body["version"] == 3
    changes = AuditEvent.objects(object_id=str(action.pk), address="127.0.0.1")
    assert {e.action for e in changes} == {"update", "transition"}


def test_patch_with_a_stale_version_is_409_and_changes_nothing(client):
    action = make_action()
    first = Api(client, token_for(make_user("lead", "police")))
    second = Api(client, token_for(make_user("training")))
    # Both read version 1; both save.
    assert first.get(f"/actions/{action.pk}").get_json()["version"] == 1
    ok = first.patch(f"/actions/{action.pk}", json={"version": 1, "lead_name": "First"})
    assert ok.status_code == 200
    before = stored(action)
    late = second.patch(f"/actions/{action.pk}", json={"version": 1, "lead_name": "Second"})
    body = assert_error(late, 409, "version")
    assert "lead.police@test.lif" in body["error"]
    assert body["current"]["version"] == 2
    assert body["current"]["modified_by"] == "lead.police@test.lif"
    assert stored(action) == before
    assert Action.objects(pk=action.pk).first().lead_name == "First"
    status_only = second.patch(f"/actions/{action.pk}", json={"version": 1, "status": "cancelled",
                                                              "comment": "dup"})
    assert_error(status_only, 409, "version")
    assert stored(action) == before


def test_patch_without_version_is_400(lead_api):
    action = make_action()
    before = stored(action)
    assert_error(lead_api.patch(f"/actions/{action.pk}", json={"lead_name": "X"}), 400, "version")
    assert_error(lead_api.patch(f"/actions/{action.pk}", json={"version": "1"}), 400, "version")
    assert_error(lead_api.patch(f"/actions/{action.pk}", json={"version": True}), 400, "version")
    assert stored(action) == before


def test_status_changes_the_workflow_forbids(client, lead_api):
    action = make_action()
    before = stored(action)
    # A lead may not verify; nor may anyone verify an action that is not complete.
    body = assert_error(lead_api.patch(f"/actions/{action.pk}", json={
        "version": 1, "status": "verified", "lead_name": "Changed too"}), 403, "status")
    assert "verified" in body["error"]
    assert stored(action) == before
    # The admin may verify a complete action, but impact is the gate: no evidence, no verify.
    in_state(action, "complete")
    before = stored(action)
    admin = Api(client, token_for(users.find_by_email(ADMIN_EMAIL)))
    body = assert_error(admin.patch(f"/actions/{action.pk}", json={
        "version": action.version, "status": "verified", "lead_name": "Changed too"}),
        409, "status")
    assert "evidence" in body["error"]
    assert stored(action) == before
    # Reopening needs a comment.
    add_evidence(action)
    in_state(action, "verified")
    before = stored(action)
    assert_error(admin.patch(f"/actions/{action.pk}", json={
        "version": action.version, "status": "in_progress"}), 400, "comment")
    assert_error(admin.patch(f"/actions/{action.pk}", json={
        "version": action.version, "status": "finished"}), 400, "status")
    assert stored(action) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"due_date": "2000-01-01"}, "due_date"),
    ({"due_date": "next week"}, "due_date"),
    ({"agency": "atlantis"}, "agency"),
    ({"lead_email": "not an email"}, "lead_email"),
    ({"lead_name": ""}, "lead_name"),
    ({"lead_name": {"$set": "x"}}, "lead_name"),
    ({"state": "verified"}, "state"),
    ({"version": 2}, None),
])
def test_patch_bad_input_names_the_field_and_stores_nothing(lead_api, body, field):
    """Issue 4's bad input: a due date before the plan was created, an unknown agency, a lead
    email that is not one; also a wrong type or an unknown field."""
    action = make_action()
    before = stored(action)
    response = lead_api.patch(f"/actions/{action.pk}", json={"version": 1, **body})
    if field is None:  # the version is from the future: a conflict like any other
        assert_error(response, 409, "version")
    else:
        assert_error(response, 400, field)
    assert stored(action) == before


def test_moving_an_action_out_of_the_leads_agency_is_refused(lead_api):
    action = make_action()
    before = stored(action)
    assert_error(lead_api.patch(f"/actions/{action.pk}", json={"version": 1, "agency": "csc"}),
                 403, "agency")
    single = make_action(make_plan(kind="single_agency", agency="police"))
    assert_error(lead_api.patch(f"/actions/{single.pk}", json={"version": 1, "agency": "csc"}),
                 400, "agency")
    assert stored(action) == before


@pytest.mark.parametrize("name", ["not_word.docx", "zipbomb.docx", "encrypted.docx",
                                  "truncated.docx", "empty.docx"])
def test_refused_evidence_file_is_400_and_stores_nothing(lead_api, name):
    action = make_action()
    before = stored(action)
    upload = {"description": "See the attached report",
              "file": (io.BytesIO((DATA / name).read_bytes()), name)}
    response = lead_api.post(f"/actions/{action.pk}/evidence", data=upload,
                             content_type="multipart/form-data")
    assert_error(response, 400, "file")
    assert stored(action) == before


def test_too_large_upload_is_413_json(app, lead_api, monkeypatch):
    action = make_action()
    before = stored(action)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    upload = {"description": "Big", "file": (io.BytesIO(b"x" * 10000), "big.csv")}
    response = lead_api.post(f"/actions/{action.pk}/evidence", data=upload,
                             content_type="multipart/form-data")
    assert_error(response, 413, "file")
    assert stored(action) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"text": {"$ne": None}}, "text"),
    ({"text": ["a"]}, "text"),
    ({"text": "   "}, "text"),
    ({}, "text"),
    ({"text": "ok", "author": "someone@else"}, "author"),
    (["text"], "body"),
])
def test_progress_body_is_checked(lead_api, body, field):
    action = make_action()
    before = stored(action)
    assert_error(lead_api.post(f"/actions/{action.pk}/progress", json=body), 400, field)
    assert stored(action) == before


def test_non_json_bodies_are_refused(lead_api):
    action = make_action()
    before = stored(action)
    response = lead_api.post(f"/actions/{action.pk}/progress", data={"text": "form"})
    assert_error(response, 415, "body")
    response = lead_api.post(f"/actions/{action.pk}/progress", data="{not json",
                             content_type="application/json")
    assert_error(response, 400, "body")
    assert_error(lead_api.post(f"/actions/{action.pk}/evidence", json={
        "description": {"$gt": ""}}), 400, "description")
    assert stored(action) == before


# --- filters that are not filters --------------------------------------------------------------


@pytest.mark.parametrize(("query", "field"), [
    ("agency[$ne]=x", "agency[$ne]"),
    ("agency=%7B%22%24ne%22%3A%20null%7D", "agency"),
    ("agency=atlantis", "agency"),
    ("state=$ne", "state"),
    ("rag=purple", "rag"),
    ("overdue=maybe", "overdue"),
    ("due_before=31/12/2026", "due_before"),
    ("due_after=2026-02-30", "due_after"),
    ("plan=$where", "plan"),
    ("page=abc", "page"),
    ("page=0", "page"),
    ("page=-1", "page"),
    ("per_page=101", "per_page"),
    ("per_page=1e2", "per_page"),
    ("agency=police&agency=csc", "agency"),
    ("sort=title", "sort"),
    (f"q={'x' * 201}", "q"),
])
def test_bad_list_parameters_are_400_naming_the_parameter(admin_api, query, field):
    make_action()
    assert_error(admin_api.get(f"/actions?{query}"), 400, field)


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/plans", "kind=both", "kind"),
    ("/plans", "source=gossip", "source"),
    ("/plans", "rag=red", "rag"),
    ("/reviews", "review_type=scr%00", "review_type"),
    ("/audits", "audit_type=x", "audit_type"),
    ("/referrals", "state=published", "state"),
])
def test_each_list_checks_its_own_parameters(admin_api, path, query, field):
    assert_error(admin_api.get(f"{path}?{query}"), 400, field)


# --- the description -------------------------------------------------------------------------


def test_openapi_describes_every_route(client, app):
    response = client.get(f"{API}/openapi.json")  # no token needed
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(f"{API}/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    described = {(path, method) for path, item in document["paths"].items()
                 for method in item if method in {"get", "post", "patch", "put", "delete"}}
    assert routes == described
    assert len(routes) >= 15
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["responses"], (path, method)
            if path != "/openapi.json":
                assert "401" in operation["responses"], (path, method)
    params = {p["name"] for p in document["paths"]["/actions"]["get"]["parameters"]}
    assert {"agency", "state", "plan", "rag", "overdue", "due_before", "due_after", "q",
            "page", "per_page"} <= params


def test_filters_join_the_permission_query_flat_where_they_can():
    """A flat query uses a compound index; ``$and`` only where two conditions cannot merge."""
    lead_base = {"trashed": False, "agency": "police"}
    assert combine(lead_base, {"agency": "police"}, {"state": "complete"}) == {
        "trashed": False, "agency": "police", "state": "complete"}
    assert combine({"trashed": False, "state": {"$in": ["a", "b"]}}, {"state": "a"}) == {
        "trashed": False, "state": "a"}
    assert combine({"trashed": False}, {"due_date": {"$lt": 2}}, {"due_date": {"$gte": 1}}) == {
        "trashed": False, "due_date": {"$lt": 2, "$gte": 1}}
    assert combine(lead_base, {"agency": "csc"}) == {"$and": [lead_base, {"agency": "csc"}]}
    assert "$and" in combine({"trashed": False, "state": {"$in": ["a"]}}, {"state": "b"})
    assert "$and" in combine({"$or": [{"a": 1}]}, {"$or": [{"b": 1}]})
