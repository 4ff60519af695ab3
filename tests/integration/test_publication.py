"""Publication windows: the 12-month SCR guard and the public page."""

from __future__ import annotations

import datetime as dt

import pytest

from lif import workflow
from lif.actors import SYSTEM
from lif.errors import GuardFailed
from lif.services import attachments, sweeps

from .. import factories as f
from ..conftest import make_user


def published_scr(on=dt.date(2026, 1, 10), **extra):
    review = f.in_state(f.make_review(title="Child P", **extra), "ratified_lscb")
    workflow.fire(review, "publish", make_user("chair"), now=dt.datetime.combine(on, dt.time(9)))
    return review


@pytest.mark.parametrize(("months", "allowed"), [(11, False), (13, True)])
def test_scr_cannot_be_retracted_within_twelve_months(clean_db, months, allowed):
    review = published_scr()
    assert review.effective == dt.date(2026, 1, 10)
    later = dt.datetime(2026, 1, 10, 9) + dt.timedelta(days=round(months * 30.5))
    admin = make_user("admin")
    if allowed:
        workflow.fire(review, "end_publication", admin, now=later)
        assert review.state == "on_request"
    else:
        with pytest.raises(GuardFailed) as error:
            workflow.fire(review, "retract", admin, "Family objects", now=later)
        assert "at least 12 months" in error.value.message
        assert "10 January 2027" in error.value.message
        assert review.state == "published"


@pytest.mark.parametrize(("today", "allowed"), [
    (dt.date(2027, 1, 9), False), (dt.date(2027, 1, 10), True),
])
def test_the_window_ends_on_the_anniversary_of_publication(clean_db, today, allowed):
    review = published_scr(on=dt.date(2026, 1, 10))
    blocked = [t["blocked"] for t in workflow.available_transitions(
        review, make_user("admin"), now=dt.datetime.combine(today, dt.time(9)))
        if t["name"] == "end_publication"]
    assert blocked and (blocked[0] is None) == allowed


def test_published_on_29_february_the_guard_and_the_sweep_agree_on_1_march(clean_db):
    # "At least 12 months": a short February never cuts them short. Before, the guard
    # allowed withdrawal on 28 Feb 2025 while the sweep said the window was over on 1 Mar.
    review = published_scr(on=dt.date(2024, 2, 29))
    admin = make_user("admin")
    with pytest.raises(GuardFailed) as error:
        workflow.fire(review, "end_publication", admin, now=dt.datetime(2025, 2, 28, 9))
    assert "withdrawn from 01 March 2025" in error.value.message
    assert sweeps.send_publication_window_notices(dt.datetime(2025, 2, 28, 9)) == {}
    assert sweeps.send_publication_window_notices(dt.datetime(2025, 3, 1, 9))["notices"] == 1
    workflow.fire(review, "end_publication", admin, now=dt.datetime(2025, 3, 1, 9))
    assert review.state == "on_request"


def test_admin_override_inside_the_window_is_recorded(clean_db):
    review = published_scr()
    workflow.fire(review, "retract", make_user("admin"), "Court order", override=True,
                  now=dt.datetime(2026, 3, 1))
    assert review.state == "ratified_lscb"
    assert "Court order" in review.workflow_history[-1].comment


def test_public_page_lists_only_items_in_their_window(client):
    live = published_scr(on=dt.date.today() - dt.timedelta(days=30))
    f.in_state(f.make_review(title="Draft review"), "systems_review")
    restricted = published_scr(on=dt.date.today() - dt.timedelta(days=30))
    restricted.update(set__title="Restricted one", set__restricted=True)
    expired = published_scr(on=dt.date.today() - dt.timedelta(days=30))
    expired.update(set__title="Expired one", set__expires=dt.date.today() - dt.timedelta(days=1))
    attachments.add(live, "report.pdf", b"%PDF-1.4 report", "application/pdf", "", SYSTEM,
                    published=True)
    secret = attachments.add(live, "panel notes.pdf", b"%PDF-1.4 notes", "application/pdf", "",
                             SYSTEM)
    page = client.get("/published").get_data(as_text=True)
    assert "Child P" in page and "report.pdf" in page
    assert "Draft review" not in page and "Restricted one" not in page
    assert "Expired one" not in page and "panel notes.pdf" not in page
    assert client.get(f"/published/file/{secret.pk}").status_code == 404
    public = [a for a in attachments.list_for(live) if a.published][0]
    response = client.get(f"/published/file/{public.pk}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 report"


def test_public_page_needs_no_login_and_states_the_window(client):
    response = client.get("/published")
    assert response.status_code == 200
    assert "published here for at least 12 months" in response.get_data(as_text=True)
