"""Action plans end to end: RAG, the impact gate, My actions, plans from findings, import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import threading
from collections import Counter

import openpyxl
import pytest
from bson import ObjectId

from config.workflows import WORKFLOWS
from lif import clock, clocks, rag, workflow
from lif.errors import GuardFailed, InvalidInput
from lif.models import Action, ActionPlan, AuditEvent, Version
from lif.services import dashboard, plans

from .. import factories as f
from ..conftest import AuthActions, make_user
from .test_attachments import word_file

TODAY = dt.date.today() + dt.timedelta(days=60)  # a future "today": due dates stay valid


@pytest.mark.parametrize(("due_in", "state", "verdict", "expected"), [
    (-1, "in_progress", None, "red"),          # overdue
    (-1, "complete", None, "green"),           # late but done
    (10, "in_progress", "challenged", "red"),  # challenged at the last PDC review
    (10, "verified", "challenged", "green"),   # verified since the challenge
    (30, "not_started", None, "amber"),        # due within 30 days
    (31, "not_started", None, "green"),
    (0, "in_progress", None, "amber"),         # due today is not yet overdue
])
def test_rag_rule_and_its_query_agree(clean_db, due_in, state, verdict, expected):
    action = f.make_action(due=TODAY + dt.timedelta(days=due_in))
    f.in_state(action, state)
    Action.objects(pk=action.pk).update_one(set__last_pdc_verdict=verdict)
    action.reload()
    assert plans.rag(action, TODAY) == expected
    for colour in ("red", "amber", "green"):
        hit = Action.objects(__raw__={"$and": [{"_id": action.pk},
                                                plans.rag_query(colour, TODAY)]}).count()
        assert hit == (colour == expected)


def generated_actions() -> list[Action]:
    """One action for every state, PDC verdict and due date around each RAG boundary (and one
    with no due date, as old or imported data may have), stored as the collection holds them."""
    base = f.make_action(plan=f.make_plan(), agency="police")
    raw = Action._get_collection().find_one({"_id": base.pk})
    Action._get_collection().delete_one({"_id": base.pk})
    docs = []
    for state in WORKFLOWS["action"]["states"]:
        for verdict in (None, "challenged", "evidenced", "not_yet_due"):
            for offset in (-400, -1, 0, 1, 29, 30, 31, 400, None):
                due = (dt.datetime.combine(TODAY + dt.timedelta(days=offset), dt.time())
                       if offset is not None else None)
                docs.append({**raw, "_id": ObjectId(), "state": state, "due_date": due,
                             "last_pdc_verdict": verdict,
                             "agency": ("police", "csc")[len(docs) % 2]})
    Action._get_collection().insert_many(docs)
    return list(Action.objects(pk__in=[d["_id"] for d in docs]))


def test_rag_in_python_as_a_query_and_on_the_dashboard_agree(clean_db):
    actions = generated_actions()
    expected = {a.pk: plans.rag(a, TODAY) for a in actions}
    assert set(expected.values()) == {"red", "amber", "green"}
    # The query, colour by colour.
    for colour in ("red", "amber", "green"):
        found = set(Action.objects(__raw__=plans.rag_query(colour, TODAY)).scalar("pk"))
        assert found == {pk for pk, c in expected.items() if c == colour}, colour
    # The dashboard's expression, action by action ...
    shown = {row["_id"]: row["rag"] for row in Action._get_collection().aggregate(
        [{"$project": {"rag": dashboard.rag_expression(TODAY)}}])}
    assert shown == expected
    # ... and the figures it shows.
    figures = dashboard.figures(make_user("training"), today=TODAY)
    assert figures["by_rag"] == dict(Counter(expected.values()))
    # Overdue, the same way: in Python, as the query, on the dashboard by agency.
    dates = clocks.rag_dates(TODAY)
    overdue = {a.pk for a in actions if rag.holds("overdue", a, dates)}
    assert set(Action.objects(__raw__=plans.overdue_query(TODAY)).scalar("pk")) == overdue
    assert sum(row["overdue"] for row in figures["by_agency"]) == len(overdue)


def test_an_action_cannot_be_verified_without_evidence_of_impact(clean_db):
    action = f.in_state(f.make_action(), "complete")
    with pytest.raises(GuardFailed):
        plans.change_status(action, "verified", make_user("pdc"))
    f.add_evidence(action)
    plans.change_status(action, "verified", make_user("pdc"))
    assert action.state == "verified"


def test_a_plan_cannot_close_while_an_action_lacks_evidence_unless_cancelled(clean_db):
    plan = f.in_state(f.make_plan(), "ratified")
    evidenced = f.add_evidence(f.make_action(plan=plan, title="Evidenced"))
    lacking = f.make_action(plan=plan, title="Lacking")
    with pytest.raises(GuardFailed) as error:
        workflow.fire(plan, "close", make_user("pdc"))
    assert "Lacking" in error.value.message and "Evidenced" not in error.value.message
    with pytest.raises(InvalidInput):
        plans.change_status(lacking, "cancelled", make_user("training"), "")
    plans.change_status(lacking, "cancelled", make_user("training"), "Superseded by plan B")
    assert Action.objects.get(pk=lacking.pk).cancel_reason == "Superseded by plan B"
    workflow.fire(plan, "close", make_user("pdc"))
    assert plan.state == "closed" and evidenced.evidence


def test_my_actions_lists_own_agency_overdue_first_then_by_due_date(clean_db):
    plan = f.make_plan()
    today = dt.date.today()
    f.make_action(plan=plan, title="Later", due=today + dt.timedelta(days=50))
    f.make_action(plan=plan, title="Soon", due=today + dt.timedelta(days=5))
    f.make_action(plan=plan, title="Other agency", agency="alder_hey",
                  due=today + dt.timedelta(days=1))
    late = f.make_action(plan=plan, title="Late", due=today + dt.timedelta(days=3))
    Action.objects(pk=late.pk).update_one(set__due_date=today - dt.timedelta(days=9))
    titles = [a.title for a in plans.my_actions(make_user("lead", "police"))]
    assert titles == ["Late", "Soon", "Later"]


def _form_token(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), page


def test_one_form_adds_progress_evidence_with_a_file_and_status(client):
    action = f.make_action(agency="police")
    lead = make_user("lead", "police")
    AuthActions(client).login(lead.email)
    token, page = _form_token(client, "/admin/my_actions/")
    assert action.title in page
    response = client.post("/admin/my_actions/update/", data={
        "csrf_token": token, "id": str(action.pk), "progress": "Briefings delivered to 40 staff",
        "evidence": "Referrals now record the MERIT outcome", "measure": "Dip sample 18/20",
        "evidence_file": (io.BytesIO(word_file("dip sample results")), "dip-sample.docx"),
        "status": "complete"}, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"#action-{action.pk}")
    action.reload()
    assert action.state == "complete"
    assert action.progress[-1].text == "Briefings delivered to 40 staff"
    assert action.progress[-1].author == lead.email
    assert action.evidence[-1].measure == "Dip sample 18/20"
    assert len(action.evidence[-1].attachment_ids) == 1
    assert action.completed_on == dt.date.today()


def test_one_form_with_a_refused_file_stores_nothing(client):
    action = f.make_action(agency="police")
    AuthActions(client).login(make_user("lead", "police").email)
    token, _ = _form_token(client, "/admin/my_actions/")
    versions = Version.objects.count()
    response = client.post("/admin/my_actions/update/", data={
        "csrf_token": token, "id": str(action.pk), "progress": "Some progress",
        "evidence": "Something changed",
        "evidence_file": (io.BytesIO(b"%PDF-1.4 not word"), "evidence.docx"),
        "status": "complete"}, content_type="multipart/form-data", follow_redirects=True)
    assert "not saved" in response.get_data(as_text=True)
    action.reload()
    assert action.state == "not_started" and not action.progress and not action.evidence
    assert Version.objects.count() == versions


def test_a_status_the_workflow_forbids_is_refused_with_nothing_stored(client):
    action = f.make_action(agency="police")
    AuthActions(client).login(make_user("lead", "police").email)
    token, _ = _form_token(client, "/admin/my_actions/")
    response = client.post("/admin/my_actions/update/", data={
        "csrf_token": token, "id": str(action.pk), "progress": "Progress",
        "status": "verified"}, follow_redirects=True)
    assert "cannot go from" in response.get_data(as_text=True)
    action.reload()
    assert action.state == "not_started" and not action.progress


def test_another_agency_cannot_update_the_action(client):
    action = f.make_action(agency="police")
    AuthActions(client).login(make_user("lead", "alder_hey").email)
    token = AuthActions(client).csrf("/admin/")
    response = client.post("/admin/my_actions/update/", data={
        "csrf_token": token, "id": str(action.pk), "progress": "x"})
    assert response.status_code == 403
    assert not Action.objects.get(pk=action.pk).progress


def test_plan_from_a_review_offers_one_draft_action_per_finding(client):
    from lif.models import Finding

    review = f.make_review(findings=[Finding(text="Use interpreters. Always."),
                                     Finding(text="Share records across borders.")])
    AuthActions(client).login(make_user("training").email)
    token, page = _form_token(client, f"/admin/plan_builder/?source=review&id={review.pk}")
    assert "Finding 1" in page and "Finding 2" in page and "Use interpreters." in page
    data = {"csrf_token": token, "source": "review", "id": str(review.pk),
            "title": "Child T plan", "kind": "multi_agency", "use-0": "1", "use-1": "1"}
    for i in (0, 1):
        data.update({f"title-{i}": f"Action {i}", f"description-{i}": "Do it",
                     f"lead_name-{i}": "A Lead", f"lead_email-{i}": "lead@example.org",
                     f"agency-{i}": "police", f"due_date-{i}": "2099-01-31"})
    bad = {**data, "lead_email-1": "not an email"}
    response = client.post("/admin/plan_builder/", data=bad)
    assert response.status_code == 200
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert ActionPlan.objects.count() == 0 and Action.objects.count() == 0
    response = client.post("/admin/plan_builder/", data=data)
    assert response.status_code == 302
    plan = ActionPlan.objects.get(title="Child T plan")
    actions = list(Action.objects(plan=plan).order_by("title"))
    assert [a.finding_uid for a in actions] == [fd.uid for fd in review.findings]
    assert actions[0].finding_text == "Use interpreters. Always."


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["title", "description", "lead_name", "lead_email", "agency", "due_date"])
    writer.writerows(rows)
    return buffer.getvalue().encode()


def test_import_dry_run_lists_every_rows_errors_and_a_bad_row_stores_nothing(client):
    plan = f.make_plan()
    AuthActions(client).login(make_user("training").email)
    token = AuthActions(client).csrf(f"/admin/import_actions/?plan={plan.pk}")
    rows = [["Good", "d", "Lead", "lead@example.org", "Merseyside Police", "2099-01-01"],
            ["Bad email", "d", "Lead", "nope", "police", "2099-01-01"],
            ["Bad agency", "d", "Lead", "lead@example.org", "Hogwarts", "2099-01-01"],
            ["Bad date", "d", "Lead", "lead@example.org", "police", "31/02/2099"]]
    page = client.post("/admin/import_actions/", data={
        "csrf_token": token, "plan": str(plan.pk), "dry_run": "1",
        "file": (io.BytesIO(_csv(rows)), "actions.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert "not an email address" in page and "Unknown agency" in page
    assert "is not a date" in page and "3 of 4 rows have errors" in page
    client.post("/admin/import_actions/", data={
        "csrf_token": token, "plan": str(plan.pk),
        "file": (io.BytesIO(_csv(rows)), "actions.csv")}, content_type="multipart/form-data")
    assert Action.objects(plan=plan).count() == 0
    response = client.post("/admin/import_actions/", data={
        "csrf_token": token, "plan": str(plan.pk),
        "file": (io.BytesIO(_csv(rows[:1])), "actions.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert Action.objects(plan=plan).get().agency == "police"


def test_import_from_xlsx(client):
    plan = f.make_plan()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Title", "Description", "Lead name", "Lead email", "Agency", "Due date"])
    sheet.append(["From Excel", "d", "Lead", "lead@example.org", "police",
                  dt.datetime(2099, 3, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    AuthActions(client).login(make_user("training").email)
    token = AuthActions(client).csrf(f"/admin/import_actions/?plan={plan.pk}")
    client.post("/admin/import_actions/", data={
        "csrf_token": token, "plan": str(plan.pk),
        "file": (io.BytesIO(buffer.getvalue()), "actions.xlsx")},
        content_type="multipart/form-data")
    assert Action.objects(plan=plan).get().due_date == dt.date(2099, 3, 1)


def test_dashboard_counts_come_from_the_database_per_user(client):
    plan = f.make_plan()
    late = f.make_action(plan=plan, agency="police", title="Police late")
    Action.objects(pk=late.pk).update_one(set__due_date=dt.date.today() - dt.timedelta(days=3))
    f.make_action(plan=plan, agency="alder_hey", title="Alder Hey open")
    from lif.services import dashboard

    everything = dashboard.figures(make_user("training"))
    assert everything["by_rag"].get("red") == 1
    assert sum(everything["by_status"].values()) == 2
    police = dashboard.figures(make_user("lead", "police"))
    assert sum(police["by_status"].values()) == 1
    assert [a.title for a in police["overdue"]] == ["Police late"]
    AuthActions(client).login(make_user("lead", "police").email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Police late" in page and "Alder Hey open" not in page


def test_slow_dashboard_figures_are_shown_dated_and_recounted_at_most_every_few_minutes(
        client):
    """On a very large install a recount takes seconds: the last figures are shown at once."""
    from config.deadlines import DASHBOARD_MIN_REFRESH_SECONDS
    from lif.db import database

    def recounted():
        """Wait for the background recount the last view started (a real thread, joined)."""
        threads = [t for t in threading.enumerate() if t.name == dashboard.REFRESH_THREAD]
        assert threads, "no recount was started"
        for thread in threads:
            thread.join(timeout=60)
            assert not thread.is_alive()

    plan = f.make_plan()
    f.make_action(plan=plan, agency="police", title="First")
    boss = make_user("training")
    assert sum(dashboard.figures(boss)["by_status"].values()) == 1
    cache = database().dashboard_cache
    cache.update_many({}, {"$set": {"compute_ms": 9000}})  # as if it had taken 9 s

    f.make_action(plan=plan, agency="police", title="Second")
    shown = dashboard.figures(boss)
    assert shown["stale"] and sum(shown["by_status"].values()) == 1  # previous figures, dated
    assert shown["recount_at"] > clock.now()  # counted a moment ago: not again yet
    assert cache.find_one()["computing_until"] is None  # no recount started

    AuthActions(client).login(boss.email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "the latest changes are not counted yet" in page

    # Once the interval has passed, the next view starts a recount in the background.
    earlier = clock.now() - dt.timedelta(seconds=DASHBOARD_MIN_REFRESH_SECONDS + 1)
    cache.update_many({}, {"$set": {"computed_at": earlier}})
    shown = dashboard.figures(boss)
    assert shown["stale"] and shown["recount_at"] is None
    recounted()
    fresh = dashboard.figures(boss)
    assert not fresh["stale"] and sum(fresh["by_status"].values()) == 2

    # On a new day yesterday's figures are shown at once while today's are counted.
    cache.update_many({}, {"$set": {"compute_ms": 9000}})
    tomorrow = clock.today() + dt.timedelta(days=1)
    shown = dashboard.figures(boss, today=tomorrow)
    assert shown["stale"] and shown["recount_at"] is None
    recounted()
    fresh = dashboard.figures(boss, today=tomorrow)
    assert not fresh["stale"] and cache.count_documents({}) == 1  # yesterday's are gone


def test_filtered_action_list_exports_to_csv_and_xlsx(client):
    plan = f.make_plan()
    f.make_action(plan=plan, agency="police", title="Police one")
    f.make_action(plan=plan, agency="alder_hey", title="Alder Hey one")
    AuthActions(client).login()
    listing = client.get("/admin/action/?flt0_agency_equals=police").get_data(as_text=True)
    assert "Police one" in listing and "Alder Hey one" not in listing
    csv_text = client.get("/admin/action/export/csv/?flt0_agency_equals=police").get_data(
        as_text=True)
    assert "Police one" in csv_text and "Alder Hey one" not in csv_text
    xlsx = client.get("/admin/action/export/xlsx/?search=Police")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert "Police one" in values and "Alder Hey one" not in values
    assert "Named lead" in values
    assert AuditEvent.objects(action="export").count() == 2
