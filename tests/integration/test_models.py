"""Models validate what a person would get wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from lif.actors import SYSTEM
from lif.errors import InvalidInput
from lif.models import Action, ActionPlan, AuditEvent, Referral, Review
from lif.models.records import AppendOnlyError
from lif.models.referral import Person
from lif.services import content


def make_review(**extra):
    data = {"title": "Child Z", "review_type": "scr", **extra}
    return content.create(Review, data, SYSTEM)


def make_plan(**extra):
    review = make_review()
    data = {"title": "Plan", "kind": "multi_agency", "source_kind": "review", "review": review,
            **extra}
    return content.create(ActionPlan, data, SYSTEM)


def test_review_requires_title_and_a_known_type(clean_db):
    with pytest.raises(InvalidInput) as missing:
        content.create(Review, {"review_type": "scr"}, SYSTEM)
    assert "title" in missing.value.errors
    with pytest.raises(InvalidInput) as unknown:
        content.create(Review, {"title": "X", "review_type": "gossip"}, SYSTEM)
    assert "review_type" in unknown.value.errors
    assert Review.objects.count() == 0


def test_single_agency_plan_needs_its_agency(clean_db):
    review = make_review()
    with pytest.raises(InvalidInput) as error:
        content.create(ActionPlan, {"title": "P", "kind": "single_agency",
                                    "source_kind": "review", "review": review}, SYSTEM)
    assert "agency" in error.value.errors
    assert ActionPlan.objects.count() == 0


def test_action_due_date_cannot_precede_plan_creation(clean_db):
    plan = make_plan()
    before = plan.created_at.date() - dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as error:
        content.create(Action, {"title": "A", "plan": plan, "description": "d",
                                "lead_name": "Lead", "lead_email": "lead@example.org",
                                "agency": "police", "due_date": before}, SYSTEM)
    assert "due_date" in error.value.errors
    assert Action.objects.count() == 0


def test_action_lead_email_must_be_an_email(clean_db):
    plan = make_plan()
    with pytest.raises(InvalidInput) as error:
        content.create(Action, {"title": "A", "plan": plan, "description": "d",
                                "lead_name": "Lead", "lead_email": "not-an-email",
                                "agency": "police", "due_date": dt.date(2099, 1, 1)}, SYSTEM)
    assert "lead_email" in error.value.errors


def test_referral_date_of_death_before_birth_is_refused(clean_db):
    child = Person(name="Child", date_of_birth=dt.date(2020, 5, 1),
                   date_of_death=dt.date(2019, 1, 1))
    with pytest.raises(InvalidInput) as error:
        content.create(Referral, {"title": "R1", "reasons": "r", "agency": "police",
                                  "child": child}, SYSTEM)
    assert "date of death" in error.value.message.lower()
    assert Referral.objects.count() == 0


def test_publication_end_before_start_is_refused(clean_db):
    with pytest.raises(InvalidInput) as error:
        make_review(effective=dt.date(2026, 5, 1), expires=dt.date(2026, 4, 1))
    assert "expires" in error.value.errors


def test_audit_events_cannot_be_changed_or_deleted(clean_db):
    review = make_review()
    event = AuditEvent.objects(object_id=str(review.pk)).first()
    event.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects(object_id=str(review.pk)).first().detail != "rewritten"


def test_required_text_of_only_spaces_counts_as_empty(clean_db):
    with pytest.raises(InvalidInput) as error:
        content.create(Review, {"title": "   ", "review_type": "scr"}, SYSTEM)
    assert error.value.errors == {"title": "This field is required."}
    assert Review.objects.count() == 0
