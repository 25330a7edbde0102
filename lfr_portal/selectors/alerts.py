from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from ..models import Alert, AlertCropPending, Deployment, Role
from ..permissions import OPERATE_DEPLOYMENT, has_role


def alerts_visible_to(user: User | AnonymousUser) -> QuerySet[Alert]:
    base = Alert.objects.select_related("deployment", "camera__camera", "entry")
    if has_role(user, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        return base.all()
    if has_role(user, Role.OPERATOR):
        assigned = get_objects_for_user(
            user, OPERATE_DEPLOYMENT, klass=Deployment, accept_global_perms=False
        )
        return base.filter(deployment__in=assigned.values("pk"))
    return base.none()


def alert_crop_held(alert: Alert) -> bytes | None:
    """The alert's crop while it waits in the database for the media store, else None."""
    jpeg = AlertCropPending.objects.filter(alert=alert).values_list("jpeg", flat=True).first()
    return bytes(jpeg) if jpeg is not None else None


@dataclass(frozen=True)
class CropsWaiting:
    count: int
    since: datetime
    last_error: str

    @property
    def message(self) -> str:
        images = "1 alert image" if self.count == 1 else f"{self.count} alert images"
        since = timezone.localtime(self.since).strftime("%H:%M on %d %b")
        error = f" (last error: {self.last_error})" if self.last_error else ""
        return (
            f"The media store has not taken {images} since {since}{error}. They are held "
            "in the database, shown here as usual, and retried every 30 seconds: free space "
            "on the media disk or repair the store."
        )


def crops_waiting_for(
    user: User | AnonymousUser, deployment: Deployment | None = None
) -> CropsWaiting | None:
    """Alert images among those `user` sees that the media store has not taken yet."""
    alerts = alerts_visible_to(user)
    if deployment is not None:
        alerts = alerts.filter(deployment=deployment)
    pending = AlertCropPending.objects.filter(alert__in=alerts.values("pk"))
    summary = pending.aggregate(count=Count("pk"), since=Min("created_at"))
    if not summary["count"]:
        return None
    last_error = (
        pending.exclude(last_error="")
        .order_by("-last_attempt_at")
        .values_list("last_error", flat=True)
        .first()
    )
    return CropsWaiting(summary["count"], summary["since"], last_error or "")
