"""Security: every URL behind a login, the role table, CSRF, operator injection, stored XSS,
formula injection in exports, cookie flags, login throttling and the password policy.

The expected statuses are written out here, from the roles in DESIGN.md; nothing is derived
from the application's own permission code, so a change there shows up as a failure here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile

import pytest
from bson import ObjectId
from openpyxl import load_workbook

from documents.writers import render
from lif import db as lif_db
from lif.actors import SYSTEM
from lif.errors import InvalidInput
from lif.models import (
    Action,
    ActionPlan,
    Activity,
    Attachment,
    Finding,
    Person,
    Referral,
    Review,
)
from lif.services import attachments, content, plans, searching, users

from .. import factories as f
from ..conftest import PASSWORD, AuthActions, make_user

ROLES_AGENCY = {"admin": None, "lead": "police", "pdc": None, "qaec": None, "ciec": "police",
                "chair": None, "training": None, "viewer": None}
LOGIN_PAGE = "/login"


# --- the world every sweep runs over ------------------------------------------------------------


@pytest.fixture
def world(clean_db):
    """One item of each kind, in states a lead of the police may and may not see."""
    review = f.make_review(title="Child W", findings=[Finding(text="Finding one.")])
    audit = f.make_audit()
    plan = f.make_plan(title="Plan W", review=review)
    police = f.make_action(plan=plan, agency="police", title="Police action")
    health = f.make_action(plan=plan, agency="health", title="Health action")
    referral = f.make_referral()
    request = f.make_information_request(referral=referral)
    pdc_review = f.make_pdc_review(plan=plan)
    meeting = f.make_meeting()
    attachment = attachments.add(review, "note.txt", b"hello", "text/plain", "hello", SYSTEM,
                                 check_permission=False)
    return {"review": review, "audit": audit, "action_plan": plan, "action": police,
            "other_action": health, "referral": referral, "information_request": request,
            "pdc_review": pdc_review, "meeting": meeting, "attachment": attachment}


API_ITEMS = {"plans": "action_plan", "actions": "action", "reviews": "review",
             "audits": "audit", "referrals": "referral"}


def _value(rule, name: str, world) -> str:
    path = rule.rule
    if name == "item_id":
        if path.startswith("/api/"):
            return str(world[API_ITEMS[path.split("/")[3]]].pk)
        return str(world["review"].pk)
    if name == "kind":
        return "csv" if "referral_register" in path else ("brief" if "<item_id>" in path
                                                        else "index")
    fixed = {
        "export_type": "csv",
        "audit_id": str(world["audit"].pk),
        "attachment_id": str(world["attachment"].pk),
        "assignment_id": str(ObjectId()),
        "tool_id": str(ObjectId()),
        "uid": "abc123",
        "rule": "random",
        "token": "not-a-real-token",
        "filename": "admin/js/filters.js" if path.startswith("/admin/static")
        else "lif.css",
    }
    return fixed[name]


def url_of(rule, world) -> str:
    """The rule's path with a plausible value for each of its variables."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: _value(rule, m.group(1), world),
                  rule.rule)


def rules(app):
    return sorted(app.url_map.iter_rules(), key=lambda r: r.rule)


def methods_of(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def csrf_token(client) -> str:
    return AuthActions(client).csrf(LOGIN_PAGE)


def request(client, method: str, url: str, token: str | None = None, data=None):
    if method == "GET":
        return client.get(url)
    body = dict(data or {})
    if token:
        body["csrf_token"] = token
    return client.open(url, method=method, data=body)


# --- (a) every URL, signed out -------------------------------------------------------------------

# What answers without signing in, and how (DESIGN.md: login, health, the public page).
PUBLIC = {
    ("/login", "GET"): 200,
    ("/login", "POST"): 400,           # no credentials: the form is refused, nobody signed in
    ("/healthz", "GET"): 200,
    ("/published", "GET"): 200,
    ("/published/file/<attachment_id>", "GET"): 404,   # not published
    ("/static/<path:filename>", "GET"): 200,
    ("/admin/static/<path:filename>", "GET"): 200,
    ("/calendar/<token>.ics", "GET"): 404,             # a bad token is "nothing here"
    ("/api/v1/openapi.json", "GET"): 200,             # the API's description, no data
}


def test_every_url_rule_is_closed_to_the_signed_out(app, client, world):
    token = csrf_token(client)  # a valid token: what refuses is the login check, not CSRF
    seen = []
    for rule in rules(app):
        for method in methods_of(rule):
            url = url_of(rule, world)
            response = request(client, method, url, token)
            seen.append((rule.rule, method))
            expected = PUBLIC.get((rule.rule, method))
            where = f"{method} {url}"
            if expected is not None:
                assert response.status_code == expected, where
            elif rule.rule.startswith("/api/"):
                assert response.status_code == 401, where
                assert response.is_json and "Bearer" in response.headers["WWW-Authenticate"]
            else:
                assert response.status_code == 302, (where, response.status_code)
                assert response.headers["Location"].startswith(LOGIN_PAGE), where
    assert len(seen) > 200  # the sweep really went over the whole map
    # Every public exception was met: the table has no stale entries.
    assert set(PUBLIC) <= set(seen)


def test_public_pages_reveal_nothing_unpublished(client, world):
    page = client.get("/published").get_data(as_text=True)
    assert "Child W" not in page and "Plan W" not in page
    assert client.get(f"/published/file/{world['attachment'].pk}").status_code == 404
    assert client.get("/published/file/not-an-id").status_code == 404
    health = client.get("/healthz").get_json()
    assert set(health) == {"status", "database", "version"}


# --- (a) every list and index page, by role --------------------------------------------------

INDEX_PAGES = [
    "/admin/", "/admin/review/", "/admin/audit/", "/admin/action_plan/", "/admin/action/",
    "/admin/referral/", "/admin/information_request/", "/admin/pdc_review/",
    "/admin/meeting/", "/admin/users/", "/admin/agencies/", "/admin/audit_trail/",
    "/admin/trash/", "/admin/messages/", "/admin/my_actions/", "/admin/audit_work/",
    "/admin/documents/", "/admin/referral_register/", "/admin/search/?q=child",
    "/admin/saved/", "/admin/preferences/", "/admin/plan_builder/?source=review&id={review}",
    "/admin/import_actions/?plan={action_plan}", "/admin/audit_work/{audit}/",
]
_ALL = {"admin": 200, "lead": 200, "pdc": 200, "qaec": 200, "ciec": 200, "chair": 200,
        "training": 200, "viewer": 200}


def _only(*roles: str, other: int = 403) -> dict[str, int]:
    return {role: 200 if role in roles else other for role in ROLES_AGENCY}


# Who opens what: reviews and plans are read by everyone; audits by the committees that run or
# scrutinise them and the leads that take part; the CIEC register and referrals (personal
# data) by the CIEC, the Chair and administrators; committee papers by committee members;
# administration by administrators only; every signed-in person has a dashboard, search,
# messages, saved searches and preferences.
EXPECTED = {
    "/admin/": _ALL,
    "/admin/review/": _ALL,
    "/admin/action_plan/": _ALL,
    "/admin/action/": _ALL,
    "/admin/audit/": _only("admin", "lead", "pdc", "qaec", "chair", "training"),
    "/admin/referral/": _only("admin", "ciec", "chair"),
    "/admin/information_request/": _only("admin", "ciec", "chair"),
    "/admin/pdc_review/": _only("admin", "pdc", "qaec", "ciec", "chair", "training"),
    "/admin/meeting/": _only("admin", "pdc", "qaec", "ciec", "chair", "training"),
    "/admin/users/": _only("admin"),
    "/admin/agencies/": _only("admin"),
    "/admin/audit_trail/": _only("admin"),
    "/admin/trash/": _only("admin"),
    "/admin/messages/": _ALL,
    "/admin/my_actions/": _only("admin", "lead", "training"),
    "/admin/audit_work/": _only("admin", "lead", "pdc", "qaec", "chair", "training"),
    "/admin/audit_work/{audit}/": _only("admin", "lead", "pdc", "qaec", "chair", "training"),
    "/admin/documents/": _ALL,
    "/admin/referral_register/": _only("admin", "ciec", "chair"),
    "/admin/search/?q=child": _ALL,
    "/admin/saved/": _ALL,
    "/admin/preferences/": _ALL,
    # Making a plan from a review's findings: those who write plans (a lead for their agency).
    "/admin/plan_builder/?source=review&id={review}": _only("admin", "lead", "training"),
    # Importing actions into a draft multi-agency plan: those who may edit it.
    "/admin/import_actions/?plan={action_plan}": _only("admin", "training"),
}


def test_the_expected_table_covers_every_index_page():
    assert list(EXPECTED) == INDEX_PAGES


@pytest.mark.parametrize("role", list(ROLES_AGENCY))
def test_each_role_gets_exactly_its_pages(client, world, role):
    user = make_user(role, ROLES_AGENCY[role])
    auth = AuthActions(client)
    assert auth.login(user.email).status_code == 302
    ids = {key: str(item.pk) for key, item in world.items()}
    wrong = []
    for page, by_role in EXPECTED.items():
        response = client.get(page.format(**ids))
        if response.status_code != by_role[role]:
            wrong.append((page, response.status_code, by_role[role]))
        assert response.status_code != 500, page
    assert not wrong, f"{role}: (page, got, expected) {wrong}"


def test_a_lead_sees_only_their_agency_s_actions_everywhere(client, world):
    lead = make_user("lead", "police")
    AuthActions(client).login(lead.email)
    police, health = world["action"], world["other_action"]
    listing = client.get("/admin/action/").get_data(as_text=True)
    assert str(police.pk) in listing and str(health.pk) not in listing
    assert client.get(f"/admin/action/details/?id={health.pk}").status_code in (302, 403, 404)
    assert client.get(f"/admin/action/edit/?id={health.pk}").status_code in (302, 403, 404)
    csv_text = client.get("/admin/action/export/csv/").get_data(as_text=True)
    assert "Police action" in csv_text and "Health action" not in csv_text


# --- (b) CSRF: every POST of the admin, signed in, without a token -----------------------------


def _form_for(rule, world) -> dict:
    """Plausible form data, so a refusal is CSRF's and not an empty form's."""
    return {"id": str(world["review"].pk), "title": "CSRF was here", "text": "CSRF was here",
            "transition": "submit", "comment": "x", "type": "review", "name": "x",
            "progress": "CSRF was here", "q": "x", "email": "csrf@example.org",
            "password": PASSWORD, "number": "1", "rowid": str(world["review"].pk),
            "action": "delete", "url": "/admin/review/"}


def document_counts() -> dict[str, int]:
    database = lif_db.database()
    return {name: database[name].count_documents({})
            for name in database.list_collection_names() if not name.startswith("system.")}


def test_every_post_without_a_csrf_token_is_refused_and_stores_nothing(app, client, world):
    AuthActions(client).login()
    searching.drain()
    before = document_counts()
    posted = 0
    for rule in rules(app):
        for method in methods_of(rule):
            if method == "GET" or rule.rule.startswith("/api/"):
                continue
            url = url_of(rule, world)
            for form in (_form_for(rule, world), {**_form_for(rule, world),
                                                  "csrf_token": "forged-token"}):
                response = client.post(url, data=form)
                assert response.status_code == 400, (url, response.status_code)
                assert "did not come from LIF" in response.get_data(as_text=True), url
                posted += 1
    assert posted > 60
    assert document_counts() == before
    # Still signed in, and with the token the same session can act (the refusal was CSRF's).
    assert client.get("/admin/").status_code == 200


def test_a_token_from_another_session_is_refused(app, client, world):
    other = app.test_client()
    foreign = AuthActions(other).csrf(LOGIN_PAGE)
    AuthActions(client).login()
    before = Review.objects.count()
    response = client.post("/admin/review/new/", data={
        "csrf_token": foreign, "title": "Forged", "review_type": "scr"})
    assert response.status_code == 400
    assert Review.objects.count() == before


def test_the_api_never_accepts_the_session_cookie(client, world):
    """The API is exempt from CSRF because a browser's cookie is not a credential there."""
    AuthActions(client).login()
    action = world["action"]
    response = client.post(f"/api/v1/actions/{action.pk}/progress", json={"text": "via cookie"})
    assert response.status_code == 401
    assert Action.objects.get(pk=action.pk).progress == []


# --- (c) operator injection ---------------------------------------------------------------------


def _ids_listed(html: str, type_key: str) -> set[str]:
    return set(re.findall(rf"/admin/{type_key}/details/\?id=([0-9a-f]{{24}})", html))


INJECTED_ARGS = [
    "flt0_agency_equals[$ne]=x",
    "flt0_agency_equals=%7B%22%24ne%22%3A%20null%7D",
    "flt0_agency_equals[$gt]=",
    "flt1_title_contains=.*",
    "flt1_title_contains[$regex]=.*",
    "search=%7B%22%24ne%22%3Anull%7D",
    "search[$ne]=x",
    "search=.*",
    "search=%5C",
    "sort[$ne]=1",
    "page[$gt]=0",
    "page_size=100000",
    "id[$ne]=x",
]


def test_operator_injection_in_admin_list_filters_reveals_nothing(client, world):
    lead = make_user("lead", "police")
    AuthActions(client).login(lead.email)
    baseline = _ids_listed(client.get("/admin/action/").get_data(as_text=True), "action")
    assert baseline == {str(world["action"].pk)}
    for args in INJECTED_ARGS:
        response = client.get(f"/admin/action/?{args}")
        assert response.status_code in (200, 302, 400), (args, response.status_code)
        shown = _ids_listed(response.get_data(as_text=True), "action")
        assert shown <= baseline, args
        csv_export = client.get(f"/admin/action/export/csv/?{args}")
        assert csv_export.status_code in (200, 302, 400), args
        assert "Health action" not in csv_export.get_data(as_text=True), args
    for args in ("id[$ne]=x", "id=%7B%22%24ne%22%3Anull%7D", "id=000000000000000000000000"):
        response = client.get(f"/admin/action/details/?{args}")
        assert response.status_code in (302, 400, 403, 404), args
        assert "Health action" not in response.get_data(as_text=True)


def _api_headers(user) -> dict:
    return {"Authorization": f"Bearer {users.create_token(user.email, 'test')}"}


API_LISTS = {
    "plans": ("kind", "agency", "state", "source", "q"),
    "actions": ("agency", "state", "status", "plan", "rag", "overdue", "due_before",
                "due_after", "q"),
    "reviews": ("review_type", "state", "agency", "q"),
    "audits": ("audit_type", "state", "agency", "q"),
}
OPERATOR_VALUES = ['{"$ne": null}', '{"$gt": ""}', "[$ne]", ".*", "$where", "\\", "^"]


def test_operator_injection_in_every_api_parameter_is_400_or_harmless(client, world):
    lead = make_user("lead", "police")
    headers = _api_headers(lead)
    for segment, names in API_LISTS.items():
        baseline_response = client.get(f"/api/v1/{segment}", headers=headers)
        assert baseline_response.status_code == 200, segment
        baseline = {item["id"] for item in baseline_response.get_json()["items"]}
        for name in (*names, "page", "per_page"):
            queries = [f"{name}[$ne]=x", f"{name}[$gt]=", *(
                (name, value) for value in OPERATOR_VALUES)]
            for query in queries:
                if isinstance(query, tuple):
                    response = client.get(f"/api/v1/{segment}", headers=headers,
                                          query_string={query[0]: query[1]})
                else:
                    response = client.get(f"/api/v1/{segment}?{query}", headers=headers)
                where = (segment, query)
                assert response.status_code in (200, 400), (where, response.status_code)
                if response.status_code == 200:
                    shown = {item["id"] for item in response.get_json()["items"]}
                    assert shown <= baseline, where
    # One item by an injected id: never someone else's action.
    for item_id in ('{"$ne": null}', "[$ne]", str(world["other_action"].pk)):
        response = client.get(f"/api/v1/actions/{item_id}", headers=headers)
        assert response.status_code in (400, 403, 404), item_id


def test_operator_values_in_every_api_body_field_are_refused(client, world):
    lead = make_user("lead", "police")
    headers = _api_headers(lead)
    action = world["action"]
    bodies = {
        ("PATCH", f"/api/v1/actions/{action.pk}"): {
            "version": action.version, "status": "in_progress", "comment": "c", "title": "t",
            "description": "d", "lead_name": "n", "lead_email": "a@b.org",
            "due_date": "2030-01-01"},
        ("POST", f"/api/v1/actions/{action.pk}/progress"): {"text": "t"},
        ("POST", f"/api/v1/actions/{action.pk}/evidence"): {"description": "d", "measure": "m"},
    }
    for (method, url), body in bodies.items():
        for field in body:
            for hostile in ({"$ne": None}, {"$gt": ""}, ["$ne"], {"$set": {"agency": "health"}}):
                sent = {**body, field: hostile}
                response = client.open(url, method=method, json=sent, headers=headers)
                assert response.status_code == 400, (url, field, hostile, response.status_code)
        # Operators as the body's own keys.
        response = client.open(url, method=method, json={"$set": {"agency": "health"}},
                               headers=headers)
        assert response.status_code == 400, url
    fresh = Action.objects.get(pk=action.pk)
    assert fresh.version == action.version and fresh.agency == "police"
    assert fresh.progress == [] and fresh.evidence == []


def test_operator_injection_in_search_and_login_is_harmless(client, world):
    lead = make_user("lead", "police")
    headers = _api_headers(lead)
    for query in ('{"$ne": null}', "q[$ne]=x", "$where", "*", "title:*", "(", '"', "\\",
                  "principals:role\\:admin", "principals:*"):
        response = client.get("/api/v1/search", headers=headers, query_string={"q": query})
        assert response.status_code in (200, 400), query
        if response.status_code == 200:
            titles = {item["title"] for item in response.get_json()["items"]}
            assert not titles & {"Health action", "Referral T", "RFI police"}, query
    response = client.get("/api/v1/search?q[$ne]=x", headers=headers)
    assert response.status_code == 400
    AuthActions(client).login(lead.email)
    for query in ("q[$ne]=x", "q=%7B%22%24ne%22%3Anull%7D", "q=principals:*", "q=*:*",
                  "type[$ne]=x&q=action"):
        response = client.get(f"/admin/search/?{query}")
        assert response.status_code == 200, query
        page = response.get_data(as_text=True)
        assert "Health action" not in page and "Referral T" not in page, query
    AuthActions(client).logout()
    for email in ('{"$ne": null}', "admin@test.lif' || '1'=='1", ".*"):
        token = csrf_token(client)
        response = client.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token})
        assert response.status_code in (400, 401), email
    token = csrf_token(client)
    response = client.post("/login", data={"email[$ne]": "x", "password[$ne]": "x",
                                            "csrf_token": token})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302  # nobody signed in
