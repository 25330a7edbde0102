"""django-axes wired to the audit trail: lockouts and every way of lifting one are recorded."""

from axes.handlers.database import AxesDatabaseHandler
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver

from .services.accounts import account_lockout_record, login_attempts_reset


class AuditedAxesHandler(AxesDatabaseHandler):
    """axes' database handler, with its reset path going through the audited service.

    `axes_reset`, `axes_reset_username`, `axes_reset_ip` and `axes.utils.reset` all end
    here, so lifting a lockout from the command line lands on the trail like any other.
    """

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False):
        return login_attempts_reset(
            actor=None,
            reason="failed log-in attempts reset with django-axes",
            ip_address=ip_address,
            username=username,
            ip_or_username=ip_or_username,
        )


@receiver(user_locked_out, dispatch_uid="lfr_portal.record_lockout")
def record_lockout(sender, request, username, ip_address, **kwargs):
    failures = getattr(request, "axes_failures_since_start", None)
    # axes also signals refused attempts while the lock holds; only the locking one is news.
    if failures != settings.AXES_FAILURE_LIMIT:
        return
    account_lockout_record(username=username, ip_address=ip_address, failures=failures)
