"""Reads about sign-in: who is locked out, who must give a second factor, and with what."""

from datetime import datetime

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import Role
from ..permissions import has_role

# The roles whose accounts can approve surveillance, build watchlists or read everything.
SECOND_FACTOR_ROLES = (Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER, Role.COMPLIANCE_OFFICER)


def second_factor_required(user: User | AnonymousUser) -> bool:
    """True for a signed-in user who must verify a one-time password before anything else.

    Superusers are included: the admin site reaches everything the roles do.
    """
    if not settings.LFR_OTP_REQUIRED or not user.is_authenticated:
        return False
    return user.is_superuser or has_role(user, *SECOND_FACTOR_ROLES)


def totp_device_for(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def recovery_codes_left(user: User) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return device.token_set.count() if device else 0


def lockout_window_start() -> datetime:
    return timezone.now() - settings.AXES_COOLOFF_TIME


def failures_by_username(attempts: QuerySet[AccessAttempt] | None = None) -> dict[str, int]:
    """{username: failures inside the cool-off window} for the given attempts (default: all)."""
    attempts = AccessAttempt.objects.all() if attempts is None else attempts
    rows = (
        attempts.filter(attempt_time__gte=lockout_window_start())
        .exclude(username=None)
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
    )
    return {row["username"]: row["failures"] for row in rows}


def locked_out_usernames(attempts: QuerySet[AccessAttempt] | None = None) -> set[str]:
    """Usernames that axes refuses now. Lockout is by username (AXES_LOCKOUT_PARAMETERS)."""
    limit = settings.AXES_FAILURE_LIMIT
    return {name for name, count in failures_by_username(attempts).items() if count >= limit}


def is_locked_out(username: str) -> bool:
    """Whether axes refuses `username` now, counting that user's attempts only."""
    return username in locked_out_usernames(AccessAttempt.objects.filter(username=username))
