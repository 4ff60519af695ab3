"""Messages to people: in-app, and the email outbox."""

from __future__ import annotations

from .. import clock
from ..models import Notification


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects(recipient=user.email, read_at=None).count()


def mark_all_read(user) -> int:
    return Notification.objects(recipient=user.email, read_at=None).update(
        set__read_at=clock.now()
    )
