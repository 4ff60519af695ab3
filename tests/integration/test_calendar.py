"""The private calendar feed: a person's deadlines and meetings at a secret, revocable address."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest

from lif.models import User
from lif.services import calendar, sweeps
from tests.conftest import AuthActions, make_user
from tests.factories import make_information_request

from .deadline_helpers import at, ratified_plan, travel

D = dt.date


def events(body: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def world(clean_db):
    """Two plans with actions of two agencies, a PDC review, CIEC meetings, an RFI."""
    people = {
        "owner": make_user("training", email="owner@test.lif"),
        "pdc": make_user("pdc"),
        "police_lead": make_user("lead", "police"),
        "csc_lead": make_user("lead", "csc"),
        "ciec": make_user("ciec", "police"),
        "viewer": make_user("viewer"),
    }
    ratified_plan(D(2026, 1, 15), owner="owner@test.lif", title="Neglect plan", actions=[
        {"due": D(2026, 9, 30), "agency": "police", "title": "Police training"},
        {"due": D(2026, 10, 31), "agency": "csc", "title": "Careline audit",
         "lead_email": "csc.lead.person@example.org"},
    ])
    ratified_plan(D(2026, 2, 1), owner="someone@test.lif", title="CSE plan", actions=[
        {"due": D(2026, 11, 30), "agency": "csc", "title": "CSE screening"},
    ])
    with travel(at(D(2026, 7, 1))):
        make_information_request(agency="police")
    sweeps.run_all(at(D(2026, 7, 15)))  # the July PDC review and the CIEC meetings
    return people


def feed_for(client, user) -> bytes:
    token = calendar.create_token(user)
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return response.data


def test_owner_sees_the_pdc_reviews_of_their_plan(client, world):
    found = events(feed_for(client, world["owner"]))
    assert set(found) == {"PDC review: Neglect plan"}
    event = found["PDC review: Neglect plan"]
    assert event.decoded("dtstart") == D(2026, 7, 15)
    assert "/admin/pdc_review/details/?id=" in str(event["url"])
    assert str(event["url"]).startswith("http://localhost/")


def test_pdc_member_sees_every_plan_and_their_meetings(client, world):
    found = events(feed_for(client, world["pdc"]))
    assert "PDC review: Neglect plan" in found
    assert found["PDC review due: CSE plan"].decoded("dtstart") == D(2026, 8, 1)
    assert not any("CIEC" in summary for summary in found)


def test_lead_sees_their_agencys_action_due_dates_only(client, world):
    police = events(feed_for(client, world["police_lead"]))
    csc = events(feed_for(client, world["csc_lead"]))
    assert set(police) == {"Action due: Police training"}
    assert police["Action due: Police training"].decoded("dtstart") == D(2026, 9, 30)
    assert set(csc) == {"Action due: Careline audit", "Action due: CSE screening"}


def test_named_lead_with_an_account_sees_the_actions_they_lead(client, world):
    person = make_user("viewer", email="csc.lead.person@example.org")
    assert set(events(feed_for(client, person))) == {"Action due: Careline audit"}


def test_ciec_member_sees_meetings_and_requests_without_names(client, world):
    with travel(at(D(2026, 7, 16))):
        found = events(feed_for(client, world["ciec"]))
    assert found["CIEC meeting July 2026"].decoded("dtstart") == D(2026, 7, 15)
    assert "CIEC meeting August 2026" in found
    request = found["Request for information due (Merseyside Police)"]
    assert request.decoded("dtstart") == D(2026, 1, 8)
    assert all("Referral T" not in summary for summary in found)


def test_meetings_long_past_drop_out_of_the_feed(client, world):
    with travel(at(D(2027, 1, 1))):
        found = events(feed_for(client, world["ciec"]))
    assert not any(summary.startswith("CIEC meeting") for summary in found)


def test_a_person_without_deadlines_gets_an_empty_valid_calendar(client, world):
    body = feed_for(client, world["viewer"])
    assert icalendar.Calendar.from_ical(body)["prodid"] == calendar.PRODID
    assert events(body) == {}


def test_only_a_hash_of_the_token_is_stored(clean_db):
    user = make_user("pdc")
    token = calendar.create_token(user)
    stored = User.objects.get(pk=user.pk).calendar_token
    assert token not in stored
    assert stored.startswith("sha256:")
    assert calendar.user_for_token(token).pk == user.pk


def test_revoked_or_replaced_or_unknown_tokens_are_not_found(client, world):
    user = world["pdc"]
    old = calendar.create_token(user)
    new = calendar.create_token(user)
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    calendar.revoke_token(user)
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert client.get("/calendar/lifcal_nonsense.ics").status_code == 404
    assert client.get("/calendar/.ics").status_code == 404


def test_an_inactive_users_feed_is_not_found(client, world):
    user = world["pdc"]
    token = calendar.create_token(user)
    User.objects(pk=user.pk).update_one(set__active=False)
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_preferences_page_creates_shows_once_and_revokes_the_feed(client, world):
    user = world["police_lead"]
    auth = AuthActions(client)
    auth.login(user.email)

    token = auth.csrf("/admin/preferences/")
    page = client.post("/admin/preferences/calendar/create/", data={"csrf_token": token})
    text = page.get_data(as_text=True)
    url = re.search(r'value="(http://localhost/calendar/lifcal_[^"]+\.ics)"', text).group(1)
    path = url.removeprefix("http://localhost")
    assert "Police training" in events(client.get(path).data).__repr__()

    again = client.get("/admin/preferences/").get_data(as_text=True)
    assert "lifcal_" not in again  # shown only once
    assert "You have a calendar address" in again

    token = auth.csrf("/admin/preferences/")
    client.post("/admin/preferences/calendar/revoke/", data={"csrf_token": token})
    assert client.get(path).status_code == 404
    assert User.objects.get(pk=user.pk).calendar_token is None
