"""The demo: the framework document's own learning, loaded once."""

from __future__ import annotations

from lif import seed
from lif.models import Action, ActionPlan, Audit, Review, User


def test_demo_loads_the_fourteen_entries_with_their_findings(clean_db):
    result = seed.seed_demo(password="demo password for tests")
    assert result["reviews"] + result["audits"] == 14
    assert Audit.objects.count() == 3
    child_a = Review.objects.get(title="Child A (Alex)")
    assert len(child_a.findings) == 4
    assert "bruising in non-mobile babies" in child_a.findings[0].text
    assert [f.number for f in child_a.findings] == [1, 2, 3, 4]
    assert len(child_a.activities) == 6
    mary = Review.objects.get(title="LSCR 1402 (Child known as Mary)")
    assert len(mary.findings) == 5
    neglect = Audit.objects.get(title="LSCB Neglect Audit")
    assert len(neglect.findings) == 8
    front_door = Audit.objects.get(title__startswith="LSCB Application")
    assert front_door.findings[0].text.startswith("19 (60%) did NOT use")


def test_demo_plans_have_named_leads_and_some_overdue_actions(clean_db):
    seed.seed_demo(password="demo password for tests")
    assert ActionPlan.objects(kind="multi_agency").count() >= 1
    assert ActionPlan.objects(kind="single_agency").count() >= 1
    actions = list(Action.objects)
    assert actions and all(a.lead_name and a.lead_email and a.due_date for a in actions)
    from lif.services.plans import rag

    assert any(rag(a) == "red" for a in actions)
    assert any(a.progress for a in actions)


def test_seeding_twice_creates_no_duplicates(clean_db):
    seed.seed_demo(password="demo password for tests")
    counts = (Review.objects.count(), Audit.objects.count(), ActionPlan.objects.count(),
              Action.objects.count(), User.objects.count())
    again = seed.seed_demo(password="demo password for tests")
    assert again["reviews"] == again["audits"] == again["plans"] == again["users"] == 0
    assert again["skipped"] == 14
    assert (Review.objects.count(), Audit.objects.count(), ActionPlan.objects.count(),
            Action.objects.count(), User.objects.count()) == counts


def test_demo_contains_no_named_people_or_addresses_from_the_document(clean_db):
    seed.seed_demo(password="demo password for tests")
    text = " ".join(
        [r.to_json() for r in Review.objects] + [a.to_json() for a in Audit.objects]
        + [u.email for u in User.objects]
    )
    assert "Jacqueline" not in text and "Taylor" not in text
    assert "liverpool.gov.uk" not in text
