"""Login, logout, CSRF, throttling and cookie flags over HTTP."""

from __future__ import annotations

from lif.models import AuditEvent

from ..conftest import ADMIN_EMAIL, PASSWORD, make_user


def test_login_then_dashboard_then_logout(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/")
    assert "Waiting for me" in client.get("/admin/").get_data(as_text=True)
    auth.logout()
    assert client.get("/admin/").status_code == 302
    actions = [e.action for e in AuditEvent.objects(actor=ADMIN_EMAIL)]
    assert "login" in actions and "logout" in actions


def test_wrong_password_is_refused_and_recorded(client, auth):
    response = auth.login(password="wrong password entirely")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    assert AuditEvent.objects(action="login_failed").count() == 1


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_logout_requires_csrf(client, auth):
    auth.login()
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, auth, app):
    limit = app.config["LIF_LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        auth.login(password="not the password at all")
    response = auth.login()
    assert response.status_code == 401
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(client, auth):
    response = auth.login()
    cookies = response.headers.getlist("Set-Cookie")
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


def test_unauthenticated_admin_redirects_to_login(client):
    response = client.get("/admin/action/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "reachable"


def test_inactive_account_cannot_sign_in(client, auth):
    user = make_user("viewer")
    user.update(set__active=False)
    assert auth.login(user.email).status_code == 401


def test_open_redirect_after_login_is_ignored(client, auth):
    token = auth.csrf("/login")
    response = client.post("/login?next=https://evil.example/", data={
        "email": ADMIN_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/admin/")
