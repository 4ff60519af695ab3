"""The deadline sweeps: once per due item, whatever runs them, however often, after downtime."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from lif import clock
from lif.models import Meeting, Notification, PDCReview, Referral, Review, User
from lif.services import sweeps
from tests.conftest import make_user
from tests.factories import in_state, make_information_request, make_referral, make_review

from .deadline_helpers import at, close_review, keys_for, ratified_plan, travel

D = dt.date


@pytest.fixture
def people(clean_db):
    return {
        "pdc": make_user("pdc").email,
        "lead": make_user("lead", "police").email,
        "other_lead": make_user("lead", "csc").email,
        "ciec": make_user("ciec", "police").email,
        "chair": make_user("chair").email,
    }


def test_plan_ratified_15_january_is_reviewed_in_july_then_january(people):
    plan = ratified_plan(D(2026, 1, 15))
    assert plan.ratified_on == D(2026, 1, 15)
    assert plan.next_pdc_review == D(2026, 7, 15)
    created = []

    before = sweeps.create_due_pdc_reviews(at(D(2026, 7, 14)), on_review_created=created.append)
    assert before == {}
    assert PDCReview.objects.count() == 0

    first = sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)), on_review_created=created.append)
    assert first["reviews_created"] == 1
    review = PDCReview.objects.get()
    assert review.scheduled_for == D(2026, 7, 15)
    assert review.state == "scheduled"
    assert [r.pk for r in created] == [review.pk]
    assert keys_for("owner@example.org") == [
        f"pdc-review:{plan.pk}:2026-07-15:owner@example.org"]
    assert len(keys_for(people["pdc"])) == 1

    action = plan_action(plan)
    close_review(review, action, at(D(2026, 7, 20)))
    plan.reload()
    assert plan.next_pdc_review == D(2027, 1, 15)

    assert sweeps.create_due_pdc_reviews(at(D(2026, 12, 1))) == {}
    second = sweeps.create_due_pdc_reviews(at(D(2027, 1, 15)), on_review_created=created.append)
    assert second["reviews_created"] == 1
    dates = sorted(r.scheduled_for for r in PDCReview.objects)
    assert dates == [D(2026, 7, 15), D(2027, 1, 15)]
    assert len(created) == 2


def plan_action(plan):
    from lif.models import Action

    return Action.objects(plan=plan).first()


def test_a_failing_review_hook_does_not_stop_the_sweep(people):
    ratified_plan(D(2026, 1, 15))

    def broken(review):
        raise RuntimeError("no pack today")

    result = sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)), on_review_created=broken)
    assert result["reviews_created"] == 1
    assert result["pack_errors"] == 1
    assert result["messages"] == 2


def test_closed_and_draft_plans_get_no_review(people):
    plan = ratified_plan(D(2026, 1, 15))
    in_state(plan, "closed")
    assert sweeps.create_due_pdc_reviews(at(D(2026, 8, 1))) == {}
    assert PDCReview.objects.count() == 0


def test_sweeping_twice_gives_one_review_and_one_of_each_reminder(people):
    ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 7, 22)}])
    now = at(D(2026, 7, 15))

    first = sweeps.run_all(now)
    counts = (PDCReview.objects.count(), Notification.objects.count())
    second = sweeps.run_all(now)

    assert first["pdc_reviews"]["reviews_created"] == 1
    assert first["action_reminders"]["reminders"] == 1
    assert "reviews_created" not in second["pdc_reviews"]
    assert second["action_reminders"] == {}
    assert (PDCReview.objects.count(), Notification.objects.count()) == counts
    assert counts[0] == 1


def test_two_sweeps_at_once_give_one_of_each(people):
    ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 7, 22)}, {"due": D(2026, 7, 1)}])
    now = at(D(2026, 7, 15))
    barrier = threading.Barrier(4)
    results, errors = [], []

    def sweep():
        barrier.wait()
        try:
            results.append(sweeps.run_all(now))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert all("error" not in part for result in results for part in result.values())
    assert PDCReview.objects.count() == 1
    assert sum(r["pdc_reviews"].get("reviews_created", 0) for r in results) == 1
    assert Meeting.objects(slot="ciec:2026-07").count() == 1
    keys = list(Notification.objects.scalar("key"))
    assert len(keys) == len(set(keys))
    lead_keys = keys_for("named.lead@example.org")
    assert sorted(k.split(":")[2] for k in lead_keys) == ["due-7", "overdue"]
    assert sum(sum(part.get("messages", 0) for part in r.values()) for r in results) == len(keys)


def test_reminders_30_7_and_1_days_before_then_weekly_while_overdue(people):
    plan = ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 6, 30)}])
    action = plan_action(plan)
    day = D(2026, 5, 20)
    while day <= D(2026, 7, 20):
        sweeps.send_action_reminders(at(day))
        day += dt.timedelta(days=1)

    steps = [key.split(":", 2)[2].rsplit(":", 1)[0] for key in keys_for("named.lead@example.org")]
    assert sorted(steps) == sorted(["due-30", "due-7", "due-1", "overdue:0", "overdue:1",
                                    "overdue:2"])
    sent = {n.key.split(":", 2)[2].rsplit(":", 1)[0]: n.created_at.date()
            for n in Notification.objects(recipient="named.lead@example.org")}
    assert sent == {"due-30": D(2026, 5, 31), "due-7": D(2026, 6, 23), "due-1": D(2026, 6, 29),
                    "overdue:0": D(2026, 7, 1), "overdue:1": D(2026, 7, 8),
                    "overdue:2": D(2026, 7, 15)}
    # The agency's lead users hear too; another agency's do not.
    assert len(keys_for(people["lead"])) == 6
    assert keys_for(people["other_lead"]) == []
    assert all(n.link == f"/admin/action/details/?id={action.pk}"
               for n in Notification.objects(recipient=people["lead"]))


def test_forty_days_of_downtime_send_one_overdue_notice_per_action(people):
    ratified_plan(D(2026, 1, 15), actions=[
        {"due": D(2026, 6, 1), "title": "First"},
        {"due": D(2026, 6, 10), "title": "Second"},
    ])
    result = sweeps.send_action_reminders(at(D(2026, 7, 11)))  # 40 days after the first

    assert result["overdue"] == 2
    keys = keys_for("named.lead@example.org")
    # The current week of each clock only: 40 days overdue is week 5, 31 days is week 4.
    assert sorted(":".join(k.split(":")[2:4]) for k in keys) == ["overdue:4", "overdue:5"]
    assert Notification.objects(key__in=keys, subject__startswith="Action overdue").count() == 2


def test_done_actions_and_unratified_plans_get_no_reminders(people):
    plan = ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 6, 30)}])
    in_state(plan_action(plan), "complete")
    assert sweeps.send_action_reminders(at(D(2026, 7, 20))) == {}
    other = ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 6, 30)}], title="Draft")
    in_state(other, "submitted")
    assert sweeps.send_action_reminders(at(D(2026, 7, 20))) == {}


def test_information_request_reminder_then_one_chase(people):
    with travel(at(D(2026, 1, 1))):
        request = make_information_request(agency="police")  # due 8 January
        make_information_request(make_referral(title="Other"), agency="csc")

    assert sweeps.send_information_request_reminders(at(D(2026, 1, 5))) == {}
    assert sweeps.send_information_request_reminders(at(D(2026, 1, 6)))["reminders"] == 2
    assert sweeps.send_information_request_reminders(at(D(2026, 1, 8))) == {}
    assert sweeps.send_information_request_reminders(at(D(2026, 1, 9)))["chases"] == 2
    assert sweeps.send_information_request_reminders(at(D(2026, 1, 20))) == {}

    assert keys_for(people["ciec"]) == sorted([
        f"information_request:{request.pk}:chase:{people['ciec']}",
        f"information_request:{request.pk}:reminder:{people['ciec']}",
    ])
    # No CIEC member in csc: the administrators are told instead.
    admin_keys = [k for k in Notification.objects(recipient="admin@test.lif").scalar("key")]
    assert len(admin_keys) == 2
    # Referral titles may name children: messages never carry them.
    assert not Notification.objects(body__contains="Referral T").count()
    assert not Notification.objects(subject__contains="RFI").count()


def test_answered_requests_are_not_chased(people):
    with travel(at(D(2026, 1, 1))):
        request = make_information_request(agency="police")
    in_state(request, "answered")
    assert sweeps.send_information_request_reminders(at(D(2026, 1, 9))) == {}


def test_scr_decision_amber_then_red_to_chair_and_admin(people):
    with travel(at(D(2026, 3, 1))):
        referral = make_referral(notified_on=D(2026, 3, 2))
    deadline = D(2026, 4, 2)

    assert sweeps.send_scr_decision_alerts(at(D(2026, 3, 18))) == {}
    assert sweeps.send_scr_decision_alerts(at(deadline - dt.timedelta(days=14)))["amber"] == 1
    assert sweeps.send_scr_decision_alerts(at(deadline)) == {}
    assert sweeps.send_scr_decision_alerts(at(deadline + dt.timedelta(days=1)))["red"] == 1
    assert sweeps.send_scr_decision_alerts(at(deadline + dt.timedelta(days=9))) == {}
    for email in (people["chair"], "admin@test.lif"):
        assert keys_for(email) == [f"referral:{referral.pk}:decision-amber:{email}",
                                   f"referral:{referral.pk}:decision-red:{email}"]


def test_decided_referrals_need_no_decision_alert(people):
    with travel(at(D(2026, 3, 1))):
        referral = make_referral(notified_on=D(2026, 3, 2))
    Referral.objects(pk=referral.pk).update_one(set__decision="no_review",
                                                set__decided_on=D(2026, 3, 20),
                                                set__state="decided")
    assert sweeps.send_scr_decision_alerts(at(D(2026, 5, 1))) == {}


def test_national_panel_notice_once_when_no_scr_is_decided(people):
    with travel(at(D(2026, 3, 1))):
        no_scr = make_referral(notified_on=D(2026, 3, 2))
        scr = make_referral(title="SCR one", notified_on=D(2026, 3, 2))
    for referral, decision in ((no_scr, "critical_case_review"), (scr, "scr")):
        Referral.objects(pk=referral.pk).update_one(
            set__decision=decision, set__decision_rationale="Because", set__chair_stance="affirmed",
            set__decided_on=D(2026, 3, 20), set__state="decided")

    first = sweeps.send_national_panel_notices(at(D(2026, 3, 21)))
    again = sweeps.send_national_panel_notices(at(D(2026, 4, 3)))

    assert first == {"notices": 1, "messages": 1}
    assert again == {}  # until the date passes (then one chase: test_sweeps_stop.py)
    notice = Notification.objects.get(recipient="admin@test.lif")
    assert notice.key == f"referral:{no_scr.pk}:national-panel:admin@test.lif"
    assert "by 3 April 2026" in notice.subject


def test_monthly_ciec_meetings_are_created_once(people):
    first = sweeps.create_ciec_meetings(at(D(2026, 12, 3)))
    again = sweeps.create_ciec_meetings(at(D(2026, 12, 20)))
    later = sweeps.create_ciec_meetings(at(D(2027, 1, 2)))

    assert first == {"meetings_created": 2}
    assert again == {}
    assert later == {"meetings_created": 1}
    meetings = {m.slot: m for m in Meeting.objects}
    assert sorted(meetings) == ["ciec:2026-12", "ciec:2027-01", "ciec:2027-02"]
    assert meetings["ciec:2026-12"].date == D(2026, 12, 15)
    assert meetings["ciec:2026-12"].committee == "ciec"
    assert meetings["ciec:2026-12"].state == "planned"


def test_scr_past_its_publication_window_is_flagged_not_moved(people):
    with travel(at(D(2025, 1, 1))):
        review = make_review(title="LSCR 1402", effective=D(2025, 1, 10))
        young = make_review(title="LSCR 1501", effective=D(2025, 6, 1))
    in_state(review, "published")
    in_state(young, "published")

    assert sweeps.send_publication_window_notices(at(D(2026, 1, 9))) == {}
    result = sweeps.send_publication_window_notices(at(D(2026, 1, 10)))
    assert result == {"notices": 1, "messages": 1}
    assert sweeps.send_publication_window_notices(at(D(2026, 2, 10))) == {}
    assert Review.objects.get(pk=review.pk).state == "published"
    assert "LSCR 1402" in Notification.objects.get(recipient="admin@test.lif").subject


def test_dry_run_changes_nothing_and_says_what_it_would_do(people):
    ratified_plan(D(2026, 1, 15), actions=[{"due": D(2026, 7, 22)}])
    before = Notification.objects.count()

    summary = sweeps.run_all(at(D(2026, 7, 15)), dry_run=True)

    assert summary["pdc_reviews"]["reviews_created"] == 1
    assert summary["action_reminders"]["reminders"] == 1
    assert summary["ciec_meetings"]["meetings_created"] == 2
    assert PDCReview.objects.count() == 0
    assert Meeting.objects.count() == 0
    assert Notification.objects.count() == before


def test_run_all_uses_the_controlled_clock(people):
    ratified_plan(D(2026, 1, 15))
    with travel(at(D(2026, 7, 15), 10)):
        summary = sweeps.run_all(clock.now())
    assert summary["pdc_reviews"]["reviews_created"] == 1
    assert summary["email"] == {"skipped": "SMTP not configured (LIF_SMTP_HOST unset)"}


def test_inactive_users_are_not_told(people):
    User.objects(email=people["pdc"]).update_one(set__active=False)
    ratified_plan(D(2026, 1, 15))
    sweeps.create_due_pdc_reviews(at(D(2026, 7, 15)))
    assert keys_for(people["pdc"]) == []
