"""Every admin view × every role: who gets the page, who is refused, who must sign in."""

from __future__ import annotations

import pytest

from config.roles import ROLES

from ..conftest import AuthActions, make_user

CONTENT = ["action_plan", "action", "review", "audit", "referral", "information_request",
           "pdc_review", "meeting"]
ADMIN_ONLY = ["users", "agencies", "audit_trail", "trash"]
# Which content views each role may open (from config/roles.py MENUS, written out so a
# change there shows up here).
OPEN = {
    "admin": set(CONTENT),
    # Every member of staff may refer a case (CIGSCR1) and follow it: the CIEC lists show
    # them what the policy lets them read (their own referrals).
    "lead": {"action_plan", "action", "review", "audit", "referral", "information_request"},
    "pdc": {"action_plan", "action", "review", "audit", "pdc_review", "meeting", "referral",
            "information_request"},
    "qaec": {"action_plan", "action", "review", "audit", "pdc_review", "meeting", "referral",
             "information_request"},
    "ciec": {"action_plan", "action", "review", "referral", "information_request",
             "pdc_review", "meeting"},
    "ciec_chair": {"action_plan", "action", "review", "referral", "information_request",
                   "pdc_review", "meeting"},
    "chair": set(CONTENT),
    "training": {"action_plan", "action", "review", "audit", "pdc_review", "meeting",
                 "referral", "information_request"},
    "viewer": {"action_plan", "action", "review"},
}
AGENCY = {"lead": "police", "ciec": "police"}


def expected(role: str, view: str) -> int:
    if view in ADMIN_ONLY:
        return 200 if role == "admin" else 403
    return 200 if view in OPEN[role] else 403


CASES = [(role, view) for role in ROLES for view in CONTENT + ADMIN_ONLY]


@pytest.mark.parametrize(("role", "view"), CASES)
def test_view_access_by_role(client, role, view):
    user = make_user(role, AGENCY.get(role))
    AuthActions(client).login(user.email)
    response = client.get(f"/admin/{view}/")
    assert response.status_code == expected(role, view)


@pytest.mark.parametrize("view", CONTENT + ADMIN_ONLY + ["", "messages"])
def test_view_requires_login(client, view):
    response = client.get(f"/admin/{view}/" if view else "/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_menu_hides_what_a_role_cannot_open(client):
    user = make_user("viewer")
    AuthActions(client).login(user.email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "/admin/action/" in page
    assert "/admin/referral/" not in page
    assert "/admin/users/" not in page
    assert "/admin/audit_trail/" not in page
