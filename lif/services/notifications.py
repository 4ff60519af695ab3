"""Messages to people: in-app, the email outbox, daily digests and delivery over SMTP.

One collection holds both halves. :func:`notify` stores a message under a unique ``key``; the
same key twice stores one message, which is how the sweeps stay idempotent whoever runs them
and however often. Whether a message is emailed is decided when it is stored: ``pending``
when the recipient wants immediate email and this process knows an SMTP server
(:func:`configure_mail`), ``none`` otherwise. A named lead without an account has no other
way to hear from LIF, so counts as wanting immediate email.

People who chose a daily digest get one email a day (from ``EMAIL_DIGEST_HOUR`` UTC) listing
what they have not read yet; the digest is itself a message in the outbox with key
``digest:<email>:<date>``, so it is built once and retried like any other. People who chose
``none`` read their messages in LIF only.

:func:`send_pending` hands due emails to SMTP. Each attempt is claimed by an atomic increment
of ``attempts`` first, so two senders never send one message twice; a failure sets
``failed`` and ``last_error`` and the message is tried again after doubling waits counted
from its creation, never raising: an unreachable server leaves mail queued and LIF working.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from mongoengine.errors import NotUniqueError

from config.deadlines import EMAIL_DIGEST_HOUR, EMAIL_MAX_ATTEMPTS, EMAIL_RETRY_BASE_MINUTES

from .. import audit_trail, clock, redact
from ..errors import InvalidInput
from ..models import Notification, User

log = logging.getLogger(__name__)

EMAIL_MODES = ("immediate", "digest", "none")
SMTP_TIMEOUT_SECONDS = 10
SEND_BATCH = 200
DIGEST_MAX_ITEMS = 50
_KEY_MAX = 300
_SUBJECT_PREFIX = "[LIF] "


@dataclass(frozen=True)
class MailSettings:
    """Where email goes: an SMTP relay and the sender address (``base_url`` prefixes links)."""

    host: str
    port: int = 25
    mail_from: str = "lif@localhost"
    base_url: str = ""


_mail: MailSettings | None = None


def configure_mail(
    host: str | None, port: int = 25, mail_from: str = "lif@localhost", base_url: str = ""
) -> None:
    """Tell this process where SMTP is; with no ``host`` mail stays in the in-app outbox.

    Called once per process from the application's settings (``LIF_SMTP_HOST`` and friends).
    """
    global _mail
    _mail = MailSettings(host, int(port), mail_from, base_url.rstrip("/")) if host else None


def mail_settings() -> MailSettings | None:
    """Return the SMTP settings of this process, or ``None`` when email is not configured."""
    return _mail


def personal_key(base: str, recipient: str) -> str:
    """Return the unique key of the message ``base`` for one recipient (at most 300 chars)."""
    key = f"{base}:{recipient.strip().lower()}"
    if len(key) <= _KEY_MAX:
        return key
    digest = hashlib.sha256(recipient.strip().lower().encode()).hexdigest()
    return f"{base[: _KEY_MAX - len(digest) - 1]}:{digest}"


def email_mode_for(email: str) -> str:
    """Return how ``email`` wants to be told: ``immediate``, ``digest`` or ``none``."""
    user = User.objects(email=email.strip().lower()).only("email_mode", "active").first()
    if user is None:
        return "immediate"
    if not user.active:
        return "none"
    return user.email_mode or "immediate"


def notify(
    recipient_email: str,
    subject: str,
    body: str,
    key: str,
    link: str = "",
    now: dt.datetime | None = None,
    *,
    about=None,
) -> bool:
    """Store one message for ``recipient_email`` unless a message with ``key`` exists.

    :param key: what makes the message unique, e.g. ``action:<id>:due-30:<email>``.
    :param link: a path in LIF the message is about.
    :param about: the item the message is about: its subject and body pass the redactor as
        the recipient may read that item (no account: no right to personal data).
    :return: ``True`` when stored now, ``False`` when the key existed (another run sent it).
    """
    recipient = (recipient_email or "").strip().lower()
    if not recipient:
        return False
    if about is not None:
        shown = redact.for_recipient(recipient, about)
        subject, body = shown(subject), shown(body)
    wants_email = _mail is not None and email_mode_for(recipient) == "immediate"
    message = Notification(
        recipient=recipient,
        subject=subject[:300],
        body=body[:20000],
        link=link[:500],
        created_at=now or clock.now(),
        key=key,
        email_status="pending" if wants_email else "none",
    )
    try:
        message.save(force_insert=True)
    except NotUniqueError:
        return False
    return True


def exists(keys: list[str]) -> set[str]:
    """Return which of ``keys`` already have a message (one query)."""
    if not keys:
        return set()
    return set(Notification.objects(key__in=list(keys)).scalar("key"))


def list_for(user, limit: int = 50) -> list[Notification]:
    """Return the newest messages of ``user``."""
    return list(Notification.objects(recipient=user.email).order_by("-created_at")[:limit])


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects(recipient=user.email, read_at=None).count()


def mark_all_read(user) -> int:
    return Notification.objects(recipient=user.email, read_at=None).update(
        set__read_at=clock.now()
    )


def set_email_mode(user, mode: str, actor=None) -> None:
    """Record how ``user`` wants email: ``immediate``, ``digest`` or ``none``.

    :raises InvalidInput: an unknown mode.
    """
    if mode not in EMAIL_MODES:
        raise InvalidInput(f"Choose one of: {', '.join(EMAIL_MODES)}.", field="email_mode")
    User.objects(pk=user.pk).update_one(set__email_mode=mode)
    user.email_mode = mode
    audit_trail.record("email_mode", actor or user, user, object_type="user", detail=mode)


# --- daily digests -------------------------------------------------------------------------


def _digest_body(items: list[Notification], base_url: str) -> str:
    lines = [f"You have {len(items)} unread message(s) in LIF:", ""]
    for item in items[:DIGEST_MAX_ITEMS]:
        lines.append(f"- {item.created_at:%d %b %Y}: {item.subject}")
        if item.link:
            lines.append(f"  {base_url}{item.link}")
    if len(items) > DIGEST_MAX_ITEMS:
        lines.append(f"... and {len(items) - DIGEST_MAX_ITEMS} more: read them in LIF.")
    lines += ["", "You chose a daily digest; change it on your Preferences page in LIF."]
    return "\n".join(lines)


def queue_digests(now: dt.datetime, *, dry_run: bool = False) -> int:
    """Build today's digest for every digest user with unread messages not yet digested.

    Runs from ``EMAIL_DIGEST_HOUR`` (UTC); the digest's key makes it once a day. The messages
    it lists get ``sent_at`` so the next digest does not repeat them.

    :return: the number of digests queued (or, with ``dry_run``, that would be).
    """
    if now.hour < EMAIL_DIGEST_HOUR:
        return 0
    base_url = _mail.base_url if _mail else ""
    queued = 0
    for user in User.objects(email_mode="digest", active=True).only("email"):
        key = personal_key(f"digest:{now.date().isoformat()}", user.email)
        if exists([key]):
            continue
        items = list(
            Notification.objects(
                recipient=user.email,
                read_at=None,
                sent_at=None,
                email_status="none",
                created_at__lte=now,
            ).order_by("created_at")
        )
        if not items:
            continue
        if dry_run:
            queued += 1
            continue
        digest = Notification(
            recipient=user.email,
            subject=f"Daily digest: {len(items)} unread message(s)",
            body=_digest_body(items, base_url),
            created_at=now,
            read_at=now,  # the digest repeats messages already in the list: not unread itself
            key=key,
            email_status="pending",
        )
        try:
            digest.save(force_insert=True)
        except NotUniqueError:
            continue
        Notification.objects(pk__in=[item.pk for item in items]).update(set__sent_at=now)
        queued += 1
    return queued


# --- delivery ------------------------------------------------------------------------------


def retry_due_at(message: Notification) -> dt.datetime:
    """When ``message`` may be tried again: 0, 1, 3, 7, 15... base waits after its creation."""
    waits = 2 ** (message.attempts or 0) - 1
    return message.created_at + dt.timedelta(minutes=EMAIL_RETRY_BASE_MINUTES * waits)


def due_for_sending(now: dt.datetime, limit: int = SEND_BATCH) -> list[Notification]:
    """Return the emails to try now: pending or failed, attempts left, their wait over."""
    candidates = Notification.objects(
        email_status__in=["pending", "failed"], attempts__lt=EMAIL_MAX_ATTEMPTS
    ).order_by("created_at")
    due = []
    for message in candidates:
        if retry_due_at(message) <= now:
            due.append(message)
            if len(due) >= limit:
                break
    return due


def _email(message: Notification, mail_from: str, base_url: str, now: dt.datetime):
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient
    email["Subject"] = _SUBJECT_PREFIX + message.subject
    email["Date"] = format_datetime(now.replace(tzinfo=dt.UTC))
    email["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or "lif.local")
    email["Auto-Submitted"] = "auto-generated"
    body = message.body
    if message.link:
        body += f"\n\nIn LIF: {base_url}{message.link}"
    email.set_content(body)
    return email


def _claim(message: Notification) -> bool:
    """Count an attempt on ``message`` unless another sender took it first."""
    return bool(
        Notification.objects(
            pk=message.pk,
            attempts=message.attempts or 0,
            email_status__in=["pending", "failed"],
        ).update_one(inc__attempts=1)
    )


def _failed(message: Notification, error: str) -> None:
    Notification.objects(pk=message.pk).update_one(
        set__email_status="failed", set__last_error=error[:2000]
    )


def send_pending(
    smtp_host: str,
    smtp_port: int,
    mail_from: str,
    now: dt.datetime,
    *,
    base_url: str = "",
    limit: int = SEND_BATCH,
) -> dict[str, int]:
    """Send the emails that are due over SMTP; record failures on the messages, never raise.

    One connection serves the run. When the server cannot be reached, every due message
    records that error (as one attempt) and stays queued for its next retry.

    :return: ``{"sent": n, "failed": m}``.
    """
    result = {"sent": 0, "failed": 0}
    smtp: smtplib.SMTP | None = None
    connection_error = ""
    try:
        for message in due_for_sending(now, limit):
            if not _claim(message):
                continue
            if smtp is None and not connection_error:
                try:
                    smtp = smtplib.SMTP(smtp_host, smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
                except (OSError, smtplib.SMTPException) as error:
                    connection_error = f"Cannot reach SMTP {smtp_host}:{smtp_port}: {error}"
                    log.warning("%s; mail stays queued", connection_error)
            if connection_error:
                _failed(message, connection_error)
                result["failed"] += 1
                continue
            try:
                smtp.send_message(_email(message, mail_from, base_url, now))
            except Exception as error:  # noqa: BLE001 - a bad message must not stop the rest
                _failed(message, f"{type(error).__name__}: {error}")
                result["failed"] += 1
                lost = isinstance(error, smtplib.SMTPServerDisconnected) or (
                    isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
                )
                if lost:
                    _close(smtp)
                    smtp = None  # reconnect for the next message
                continue
            Notification.objects(pk=message.pk).update_one(
                set__email_status="sent", set__sent_at=now, set__last_error=""
            )
            result["sent"] += 1
    finally:
        if smtp is not None:
            _close(smtp)
    return result


def send_now(recipient: str, subject: str, body: str, now: dt.datetime | None = None) -> bool:
    """Email one message at once, keeping no copy (for a secret such as a reset link).

    :return: whether the SMTP server took it; ``False`` too when SMTP is not configured.
        Never raises: a failure is logged.
    """
    if _mail is None:
        return False
    message = Notification(recipient=recipient, subject=subject, body=body)
    try:
        with smtplib.SMTP(_mail.host, _mail.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            smtp.send_message(_email(message, _mail.mail_from, _mail.base_url,
                                     now or clock.now()))
    except (OSError, smtplib.SMTPException) as error:
        log.warning("Could not email %s: %s", recipient, error)
        return False
    return True


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def deliver(now: dt.datetime, *, dry_run: bool = False) -> dict[str, int | str]:
    """Queue today's digests and send what is due, with this process's mail settings."""
    if _mail is None:
        return {"skipped": "SMTP not configured (LIF_SMTP_HOST unset)"}
    digests = queue_digests(now, dry_run=dry_run)
    if dry_run:
        return {"digests": digests, "due": len(due_for_sending(now))}
    result = send_pending(_mail.host, _mail.port, _mail.mail_from, now, base_url=_mail.base_url)
    return {"digests": digests, **result}
