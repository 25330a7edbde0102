"""The in-app inbox: messages for one user, shown on their dashboard until read.

`notification_send` is called by other services inside their own transaction, so a
change that rolls back leaves no message behind. There is no e-mail.
"""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from ..errors import NotPermitted
from ..models import Notification
from .audit import audit_record

MESSAGE_MAX = 500
LINK_MAX = 300


def notification_send(
    *, recipients: Iterable[User], kind: str, message: str, link: str = ""
) -> int:
    """One unread message per distinct active recipient; returns how many were written."""
    seen: set[int] = set()
    rows: list[Notification] = []
    for user in recipients:
        if user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user, kind=kind, message=message[:MESSAGE_MAX], link=link[:LINK_MAX]
            )
        )
    with transaction.atomic():
        Notification.objects.bulk_create(rows)
    return len(rows)


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """The recipient marks their own message read; marking it again changes nothing."""
    if notification.recipient_id != actor.pk:
        raise NotPermitted("Only the person a notification is for can mark it read.")
    if notification.read_at is not None:
        return notification
    with transaction.atomic():
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        audit_record(
            actor=actor,
            action="notification.read",
            obj=notification,
            changes={"kind": notification.kind},
        )
    return notification
