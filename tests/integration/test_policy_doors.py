"""Door parity: one decision, whichever door a change comes through.

Each case is a person (a role and their relation to the item: own agency or another, involved
in a referral or not), an item and an operation, with the decision written out here from the
roles in DESIGN.md and the source (never derived from ``lif/policy.py``). Each case is tried
through every door that has the operation — the admin form POST with a valid CSRF token, the
JSON API, the service call — on a fresh world each time, and every door must give that same
decision; a refused change must leave no version and no audit event behind.

A second test reads ``app.url_map``: every endpoint must be listed in ``ENDPOINTS`` with the
policy question that guards it, so a new view cannot arrive unguarded.
"""

from __future__ import annotations

import datetime as dt
import re

import lxml.html
import pytest

from lif import workflow
from lif.errors import PermissionDenied
from lif.models import (
    Action,
    AuditEvent,
    Finding,
    Person,
    User,
    Version,
)
from lif.services import content, plans, referrals, users

from .. import factories as f
from ..conftest import ADMIN_EMAIL, PASSWORD, AuthActions, make_user

# --- people ------------------------------------------------------------------------------------

PEOPLE = {
    "admin": ("admin", None),
    "lead.police": ("lead", "police"),
    "lead.health": ("lead", "alder_hey"),
    "training": ("training", None),
    "pdc": ("pdc", None),
    "qaec": ("qaec", None),
    "ciec.csc": ("ciec", "csc"),          # the referring agency: involved
    "ciec.police": ("ciec", "police"),    # not involved until named
    "ciec_chair": ("ciec_chair", None),
    "chair": ("chair", None),
    "viewer": ("viewer", None),
}


def person(key: str) -> User:
    if key == "admin":
        return users.find_by_email(ADMIN_EMAIL)
    role, agency = PEOPLE[key]
    return make_user(role, agency, f"{key.replace('.', '-')}@doors.test")


# --- the world: built fresh for every case and door --------------------------------------------


def build_world() -> dict:
    review = f.make_review(findings=[Finding(text="Agencies did not share information.")])
    shared = f.make_plan(title="Shared draft plan", review=review)
    ratified = f.in_state(f.make_plan(title="Ratified plan", review=review), "ratified")
    health_own = f.make_plan(title="Health's own plan", kind="single_agency",
                             agency="alder_hey", review=review)
    police_action = f.make_action(plan=shared, agency="police", title="Police action")
    referral = f.make_referral(title="CIEC 26/40", agency="csc",
                               child=Person(name="Zebedee Quartermaine"),
                               case_summary="Zebedee Quartermaine was admitted.")
    return {
        "review": review, "shared": shared, "ratified": ratified, "health_own": health_own,
        "action": police_action, "referral": referral,
        "ciec_meeting": f.make_meeting("ciec"), "pdc_meeting": f.make_meeting("pdc"),
    }


def record_of(item) -> tuple[int, int]:
    return (Version.objects(object_id=str(item.pk)).count(),
            AuditEvent.objects(object_id=str(item.pk)).count())


# --- the operations, door by door ----------------------------------------------------------------
# Each door function does the operation and returns True (done) or False (refused). A refusal
# must be the policy's: a 403 from a form or the API, PermissionDenied from a service (a form
# may also not offer the choice at all, which stores nothing either).

NEW_ACTION = {"title": "Added through a door", "description": "Added through a door",
              "lead_name": "A Lead", "lead_email": "a.lead@example.org"}


def _due() -> dt.date:
    return dt.date.today() + dt.timedelta(days=60)


class Browser:
    """A signed-in browser: its own CSRF token, and the admin's forms to fill in."""

    def __init__(self, app, who: str):
        self.client = app.test_client()
        self.user = person(who)
        assert AuthActions(self.client).login(self.user.email, PASSWORD).status_code == 302
        self.admin = app.test_client()
        assert AuthActions(self.admin).login(ADMIN_EMAIL, PASSWORD).status_code == 302

    def token(self) -> str:
        page = self.client.get("/admin/").get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def form(self, url: str) -> dict:
        """The values of the page's main form, as the administrator sees it: what a person
        (or an attacker) would send, whether or not their own page offers it."""
        page = self.admin.get(url)
        assert page.status_code == 200, url
        tree = lxml.html.fromstring(page.get_data(as_text=True))
        forms = [form for form in tree.forms if (form.method or "").upper() == "POST"]
        form = max(forms, key=lambda candidate: len(candidate.fields))
        values: dict = {}
        for name, value in form.form_values():
            values.setdefault(name, []).append(value.removeprefix("\n"))
        return values

    def post(self, url: str, values: dict) -> int:
        return self.client.post(url, data={**values, "csrf_token": self.token()}).status_code


def _done(status: int) -> bool:
    assert status != 500
    if status == 403:
        return False
    assert status in (200, 302), status
    return True


def form_edit(browser, item, changes: dict) -> bool:
    url = f"/admin/{item.type_key}/edit/?id={item.pk}"
    values = browser.form(url)
    values.update({k: [v] for k, v in changes.items()})
    return _done(browser.post(url, values))


def form_create_action(browser, plan, agency: str) -> bool:
    url = f"/admin/action/new/?plan={plan.pk}"
    values = browser.form(url)
    values.update({k: [v] for k, v in NEW_ACTION.items()})
    values.update({"agency": [agency], "due_date": [str(_due())], "plan": [str(plan.pk)]})
    status = browser.post(url, values)
    return _done(status) and Action.objects(title=NEW_ACTION["title"]).first() is not None


def form_trash(browser, item) -> bool:
    status = browser.post(f"/admin/{item.type_key}/delete/", {"id": str(item.pk)})
    return _done(status) and type(item).objects(pk=item.pk).first().trashed


def form_fire(browser, item, name: str) -> bool:
    status = browser.post(f"/admin/{item.type_key}/transition/", {
        "id": str(item.pk), "transition": name, "base_version": str(item.version)})
    return _done(status) and type(item).objects(pk=item.pk).first().state != item.state


def form_progress(browser, item) -> bool:
    status = browser.post("/admin/my_actions/update/", {"id": str(item.pk),
                                                        "progress": "Briefed every team."})
    item.reload()
    return _done(status) and bool(item.progress)


def form_involve(browser, item, agencies) -> bool:
    status = browser.post("/admin/referral/involved/", {
        "id": str(item.pk), "agencies": agencies, "reason": "Their officers attended."})
    item.reload()
    return _done(status) and set(agencies) <= set(item.agencies)


def form_view(browser, item) -> bool:
    response = browser.client.get(f"/admin/{item.type_key}/details/?id={item.pk}")
    return _done(response.status_code)


def _api(app, who: str):
    client = app.test_client()
    token = users.create_token(person(who).email, "doors")
    return client, {"Authorization": f"Bearer {token}"}


API_PATHS = {"action": "actions", "referral": "referrals", "action_plan": "plans"}


def api_view(app, who, item) -> bool:
    client, headers = _api(app, who)
    response = client.get(f"/api/v1/{API_PATHS[item.type_key]}/{item.pk}", headers=headers)
    return _done(response.status_code)


def api_patch(app, who, item, body: dict) -> bool:
    client, headers = _api(app, who)
    response = client.patch(f"/api/v1/actions/{item.pk}", headers=headers,
                            json={"version": item.version, **body})
    return _done(response.status_code)


def api_progress(app, who, item) -> bool:
    client, headers = _api(app, who)
    response = client.post(f"/api/v1/actions/{item.pk}/progress", headers=headers,
                           json={"text": "Briefed every team."})
    return _done(response.status_code if response.status_code != 201 else 200)


def service(call) -> bool:
    try:
        call()
    except PermissionDenied:
        return False
    return True


def svc_edit(who, item, changes):
    return service(lambda: content.update(item, changes, person(who), base_version=item.version))


def svc_create_action(who, plan, agency):
    return service(lambda: content.create(Action, {**NEW_ACTION, "plan": plan, "agency": agency,
                                                   "due_date": _due()}, person(who)))


# --- the cases -----------------------------------------------------------------------------------
# (operation, person, target, decision). The operation names the doors below.

ALLOWED, REFUSED = True, False
CASES = [
    # An action of the police, in a shared draft plan.
    ("view", "lead.police", "action", ALLOWED),
    ("view", "lead.health", "action", REFUSED),
    ("view", "viewer", "action", REFUSED),
    ("view", "pdc", "action", ALLOWED),
    ("edit_title", "lead.police", "action", ALLOWED),
    ("edit_title", "lead.health", "action", REFUSED),
    ("edit_title", "training", "action", ALLOWED),
    ("edit_title", "pdc", "action", REFUSED),
    ("edit_title", "qaec", "action", REFUSED),
    ("edit_title", "ciec.police", "action", REFUSED),
    ("move_agency", "lead.police", "action", REFUSED),     # out of their reach
    ("move_agency", "training", "action", ALLOWED),
    ("move_agency", "admin", "action", ALLOWED),
    ("progress", "lead.police", "action", ALLOWED),
    ("progress", "lead.health", "action", REFUSED),
    ("progress", "pdc", "action", REFUSED),
    ("progress", "viewer", "action", REFUSED),
    ("start", "lead.police", "action", ALLOWED),
    ("start", "lead.health", "action", REFUSED),
    ("start", "pdc", "action", REFUSED),
    ("trash", "lead.police", "action", ALLOWED),
    ("trash", "lead.health", "action", REFUSED),
    ("trash", "pdc", "action", REFUSED),
    # New actions: into which plan, for which agency.
    ("add_action:police", "lead.police", "shared", ALLOWED),
    ("add_action:alder_hey", "lead.police", "shared", REFUSED),
    ("add_action:police", "lead.police", "ratified", REFUSED),
    ("add_action:police", "training", "ratified", ALLOWED),
    ("add_action:police", "lead.police", "health_own", REFUSED),
    ("add_action:alder_hey", "lead.health", "health_own", ALLOWED),
    ("add_action:police", "pdc", "shared", REFUSED),
    ("add_action:police", "viewer", "shared", REFUSED),
    ("add_action:police", "qaec", "shared", ALLOWED),
    # Plans.
    ("trash", "lead.police", "shared", REFUSED),           # a shared plan is not theirs
    ("trash", "lead.health", "health_own", ALLOWED),
    ("trash", "training", "shared", ALLOWED),
    ("edit_title", "lead.health", "health_own", ALLOWED),
    ("edit_title", "lead.police", "health_own", REFUSED),
    ("edit_title", "lead.police", "shared", REFUSED),
    # Meetings: each committee its own.
    ("trash", "pdc", "ciec_meeting", REFUSED),
    ("trash", "pdc", "pdc_meeting", ALLOWED),
    ("trash", "ciec.police", "ciec_meeting", ALLOWED),
    ("trash", "ciec.police", "pdc_meeting", REFUSED),
    ("trash", "viewer", "ciec_meeting", REFUSED),
    ("edit_title", "pdc", "ciec_meeting", REFUSED),
    ("edit_title", "qaec", "ciec_meeting", REFUSED),
    ("edit_title", "ciec.police", "ciec_meeting", ALLOWED),
    # A referral from Children's Social Care (csc), at intake.
    ("view", "ciec.csc", "referral", ALLOWED),
    ("view", "ciec.police", "referral", REFUSED),
    ("view", "ciec_chair", "referral", ALLOWED),
    ("view", "chair", "referral", ALLOWED),
    ("view", "lead.police", "referral", REFUSED),
    ("view", "pdc", "referral", REFUSED),
    ("trash", "ciec.csc", "referral", REFUSED),
    ("trash", "ciec.police", "referral", REFUSED),
    ("trash", "ciec_chair", "referral", REFUSED),
    ("trash", "admin", "referral", ALLOWED),
    ("involve:police", "ciec.csc", "referral", REFUSED),
    ("involve:police", "ciec.police", "referral", REFUSED),
    ("involve:police", "ciec_chair", "referral", ALLOWED),
    ("involve:police", "admin", "referral", ALLOWED),
    ("accept", "ciec.csc", "referral", REFUSED),
    ("accept", "ciec_chair", "referral", ALLOWED),
    ("accept", "chair", "referral", REFUSED),
    ("edit_summary", "ciec.csc", "referral", ALLOWED),
    ("edit_summary", "ciec.police", "referral", REFUSED),
    ("edit_summary", "chair", "referral", REFUSED),
]


def doors_for(operation: str, target: str) -> list[str]:
    kind = operation.split(":")[0]
    doors = ["form", "service"]
    if target == "action" and kind in ("view", "edit_title", "move_agency", "progress", "start"):
        doors.append("api")
    if target == "referral" and kind == "view":
        doors.append("api")
    return doors


def run(app, door: str, operation: str, who: str, item) -> bool:
    kind, _, arg = operation.partition(":")
    if door == "service":
        user = person(who)
        return {
            "view": lambda: service(lambda: content.get(item.type_key, str(item.pk), user)),
            "edit_title": lambda: svc_edit(who, item, {"title": "Retitled"}),
            "edit_summary": lambda: svc_edit(who, item, {"case_summary": "Updated summary."}),
            "move_agency": lambda: svc_edit(who, item, {"agency": "alder_hey"}),
            "progress": lambda: service(lambda: plans.add_progress(item, "Briefed.", user)),
            "start": lambda: service(lambda: workflow.fire(item, "start", user)),
            "accept": lambda: service(lambda: referrals.accept(item, user)),
            "trash": lambda: service(lambda: content.trash(item, user)),
            "add_action": lambda: svc_create_action(who, item, arg),
            "involve": lambda: service(lambda: referrals.set_involved(
                item, [*item.agencies, arg], user, "Their officers attended.")),
        }[kind]()
    if door == "api":
        return {
            "view": lambda: api_view(app, who, item),
            "edit_title": lambda: api_patch(app, who, item, {"title": "Retitled"}),
            "move_agency": lambda: api_patch(app, who, item, {"agency": "alder_hey"}),
            "progress": lambda: api_progress(app, who, item),
            "start": lambda: api_patch(app, who, item, {"status": "in_progress"}),
        }[kind]()
    browser = Browser(app, who)
    return {
        "view": lambda: form_view(browser, item),
        "edit_title": lambda: form_edit(browser, item, {"title": "Retitled"}),
        "edit_summary": lambda: form_edit(browser, item, {"case_summary": "Updated summary."}),
        "move_agency": lambda: form_edit(browser, item, {"agency": "alder_hey"}),
        "progress": lambda: form_progress(browser, item),
        "start": lambda: form_fire(browser, item, "start"),
        "accept": lambda: form_fire(browser, item, "accept"),
        "trash": lambda: form_trash(browser, item),
        "add_action": lambda: form_create_action(browser, item, arg),
        "involve": lambda: form_involve(browser, item, [*item.agencies, arg]),
    }[kind]()


PARAMS = [pytest.param(door, *case, id=f"{case[0]}-{case[1]}-{case[2]}-{door}")
          for case in CASES for door in doors_for(case[0], case[2])]


@pytest.mark.parametrize(("door", "operation", "who", "target", "allowed"), PARAMS)
def test_every_door_gives_the_same_decision(app, clean_db, door, operation, who, target,
                                            allowed):
    world = build_world()
    item = world[target]
    before = record_of(item)
    actions_before = Action.objects.count()
    assert run(app, door, operation, who, item) is allowed
    if not allowed:
        assert record_of(item) == before, "a refused change left a version or an event"
        assert Action.objects.count() == actions_before


def test_the_table_is_wide_enough():
    assert len(CASES) >= 45  # the five findings and at least 40 more
    doors = {door for param in PARAMS for door in param.values[:1]}
    assert doors == {"form", "api", "service"}


# --- every endpoint is accounted for ------------------------------------------------------------

# endpoint → what guards it (the policy question its service asks, or why none is needed).
CLOSED = "closed: answers 404 (Flask-Admin's inherited endpoint; LIF does not use it)"
CONTENT_ENDPOINTS = {
    "index_view": "view (the policy's view filter as the query; values through the redactor)",
    "details_view": "view; values through the redactor",
    "create_view": "create (the item as built: type, scope, the plan it goes into)",
    "edit_view": "edit (before and after: scope, fields only some roles set, the plan)",
    "delete_view": "trash", "diff_view": "view; both versions through the redactor",
    "revert_view": "edit (the reverted item as after)", "transition_view": "fire",
    "attach_view": "edit", "export": "export (view filter; values through the redactor)",
    "action_view": CLOSED, "ajax_lookup": CLOSED, "ajax_update": CLOSED,
    "api_file_view": CLOSED,
}
ADMIN_MODEL_ENDPOINTS = {name: "administrators only (the Administration menu)"
                         for name in ("index_view", "details_view", "create_view", "edit_view",
                                      "delete_view", "export")}
ADMIN_MODEL_ENDPOINTS.update({name: CLOSED for name in ("action_view", "ajax_lookup",
                                                         "ajax_update", "api_file_view")})
ENDPOINTS = {
    # public, by design (DESIGN.md): sign-in, health, the published page, static files
    "auth.login": "public", "auth.logout": "signed-in session", "healthz": "public",
    "auth.forgot_password": "public: the same answer whether or not the account exists",
    "auth.reset_password": "public: a single-use, time-limited token",
    "password.index": "signed in: one's own password (the current one required)",
    "users.reset_password_view": "administrators only (the Administration menu)",
    "users.sign_out_view": "administrators only (the Administration menu)",
    "public.published": "public: only what is inside its publication window",
    "public.published_file": "public: only files published with a published review",
    "static": "public files", "admin.static": "public files",
    "calendar.feed": "the feed's secret token; entries through the policy's view filter",
    "api_v1.openapi_document": "public: the API's description, no data",
    "admin.index": "signed in; figures and worklist through the view filter and redactor",
    # content types: the same endpoints each
    **{f"{key}.{name}": rule for key in ("action", "action_plan", "review", "audit", "referral",
                                         "information_request", "pdc_review", "meeting")
       for name, rule in CONTENT_ENDPOINTS.items()},
    "pdc_review.verdict_view": "record 'verdict' (PDC; an override with its reason)",
    "pdc_review.hold_view": "fire 'hold' with the day it was held",
    "information_request.answer_view": "fire 'answer' with the response, who and when",
    "referral.recommend_view": "fire 'recommend' with the fields it records (or override)",
    "referral.decide_view": "fire 'decide' with the fields it records (or override)",
    "referral.notice_sent_view": "edit (versioned change of the notices)",
    "referral.involved_view": "edit; 'agencies' only by the CIEC chair or business manager",
    "referral_register.index": "view filter of referrals; titles through the redactor",
    "referral_register.export": "export of referrals; titles through the redactor",
    # administration
    **{f"{view}.{name}": rule for view in ("users", "agencies", "audit_trail")
       for name, rule in ADMIN_MODEL_ENDPOINTS.items()},
    "trash.index": "administrators only", "trash.restore": "restore",
    # a person's own things
    **{f"messages.{name}": rule for name, rule in ADMIN_MODEL_ENDPOINTS.items()
       if rule == CLOSED},
    "messages.index_view": "own messages only", "messages.details_view": "own messages only",
    "messages.create_view": "closed to everyone (can_create False)",
    "messages.edit_view": "closed to everyone (can_edit False)",
    "messages.delete_view": "closed (can_delete False)",
    "messages.export": "own messages only",
    "messages.mark_read": "own messages only",
    "preferences.index": "own preferences", "preferences.create_feed": "own feed",
    "preferences.revoke_feed": "own feed",
    "saved.index": "own and shared saved searches", "saved.save": "own saved search",
    "saved.delete": "own saved search (or an administrator)",
    # pages beyond the lists
    "my_actions.index": "view filter of actions", "my_actions.update": "edit (the service)",
    "plan_builder.index": "create (the plan as it will be, and each action in it)",
    "import_actions.index": "import_into the plan; create for each row",
    "search.index": "principals from the policy; index text through the redactor",
    "documents.index": "kinds the person may generate", "documents.export": "view of the item",
    "documents.import_view": "create (each index entry)",
    "files.download": "download: view of the attachment's item",
    "files.public_download": "public: only files published with a published review",
    **{f"audit_work.{name}": "view / edit of the audit; answer_for an agency's return"
       for name in ("index", "overview", "population", "population_add", "population_remove",
                    "population_upload", "sample", "sample_draw", "sample_withdraw", "tools",
                    "tools_section11", "tool", "tool_add_question", "tool_edit_question",
                    "tool_publish", "tool_question_action", "returns", "returns_assign",
                    "returns_reopen", "answers", "answer", "findings", "recommendations",
                    "recommendation_action", "section11", "section11_outcome")},
    # the JSON API: the same services
    **{f"api_v1.{name}": "view filter (lists) / view (items); values through the redactor"
       for name in ("list_actions", "list_plans", "list_reviews", "list_audits",
                    "list_referrals", "get_action", "get_plan", "get_review", "get_audit",
                    "get_referral", "search", "me")},
    "api_v1.update_action": "edit (before and after) and fire", "api_v1.add_progress": "edit",
    "api_v1.add_evidence": "edit",
}


def test_every_endpoint_is_accounted_for(app):
    missing = sorted({rule.endpoint for rule in app.url_map.iter_rules()} - set(ENDPOINTS))
    assert not missing, f"endpoints not in the policy table: {missing}"


def test_flask_admin_s_inherited_endpoints_are_closed(client, app):
    """Bulk actions, AJAX look-ups, inline list edits and Flask-Admin's raw GridFS file
    endpoint bypass LIF's services: none of them answers."""
    referral = f.make_referral(child=Person(name="Zebedee Quartermaine"))
    attachment = __import__("lif.services.attachments", fromlist=["add"]).add(
        referral, "cigscr1.txt", b"Zebedee Quartermaine", "text/plain", "", person("admin"))
    AuthActions(client).login(make_user("viewer").email, PASSWORD)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get("/admin/").get_data(as_text=True)).group(1)
    for rule in app.url_map.iter_rules():
        if ENDPOINTS.get(rule.endpoint) != CLOSED:
            continue
        url = rule.rule
        if rule.endpoint.endswith("api_file_view"):
            url += f"?id={attachment.file.grid_id}&coll=files"
        response = (client.post(url, data={"csrf_token": token}) if "POST" in rule.methods
                    else client.get(url))
        assert response.status_code in (403, 404), (rule.endpoint, response.status_code)
        assert b"Zebedee" not in response.data
