"""Reads for the HTML pages: everything a screen shows, in as few queries as it can."""

import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from ..camera_sources import DEFAULT_PORTS, SourceRefused, check_source_url
from ..engines import ENGINE_PROFILES
from ..models import (
    Adjudication,
    DeploymentStatus,
    EntryCategory,
    EntryStatus,
    Role,
    WatchlistStatus,
)
from ..permissions import can_operate, has_role, is_authorising_officer


@dataclass
class Check:
    label: str
    ok: bool
    detail: str


def watchlist_summary(watchlist):
    """Approved entries by category, and the under-18s among them."""
    rows = dict(
        watchlist.entries.filter(status=EntryStatus.APPROVED)
        .values_list("category")
        .annotate(n=Count("id"))
    )
    counts = [(label, rows.get(value, 0)) for value, label in EntryCategory.choices]
    totals = watchlist.entries.aggregate(
        approved=Count("id", filter=Q(status=EntryStatus.APPROVED)),
        pending=Count("id", filter=Q(status=EntryStatus.PENDING)),
        minors=Count("id", filter=Q(status=EntryStatus.APPROVED, under_18=True)),
    )
    return {"by_category": counts, **totals}


def camera_reachable(url, timeout=1.0):
    """Can the source be reached now? A file must exist; a stream must accept a connection.

    The probe obeys the camera source rules as the worker does, so the checklist cannot
    be used to knock on hosts outside the camera networks.
    """
    try:
        checked = check_source_url(url, resolve=True)
    except SourceRefused:
        return False
    if checked.kind == "file":
        return Path(checked.path).is_file()
    parts = urlsplit(checked.connect_url)
    try:
        with socket.create_connection(
            (parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme.lower()]), timeout=timeout
        ):
            return True
    except OSError:
        return False


def go_live_checklist(deployment, *, probe_cameras=True):
    """Every condition for going live, met or not, with the reason in words."""
    from ..services.deployments import go_live_problems

    now = timezone.now()
    problems = go_live_problems(deployment, now=now)
    checks = [
        Check(
            "Approved by an authorising officer",
            deployment.status == DeploymentStatus.APPROVED,
            f"Status: {deployment.get_status_display()}.",
        )
    ]
    if deployment.starts_at and deployment.ends_at:
        inside = deployment.starts_at <= now < deployment.ends_at
        checks.append(
            Check(
                "Now is inside the authorised window",
                inside,
                f"{timezone.localtime(deployment.starts_at):%d %b %H:%M} to "
                f"{timezone.localtime(deployment.ends_at):%d %b %H:%M}.",
            )
        )
    signs = deployment.signage.filter(placed_at__lte=now, removed_at__isnull=True).count()
    checks.append(
        Check(
            "Signs are up at the location",
            signs > 0,
            f"{signs} sign(s) recorded as up." if signs else "No sign is recorded as up.",
        )
    )
    watchlist = deployment.watchlist
    finalised = watchlist.status == WatchlistStatus.FINALISED and watchlist.finalised_at
    fresh = finalised and now - watchlist.finalised_at <= settings.LFR_WATCHLIST_FINALISE_MAX_AGE
    checks.append(
        Check(
            "Watchlist finalised within 24 hours",
            bool(fresh),
            (
                f"Finalised {timezone.localtime(watchlist.finalised_at):%d %b %H:%M}."
                if finalised
                else "Not finalised yet."
            )
            + ("" if fresh or not finalised else " That is too long ago: finalise it again."),
        )
    )
    unchanged = not any("not the ones" in p or "changed after approval" in p for p in problems)
    checks.append(
        Check(
            "Cameras, threshold and watchlist are as approved",
            unchanged or deployment.status != DeploymentStatus.APPROVED,
            "Nothing changed since approval."
            if unchanged
            else " ".join(p for p in problems if "not the ones" in p or "changed" in p),
        )
    )
    if probe_cameras:
        for booking in deployment.cameras.select_related("camera"):
            reachable = camera_reachable(booking.camera.source_url)
            checks.append(
                Check(
                    f"Camera '{booking.camera.name}' reachable",
                    reachable,
                    "Answering." if reachable else "Cannot be reached from the portal now.",
                )
            )
    return checks, problems


def actions_for(user, deployment):
    """Which buttons a user sees. The services refuse anything else regardless."""
    status = deployment.status
    planner_own = has_role(user, Role.DEPLOYMENT_PLANNER) and deployment.created_by_id == user.pk
    ao = is_authorising_officer(user)
    operator = can_operate(user, deployment)
    return {
        "edit": planner_own and status in (DeploymentStatus.DRAFT, DeploymentStatus.REJECTED),
        "submit": planner_own and status == DeploymentStatus.DRAFT,
        "review": ao
        and status == DeploymentStatus.SUBMITTED
        and deployment.created_by_id != user.pk,
        "start": (operator or ao) and status == DeploymentStatus.APPROVED,
        "stop": (operator or ao) and status in (DeploymentStatus.LIVE, DeploymentStatus.SUSPENDED),
        "operate": operator
        or (ao and status in (DeploymentStatus.LIVE, DeploymentStatus.SUSPENDED)),
        "resume": ao and status == DeploymentStatus.SUSPENDED,
        "cancel": (planner_own or ao)
        and status not in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED),
        "assign": (planner_own or ao)
        and status not in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED),
        "watchlist": has_role(
            user, Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER
        ),
        "evidence": has_role(user, Role.FIELD_OFFICER)
        and status
        in (DeploymentStatus.SUBMITTED, DeploymentStatus.APPROVED, DeploymentStatus.LIVE),
        "report": has_role(user, Role.COMPLIANCE_OFFICER),
    }


def engine_floor(deployment):
    profile = ENGINE_PROFILES.get(deployment.engine)
    return profile


def alert_counts(deployment):
    return deployment.alerts.aggregate(
        total=Count("id"),
        pending=Count("id", filter=Q(adjudication=Adjudication.PENDING)),
        confirmed=Count("id", filter=Q(adjudication=Adjudication.CONFIRMED)),
        false=Count("id", filter=Q(adjudication=Adjudication.FALSE_ALERT)),
    )
