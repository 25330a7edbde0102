"""Reads for one public deployment's evidence: its signs, their photos, what it still holds.

Public, like the rest of the transparency page: counts, dates and flags only. Who
recorded a sign, its description and who placed a hold and why stay internal.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.db.models import Case, Q, When
from django.utils import dateformat, timezone

from ..models import Deployment, DeploymentStatus, SignageRecord
from .retention import retention_state
from .transparency import public_q


@dataclass(frozen=True)
class PublicSign:
    public_id: UUID
    placed_at: datetime
    removed_at: datetime | None
    photo_published: bool


def public_signage(public_id: UUID) -> list[PublicSign]:
    """The signs recorded for a deployment: when they went up and came down, and whether
    a photo of them is published. Descriptions and who recorded them stay internal."""
    rows = (
        SignageRecord.objects.filter(deployment__public_id=public_id)
        .order_by("placed_at", "pk")
        .values("public_id", "placed_at", "removed_at")
        .annotate(
            photo_published=Case(
                When(_published_photo_q(), then=True),
                default=False,
            )
        )
    )
    return [PublicSign(**row) for row in rows]


def _published_photo_q(prefix: str = "") -> Q:
    return (
        Q(**{f"{prefix}photo_published_at__isnull": False})
        & Q(**{f"{prefix}photo_deleted_at__isnull": True})
        & ~Q(**{f"{prefix}photo": ""})
    )


def published_signage_photo(public_id: UUID) -> SignageRecord | None:
    """The signage record whose photo the public may see, or None."""
    visible = Deployment.objects.filter(public_q()).values("pk")
    return (
        SignageRecord.objects.filter(_published_photo_q(), public_id=public_id)
        .filter(deployment__in=visible)
        .only("public_id", "photo")
        .first()
    )


@dataclass
class PublicRetention:
    lines: list[str] = field(default_factory=list)
    references_kept: bool = False


def _day(value: datetime | None) -> str:
    return dateformat.format(timezone.localtime(value), "j F Y") if value else "a date not set"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def public_retention(public_id: UUID, now: datetime | None = None) -> PublicRetention | None:
    """What the deployment still holds, in words for the public: counts and dates only.

    The internal retention state names who placed a hold and why; that never appears.
    """
    deployment = Deployment.objects.filter(public_q(), public_id=public_id).first()
    if deployment is None:
        return None
    alert_days = settings.LFR_ALERT_RETENTION.days
    photo_days = settings.LFR_SIGNAGE_PHOTO_RETENTION.days
    destroy_hours = settings.LFR_WATCHLIST_DESTROY_AFTER.total_seconds() / 3600
    lines: list[str] = []
    holds: list[datetime] = []
    for holding in retention_state(deployment, now=now):
        if holding.what == "Alert images":
            lines.append(
                f"{_plural(holding.count, 'alert image is', 'alert images are')} held. Each is "
                f"deleted {alert_days} days after it was taken; the next goes on "
                f"{_day(holding.until)}."
            )
        elif holding.what == "Alert image kept for proceedings":
            if holding.until is not None:  # a hold always names its review date
                holds.append(holding.until)
        elif holding.what == "Watchlist images and embeddings":
            if deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED):
                lines.append(
                    f"The watchlist's {_plural(holding.count, 'image', 'images')} and "
                    f"face templates are due to be destroyed by {_day(holding.until)}."
                )
            else:
                lines.append(
                    f"The watchlist's {_plural(holding.count, 'image', 'images')} and face "
                    f"templates are kept until the deployment ends, and destroyed within "
                    f"{destroy_hours:g} hours of its end."
                )
        elif holding.what == "Signage photos":
            lines.append(
                f"{_plural(holding.count, 'photo of a sign is', 'photos of signs are')} held. "
                f"Each is deleted {photo_days} days after the sign went up; the next goes on "
                f"{_day(holding.until)}."
            )
        else:
            lines.append(
                f"{_plural(holding.count, 'other record is', 'other records are')} held until "
                f"{_day(holding.until)}."
            )
    if holds:
        lines.append(
            f"{_plural(len(holds), 'alert image is', 'alert images are')} kept past the "
            f"usual {alert_days} days because they are needed for legal proceedings; each "
            f"such decision is reviewed by {_day(max(holds))} at the latest."
        )
    return PublicRetention(lines=lines, references_kept=deployment.watchlist_references.exists())
