"""Accounts and sessions: changing and resetting passwords, the forgotten-password email,
sessions that end when they should, a login throttle no burst can beat."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlsplit

import pytest
import time_machine

from lif.errors import InvalidInput
from lif.models import AuditEvent, User
from lif.services import users

from ..conftest import ADMIN_EMAIL, PASSWORD, AuthActions, make_user
from .test_notifications import mail_off, mail_on, smtp_server  # noqa: F401 - fixtures

NEW_PASSWORD = "umbrella kettle orchard 9"
CHANGE_PAGE = "/account/password/"


def _login(client, email, password):
    return AuthActions(client).login(email, password)


def _change(client, current, new, confirm=None):
    token = AuthActions(client).csrf(CHANGE_PAGE)
    return client.post(CHANGE_PAGE, data={"csrf_token": token, "current_password": current,
                                          "new_password": new,
                                          "confirm_password": confirm or new})


def _to_change(response) -> bool:
    """Whether ``response`` sends the person to choose a new password."""
    return response.status_code == 302 and urlsplit(response.headers["Location"]).path \
        == CHANGE_PAGE


def _signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


# --- the password policy -------------------------------------------------------------------


@pytest.mark.parametrize("password", ["Password-Password", "P@ssw0rd P@ssw0rd"])
def test_guessable_passwords_of_the_report_are_refused_with_a_reason(clean_db, password):
    with pytest.raises(InvalidInput) as refused:
        users.create_user("policy.person@example.org", password, ["viewer"])
    message = refused.value.errors["password"]
    assert "guess" in message and "repeat" in message.lower()
    assert users.find_by_email("policy.person@example.org") is None


# --- changing one's own password -----------------------------------------------------------


def test_a_person_changes_their_password_with_the_current_one(app, client):
    viewer = make_user("viewer")
    other_device = app.test_client()
    assert _login(other_device, viewer.email, PASSWORD).status_code == 302
    assert _login(client, viewer.email, PASSWORD).status_code == 302
    page = client.get(CHANGE_PAGE).get_data(as_text=True)
    assert "Current password" in page

    # The wrong current password is refused, keeping the form, changing nothing.
    wrong = _change(client, "not my password at all", NEW_PASSWORD)
    assert wrong.status_code == 400
    assert "current password is wrong" in wrong.get_data(as_text=True)
    # A weak new one is refused with the reason.
    weak = _change(client, PASSWORD, "Password-Password")
    assert weak.status_code == 400 and "guess" in weak.get_data(as_text=True)
    mismatch = _change(client, PASSWORD, NEW_PASSWORD, "umbrella kettle orchard 8")
    assert mismatch.status_code == 400 and "do not match" in mismatch.get_data(as_text=True)

    done = _change(client, PASSWORD, NEW_PASSWORD)
    assert done.status_code == 302
    # This session goes on; every other one of this person ended.
    assert _signed_in(client)
    assert not _signed_in(other_device)
    assert _login(app.test_client(), viewer.email, PASSWORD).status_code == 401
    assert _login(app.test_client(), viewer.email, NEW_PASSWORD).status_code == 302
    assert AuditEvent.objects(action="change_password", object_title=str(viewer)).count() == 1


def test_the_change_page_needs_a_signed_in_person(client):
    response = client.get(CHANGE_PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- a password someone else chose is changed at first sign-in ----------------------------


def test_a_generated_password_must_be_changed_at_first_sign_in(app, client, auth):
    user, generated = users.create_user("new.person@example.org", None, ["viewer"])
    assert generated and user.must_change_password
    assert _to_change(_login(client, user.email, generated))
    # Nothing else opens until it is changed.
    for path in ("/admin/", "/admin/review/", "/admin/search/?q=x"):
        assert _to_change(client.get(path)), path
    assert "choose a new password" in client.get(CHANGE_PAGE).get_data(as_text=True).lower()
    assert _change(client, generated, NEW_PASSWORD).status_code == 302
    assert _signed_in(client)
    assert not User.objects.get(pk=user.pk).must_change_password


def test_an_account_made_by_an_administrator_must_change_its_password(client, auth):
    auth.login()
    token = auth.csrf("/admin/users/new/")
    client.post("/admin/users/new/", data={
        "csrf_token": token, "email": "made@example.org", "name": "Made", "roles": "viewer",
        "password": "chosen by the administrator 7", "active": "y"})
    assert users.find_by_email("made@example.org").must_change_password


# --- an administrator resets a password -----------------------------------------------------


def test_an_administrator_resets_a_password_which_signs_the_person_out(app, client, auth):
    viewer = make_user("viewer")
    theirs = app.test_client()
    assert _login(theirs, viewer.email, PASSWORD).status_code == 302
    auth.login()
    details = f"/admin/users/details/?id={viewer.pk}"
    assert "Reset password" in client.get(details).get_data(as_text=True)
    response = client.post("/admin/users/reset-password/", data={
        "csrf_token": auth.csrf(details), "id": str(viewer.pk)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    generated = re.search(r"New password \(shown once\): (\S+)", page).group(1)
    assert not _signed_in(theirs)  # signed out everywhere
    assert _login(app.test_client(), viewer.email, PASSWORD).status_code == 401
    again = app.test_client()
    assert _to_change(_login(again, viewer.email, generated))
    assert AuditEvent.objects(action="reset_password", object_title=str(viewer)).count() == 1


def test_only_an_administrator_may_reset_a_password(app, client):
    viewer = make_user("viewer")
    pdc = make_user("pdc")
    assert _login(client, pdc.email, PASSWORD).status_code == 302
    response = client.post("/admin/users/reset-password/", data={
        "csrf_token": AuthActions(client).csrf("/admin/"), "id": str(viewer.pk)})
    assert response.status_code == 403
    assert _login(app.test_client(), viewer.email, PASSWORD).status_code == 302


def test_set_password_on_the_command_line(app, runner, clean_db):
    viewer = make_user("viewer")
    theirs = app.test_client()
    assert _login(theirs, viewer.email, PASSWORD).status_code == 302
    result = runner.invoke(args=["lif", "set-password", viewer.email],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    assert not _signed_in(theirs)
    fresh = app.test_client()
    assert _to_change(_login(fresh, viewer.email, NEW_PASSWORD))

    generated = runner.invoke(args=["lif", "set-password", viewer.email, "--generate"])
    assert generated.exit_code == 0 and "shown once" in generated.output

    weak = runner.invoke(args=["lif", "set-password", viewer.email],
                         input="Password-Password\nPassword-Password\n")
    assert weak.exit_code == 1 and "guess" in weak.output
    nobody = runner.invoke(args=["lif", "set-password", "ghost@example.org", "--generate"])
    assert nobody.exit_code == 1 and "No user" in nobody.output


# --- the forgotten password -----------------------------------------------------------------


def _reset_link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"https://lif\.example\.org(/reset-password/\S+)", body).group(1)


def test_a_forgotten_password_is_reset_by_a_single_use_link(app, client, mail_on):  # noqa: F811
    viewer = make_user("viewer")
    theirs = app.test_client()
    assert _login(theirs, viewer.email, PASSWORD).status_code == 302
    assert "Forgotten your password?" in client.get("/login").get_data(as_text=True)
    token = AuthActions(client).csrf("/forgot-password")
    sent = client.post("/forgot-password", data={"csrf_token": token, "email": viewer.email})
    answer = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "If an account" in answer
    # Nobody is told whether an address has an account: the same answer, and no email.
    token = AuthActions(client).csrf("/forgot-password")
    unknown = client.post("/forgot-password", data={"csrf_token": token,
                                                     "email": "ghost@example.org"})
    assert unknown.get_data(as_text=True).count("If an account") == 1
    assert [m["To"] for m in mail_on.messages] == [viewer.email]

    link = _reset_link(mail_on.messages[0])
    token = AuthActions(client).csrf(link)
    done = client.post(link, data={"csrf_token": token, "new_password": NEW_PASSWORD,
                                   "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert not _signed_in(theirs)
    assert _login(app.test_client(), viewer.email, NEW_PASSWORD).status_code == 302
    # Used once, the link opens nothing again.
    assert client.get(link).status_code == 404
    again = client.post(link, data={"csrf_token": AuthActions(client).csrf("/login"),
                                    "new_password": "another fine passphrase 3",
                                    "confirm_password": "another fine passphrase 3"})
    assert again.status_code == 404
    assert _login(app.test_client(), viewer.email, NEW_PASSWORD).status_code == 302


def test_a_reset_link_expires(app, client, mail_on):  # noqa: F811
    viewer = make_user("viewer")
    token = AuthActions(client).csrf("/forgot-password")
    client.post("/forgot-password", data={"csrf_token": token, "email": viewer.email})
    link = _reset_link(mail_on.messages[0])
    later = dt.datetime.now(dt.UTC) + users.RESET_LINK_LIFETIME + dt.timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert client.get(link).status_code == 404
    assert _login(app.test_client(), viewer.email, PASSWORD).status_code == 302


def test_without_smtp_the_forgotten_password_page_sends_people_to_an_administrator(
        client, mail_off):  # noqa: F811
    assert "Forgotten your password?" not in client.get("/login").get_data(as_text=True)
    page = client.get("/forgot-password").get_data(as_text=True)
    assert "ask an administrator" in page


# --- sessions -----------------------------------------------------------------------------


def _copy_session(source, target) -> None:
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_session_copied_before_sign_out_is_dead_after_it(app, client, auth):
    auth.login()
    stolen = app.test_client()
    _copy_session(client, stolen)
    assert _signed_in(stolen)
    auth.logout()
    assert not _signed_in(stolen)


def test_signing_in_starts_a_new_session_and_a_new_csrf_token(client, auth):
    before = auth.csrf("/login")
    auth.login()
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400  # the token from before signing in is dead
    assert _signed_in(client)


def test_deactivating_an_account_and_sign_out_everywhere_end_its_sessions(app, client, auth):
    viewer = make_user("viewer")
    theirs = app.test_client()
    assert _login(theirs, viewer.email, PASSWORD).status_code == 302
    auth.login()
    details = f"/admin/users/details/?id={viewer.pk}"
    response = client.post("/admin/users/sign-out/", data={
        "csrf_token": auth.csrf(details), "id": str(viewer.pk)})
    assert response.status_code == 302
    assert not _signed_in(theirs)
    assert AuditEvent.objects(action="sign_out_everywhere").count() == 1

    assert _login(theirs, viewer.email, PASSWORD).status_code == 302
    users.update_user(viewer, name=viewer.name, roles=["viewer"], agency=None, active=False)
    users.update_user(viewer, name=viewer.name, roles=["viewer"], agency=None, active=True)
    assert not _signed_in(theirs)  # reactivated, the old session stays dead


# --- the login throttle ----------------------------------------------------------------------


def _burst(app, attempts: list[tuple[str, str]]) -> list[str]:
    """POST every (email, password) to /login at once, each from its own browser."""
    clients = [app.test_client() for _ in attempts]
    tokens = [AuthActions(c).csrf("/login") for c in clients]
    start = threading.Barrier(len(attempts))
    outcomes: list[str] = [""] * len(attempts)

    def attempt(n: int) -> None:
        email, password = attempts[n]
        start.wait()
        response = clients[n].post("/login", data={
            "email": email, "password": password, "csrf_token": tokens[n]},
            environ_base={"REMOTE_ADDR": "10.6.6.6"})
        text = response.get_data(as_text=True)
        outcomes[n] = ("signed in" if response.status_code == 302 else
                       "checked" if "Wrong email or password" in text else
                       "locked" if "Too many failed attempts" in text else text[:200])

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(app, clean_db):
    limit = app.config["LIF_LOGIN_MAX_FAILURES"]
    guesses = [(ADMIN_EMAIL, f"guess number {n} of thirty") for n in range(30)]
    outcomes = _burst(app, [*guesses, (ADMIN_EMAIL, PASSWORD)])
    checked = [o for o in outcomes if o in ("checked", "signed in")]
    assert len(checked) <= limit, outcomes
    assert set(outcomes) <= {"checked", "signed in", "locked"}, outcomes
    # And the right password after the burst is refused: the account is locked.
    assert _login(app.test_client(), ADMIN_EMAIL, PASSWORD).status_code == 401


def _peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        found = re.search(r"VmHWM:\s+(\d+) kB", fh.read())
    return int(found.group(1)) / 1024


def test_a_burst_of_logins_hashes_a_few_at_a_time_so_memory_stays_bounded(tmp_path):
    """Each Argon2 check takes 64 MiB: 31 at once would take 2 GiB (the report)."""
    import urllib.parse
    import urllib.request

    from .test_faults import Browser
    from .test_server import free_port, start, stop, wait_healthy

    port = free_port()
    # Real Argon2 (not the tests' cheap parameters), and no lock-out: every attempt is hashed.
    process = start(tmp_path, port, LIF_LOGIN_MAX_FAILURES="1000")
    try:
        wait_healthy(port, process)
        Browser(port).login()  # one check first: the peak then holds one hash's memory
        before = _peak_rss_mib(process.pid)
        browsers = [Browser(port) for _ in range(31)]
        tokens = [b.token("/login") for b in browsers]
        go = threading.Barrier(len(browsers))
        statuses = [0] * len(browsers)

        def attempt(n: int) -> None:
            body = urllib.parse.urlencode({"email": f"guess{n}@example.org",
                                           "password": "a wrong guess indeed",
                                           "csrf_token": tokens[n]}).encode()
            go.wait()
            statuses[n] = browsers[n].open("/login", body)[0]

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(browsers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        grown = _peak_rss_mib(process.pid) - before
    finally:
        stop(process)
    assert statuses == [401] * len(browsers)
    # At most users.HASHES_AT_ONCE checks hold their 64 MiB at once (one is in `before`).
    assert grown < users.HASHES_AT_ONCE * 64 + 32, f"peak grew by {grown:.0f} MiB"
