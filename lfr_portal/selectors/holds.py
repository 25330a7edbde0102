"""Reads about evidence holds: who sees them, which are active, due for review or lapsed.

A hold is active until its review date, due for review from LFR_HOLD_REMINDER_DAYS
before it, and lapsed once the date has passed without an extension (retention then
lets the image go, as selectors/retention.py says).
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.utils import timezone

from ..models import AlertHold, Role
from ..permissions import has_role

HOLD_STATES = ("active", "due", "lapsed", "released")
# The roles that list, review, extend and release holds.
HOLD_ROLES = (Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)


def reminder_window() -> timedelta:
    return timedelta(days=settings.LFR_HOLD_REMINDER_DAYS)


def holds_visible_to(user: User | AnonymousUser) -> QuerySet[AlertHold]:
    """Authorising and compliance officers see every hold; nobody else sees any."""
    base = AlertHold.objects.select_related(
        "alert__deployment", "alert__camera__camera", "placed_by", "released_by"
    )
    if has_role(user, *HOLD_ROLES):
        return base.all()
    return base.none()


def holds_in_state(
    holds: QuerySet[AlertHold], state: str, today: date | None = None
) -> QuerySet[AlertHold]:
    """Narrow `holds` to one of HOLD_STATES; an unknown state leaves them as they are."""
    today = today or timezone.localdate()
    open_holds = holds.filter(released_at__isnull=True)
    if state == "active":
        return open_holds.filter(review_by__gte=today)
    if state == "due":
        return open_holds.filter(review_by__gte=today, review_by__lte=today + reminder_window())
    if state == "lapsed":
        return open_holds.filter(review_by__lt=today)
    if state == "released":
        return holds.filter(released_at__isnull=False)
    return holds


def hold_state(hold: AlertHold, today: date | None = None) -> str:
    """One hold's state, as the list marks it."""
    today = today or timezone.localdate()
    if hold.released_at is not None:
        return "released"
    if hold.review_by < today:
        return "lapsed"
    if hold.review_by <= today + reminder_window():
        return "due"
    return "active"


def holds_due_reminder(today: date) -> QuerySet[AlertHold]:
    """Open holds inside the reminder window not yet reminded in this review period
    (an extension starts a new period: services/holds.py clears `reminded_at`)."""
    due = holds_in_state(AlertHold.objects.all(), "due", today)
    return due.filter(reminded_at__isnull=True).select_related("alert", "placed_by")


def authorising_officers() -> QuerySet[User]:
    """Active accounts holding the authorising officer's role (reminders go to them)."""
    return User.objects.filter(groups__name=Role.AUTHORISING_OFFICER, is_active=True).distinct()
