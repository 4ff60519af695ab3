"""Notifications: one per key, the email outbox over a real SMTP server, retries, digests."""

from __future__ import annotations

import datetime as dt
import email
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

from lif.models import Notification, User
from lif.services import notifications
from tests.conftest import AuthActions, make_user

from .deadline_helpers import at

D = dt.date
NOW = at(D(2026, 7, 15), 9)


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_off():
    notifications.configure_mail(None)
    yield
    notifications.configure_mail(None)


@pytest.fixture
def mail_on(smtp_server, mail_off):
    host, port, inbox = smtp_server
    notifications.configure_mail(host, port, "lif@example.org", "https://lif.example.org")
    return inbox


def test_one_message_per_key(clean_db, mail_off):
    assert notifications.notify("a@example.org", "Hello", "Body", "k:1", now=NOW) is True
    assert notifications.notify("A@example.org", "Hello again", "Body", "k:1", now=NOW) is False
    assert Notification.objects(key="k:1").count() == 1
    message = Notification.objects.get(key="k:1")
    assert message.recipient == "a@example.org"
    assert message.email_status == "none"  # no SMTP configured: in-app only


def test_email_status_follows_the_recipients_choice(clean_db, mail_on):
    immediate = make_user("pdc", email="now@test.lif")
    digest = make_user("pdc", email="digest@test.lif")
    quiet = make_user("pdc", email="quiet@test.lif")
    notifications.set_email_mode(digest, "digest")
    notifications.set_email_mode(quiet, "none")

    for user in (immediate, digest, quiet):
        notifications.notify(user.email, "S", "B", f"k:{user.email}", now=NOW)
    notifications.notify("named.lead@example.org", "S", "B", "k:no-account", now=NOW)

    status = {n.recipient: n.email_status for n in Notification.objects}
    assert status == {"now@test.lif": "pending", "digest@test.lif": "none",
                      "quiet@test.lif": "none", "named.lead@example.org": "pending"}


def test_unknown_email_mode_is_refused(clean_db):
    from lif.errors import InvalidInput

    user = make_user("pdc")
    with pytest.raises(InvalidInput):
        notifications.set_email_mode(user, "carrier pigeon")


def test_pending_email_arrives_over_smtp(clean_db, smtp_server, mail_on):
    host, port, inbox = smtp_server
    notifications.notify("lead@example.org", "Action due", "Please update it.", "k:mail",
                         link="/admin/action/details/?id=1", now=NOW)

    result = notifications.send_pending(host, port, "lif@example.org", NOW,
                                        base_url="https://lif.example.org")

    assert result == {"sent": 1, "failed": 0}
    [received] = inbox.messages
    assert received["To"] == "lead@example.org"
    assert received["From"] == "lif@example.org"
    assert received["Subject"] == "[LIF] Action due"
    body = received.get_payload()
    assert "Please update it." in body
    assert "https://lif.example.org/admin/action/details/?id=1" in body
    message = Notification.objects.get(key="k:mail")
    assert (message.email_status, message.attempts, message.sent_at) == ("sent", 1, NOW)
    # Sent once: a second run has nothing to do.
    assert notifications.send_pending(host, port, "lif@example.org", NOW) == {"sent": 0,
                                                                              "failed": 0}
    assert len(inbox.messages) == 1


def test_unreachable_smtp_leaves_mail_queued_with_the_error(clean_db, smtp_server, mail_on):
    closed = free_port()  # nothing listens there
    for n in range(3):
        notifications.notify("lead@example.org", f"Message {n}", "B", f"k:{n}", now=NOW)

    result = notifications.send_pending("127.0.0.1", closed, "lif@example.org", NOW)

    assert result == {"sent": 0, "failed": 3}
    for message in Notification.objects:
        assert message.email_status == "failed"
        assert message.attempts == 1
        assert "Cannot reach SMTP 127.0.0.1" in message.last_error

    # Not again at once: the next try waits (backoff from the message's creation).
    later = NOW + dt.timedelta(minutes=5)
    assert notifications.send_pending("127.0.0.1", closed, "lif@example.org", later) == {
        "sent": 0, "failed": 0}

    # When the server is back and the wait is over, the queue drains.
    host, port, inbox = smtp_server
    retry = NOW + dt.timedelta(minutes=15)
    assert notifications.send_pending(host, port, "lif@example.org", retry) == {"sent": 3,
                                                                                "failed": 0}
    assert len(inbox.messages) == 3
    assert set(Notification.objects.scalar("last_error")) == {""}
    assert set(Notification.objects.scalar("attempts")) == {2}


def test_retries_stop_after_the_last_attempt(clean_db, mail_on):
    from config.deadlines import EMAIL_MAX_ATTEMPTS

    notifications.notify("lead@example.org", "S", "B", "k:give-up", now=NOW)
    Notification.objects(key="k:give-up").update_one(set__attempts=EMAIL_MAX_ATTEMPTS,
                                                     set__email_status="failed")
    far = NOW + dt.timedelta(days=365)
    assert notifications.due_for_sending(far) == []


def test_an_unreachable_server_does_not_break_the_app(clean_db, mail_off):
    """A person's action still works when the sweep cannot send (mail stays queued)."""
    from lif.services import sweeps

    notifications.configure_mail("127.0.0.1", free_port(), "lif@example.org")
    notifications.notify("lead@example.org", "S", "B", "k:app", now=NOW)
    summary = sweeps.run_all(NOW)
    assert summary["email"] == {"digests": 0, "sent": 0, "failed": 1}
    assert Notification.objects.get(key="k:app").email_status == "failed"


def test_two_senders_at_once_send_each_email_once(clean_db, smtp_server, mail_on):
    host, port, inbox = smtp_server
    for n in range(10):
        notifications.notify("lead@example.org", f"Message {n}", "B", f"k:{n}", now=NOW)
    barrier = threading.Barrier(3)
    results = []

    def send():
        barrier.wait()
        results.append(notifications.send_pending(host, port, "lif@example.org", NOW))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r["sent"] for r in results) == 10
    assert sorted(m["Subject"] for m in inbox.messages) == sorted(
        f"[LIF] Message {n}" for n in range(10))


def test_daily_digest_batches_unread_messages_once(clean_db, smtp_server, mail_on):
    host, port, inbox = smtp_server
    user = make_user("pdc", email="digest@test.lif")
    notifications.set_email_mode(user, "digest")
    for n in range(3):
        notifications.notify(user.email, f"Reminder {n}", "B", f"k:{n}",
                             link=f"/admin/action/details/?id={n}", now=at(D(2026, 7, 14), 10))
    notifications.notify(user.email, "Already read", "B", "k:read", now=at(D(2026, 7, 14), 10))
    Notification.objects(key="k:read").update_one(set__read_at=at(D(2026, 7, 14), 11))

    assert notifications.queue_digests(at(D(2026, 7, 15), 6)) == 0  # before the digest hour
    assert notifications.queue_digests(at(D(2026, 7, 15), 7)) == 1
    assert notifications.queue_digests(at(D(2026, 7, 15), 8)) == 0  # once a day
    assert notifications.send_pending(host, port, "lif@example.org",
                                      at(D(2026, 7, 15), 8)) == {"sent": 1, "failed": 0}

    [received] = inbox.messages
    assert received["Subject"] == "[LIF] Daily digest: 3 unread message(s)"
    body = received.get_payload()
    assert "Reminder 0" in body and "Reminder 2" in body and "Already read" not in body
    assert "https://lif.example.org/admin/action/details/?id=1" in body
    # The digest itself does not count as unread; the next day repeats nothing.
    assert notifications.unread_count(User.objects.get(email=user.email)) == 3
    assert notifications.queue_digests(at(D(2026, 7, 16), 8)) == 0


def test_list_and_mark_read(clean_db, mail_off):
    user = make_user("pdc")
    notifications.notify(user.email, "Old", "B", "k:old", now=NOW)
    notifications.notify(user.email, "New", "B", "k:new", now=NOW + dt.timedelta(hours=1))
    assert [n.subject for n in notifications.list_for(user)] == ["New", "Old"]
    assert notifications.unread_count(user) == 2
    assert notifications.mark_all_read(user) == 2
    assert notifications.unread_count(user) == 0


def test_preferences_page_sets_the_email_mode(client, mail_off):
    user = make_user("lead", "police")
    auth = AuthActions(client)
    auth.login(user.email)

    page = client.get("/admin/preferences/")
    assert page.status_code == 200
    assert "Daily digest" in page.get_data(as_text=True)

    token = auth.csrf("/admin/preferences/")
    response = client.post("/admin/preferences/", data={"email_mode": "digest",
                                                        "csrf_token": token})
    assert response.status_code == 302
    assert User.objects.get(email=user.email).email_mode == "digest"


def test_preferences_need_csrf_and_login(client, mail_off):
    user = make_user("viewer")
    assert client.get("/admin/preferences/").status_code == 302  # to the login page
    AuthActions(client).login(user.email)
    response = client.post("/admin/preferences/", data={"email_mode": "none"})
    assert response.status_code == 400
    assert User.objects.get(email=user.email).email_mode == "immediate"
