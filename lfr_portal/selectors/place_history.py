"""A place's past deployments, for the authorising officer weighing the "where" case.

Earlier deployments at the same named location, or within NEARBY_METRES of it, with what
each found. The figures are the transparency page's own (selectors.transparency.FIGURES),
exact here because the review page is for officers.
"""

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from ..models import Deployment, DeploymentStatus
from .deployments import deployments_visible_to
from .transparency import FIGURES

# "The same place": a deployment whose centre lies this close counts as here.
NEARBY_METRES = 300
# Metres in one degree of latitude (and of longitude at the equator).
METRES_PER_DEGREE = 111_320
EARTH_RADIUS_M = 6_371_000
# The figures read for each past deployment, by their transparency names.
PLACE_FIGURES = ("alerts", "confirmed_matches", "false_alerts", "arrests")
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class PastDeployment:
    deployment: Deployment
    distance_m: int
    same_name: bool
    alerts: int
    confirmed_matches: int
    false_alerts: int
    arrests: int


def distance_m(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> float:
    """Great-circle distance in metres between two points (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _near_q(deployment: Deployment, within_m: int) -> Q:
    """A bounding box around the deployment's centre, wide enough for `within_m`."""
    lat = float(deployment.latitude)
    dlat = within_m / METRES_PER_DEGREE
    dlon = within_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    lon = float(deployment.longitude)
    return Q(
        latitude__gte=Decimal(f"{lat - dlat:.6f}"),
        latitude__lte=Decimal(f"{lat + dlat:.6f}"),
        longitude__gte=Decimal(f"{lon - dlon:.6f}"),
        longitude__lte=Decimal(f"{lon + dlon:.6f}"),
    )


def earlier_deployments_here(
    user: Any,
    deployment: Deployment,
    *,
    within_m: int = NEARBY_METRES,
    before: datetime | None = None,
) -> list[PastDeployment]:
    """Deployments the user may see that started before this one at the same place.

    Drafts are left out (nobody decided anything on them); the newest come first.
    """
    before = before or deployment.starts_at or timezone.now()
    # Names typed by people: compared without case and surrounding spaces.
    same_name = Q(place_name=deployment.location_name.strip().lower())
    rows = (
        deployments_visible_to(user)
        .annotate(place_name=Lower(Trim("location_name")))
        .exclude(pk=deployment.pk)
        .exclude(status=DeploymentStatus.DRAFT)
        .filter(starts_at__lt=before)
        .filter(same_name | _near_q(deployment, within_m))
        .annotate(**{f"n_{name}": FIGURES[name]() for name in PLACE_FIGURES})
        .order_by("-starts_at", "-pk")
    )[: HISTORY_LIMIT * 2]  # the box's corners lie outside the circle; twice is ample
    found = []
    for row in rows:
        metres = distance_m(deployment.latitude, deployment.longitude, row.latitude, row.longitude)
        named = row.location_name.strip().lower() == deployment.location_name.strip().lower()
        if metres > within_m and not named:
            continue
        found.append(
            PastDeployment(
                deployment=row,
                distance_m=round(metres),
                same_name=named,
                **{name: getattr(row, f"n_{name}") for name in PLACE_FIGURES},
            )
        )
        if len(found) == HISTORY_LIMIT:
            break
    return found
