"""Publication windows: the 12-month SCR guard and the public page."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from lif import workflow
from lif.actors import SYSTEM
from lif.errors import GuardFailed
from lif.services import attachments

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


def test_public_page_needs_no_login(client):
    assert client.get("/published").status_code == 200
    assert io  # the page is plain HTML; nothing else is public
