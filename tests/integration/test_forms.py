"""Admin forms: bad input shows the form again with the message at the field; nothing stored."""

from __future__ import annotations

import re

from lif.models import Action, ActionPlan, Review
from lif.seed import seed_demo

from ..conftest import AuthActions


def csrf(client, path):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"',
                     page).group(1)


def test_review_without_title_shows_the_error_and_stores_nothing(client):
    AuthActions(client).login()
    token = csrf(client, "/admin/review/new/")
    response = client.post("/admin/review/new/", data={
        "csrf_token": token, "title": "", "review_type": "scr", "section": "reviews"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This field is required" in page
    assert Review.objects.count() == 0


def test_impossible_date_shows_the_error_and_stores_nothing(client):
    AuthActions(client).login()
    token = csrf(client, "/admin/review/new/")
    response = client.post("/admin/review/new/", data={
        "csrf_token": token, "title": "Child Q", "review_type": "scr", "section": "reviews",
        "date": "2026-02-30"})
    assert response.status_code == 200
    assert "Not a valid date" in response.get_data(as_text=True)
    assert Review.objects.count() == 0


def test_review_created_through_the_form_has_version_one_and_initial_state(client):
    AuthActions(client).login()
    token = csrf(client, "/admin/review/new/")
    response = client.post("/admin/review/new/", data={
        "csrf_token": token, "title": "Child Q", "review_type": "scr", "section": "reviews",
        "date": "2026-02-03"})
    assert response.status_code == 302
    review = Review.objects.get(title="Child Q")
    assert review.state == "initiated" and review.version == 1
    assert review.created_by == "admin@test.lif"


def test_action_due_before_plan_creation_shows_field_error(client):
    seed_demo(password="demo password for tests")
    AuthActions(client).login()
    plan = ActionPlan.objects.first()
    before = Action.objects.count()
    token = csrf(client, "/admin/action/new/")
    response = client.post("/admin/action/new/", data={
        "csrf_token": token, "title": "Late", "plan": str(plan.pk), "description": "d",
        "lead_name": "A Lead", "lead_email": "lead@example.org", "agency": "police",
        "due_date": "2001-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The due date cannot be before the plan was created." in page
    assert Action.objects.count() == before


def test_form_post_without_csrf_is_refused(client):
    AuthActions(client).login()
    response = client.post("/admin/review/new/", data={"title": "X", "review_type": "scr"})
    assert response.status_code == 400
    assert Review.objects.count() == 0
