"""A user's in-app inbox."""

from typing import Any

from django.db.models import QuerySet

from ..models import Notification

INBOX_LIMIT = 20


def notifications_for(user: Any) -> QuerySet[Notification]:
    """Every message addressed to the user, newest first; nothing for anyone signed out."""
    if not user or not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_notifications(user: Any) -> QuerySet[Notification]:
    """The user's messages not yet marked read, newest first."""
    return notifications_for(user).filter(read_at__isnull=True)


def notification_for(user: Any, pk: int) -> Notification:
    """One of the user's own messages; Notification.DoesNotExist for anyone else's."""
    return notifications_for(user).get(pk=pk)
