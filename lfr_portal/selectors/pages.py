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
)
from ..permissions import can_operate, has_role, is_authorising_officer


@dataclass
class Check:
    label: str
    # True met, False unmet, None not judged yet (shown as such, never as met).
    ok: bool | None
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


# Each blocker line of the checklist and the service rule codes it stands for. The
# lines show the server's own verdict (services.deployments.go_live_problems), matched
# by code; a code no line claims gets a line of its own, so no refusal goes unshown.
BLOCKER_LINES = (
    ("approved", "Approved by an authorising officer", {"not_approved"}),
    ("window", "Now is inside the authorised window", {"outside_window"}),
    (
        "unchanged",
        "Cameras, window, threshold and watchlist are as approved",
        {
            "cameras_changed",
            "window_changed",
            "threshold_changed",
            "engine_changed",
            "watchlist_changed",
        },
    ),
    ("signs", "Signs are up at the location", {"no_signage"}),
    ("finalised", None, {"watchlist_not_finalised", "watchlist_finalised_too_early"}),
    (
        "eu",
        "Independent authorisation recorded, or urgency declared",
        {"eu_refused", "eu_no_authorisation"},
    ),
)


@dataclass
class GoLiveChecklist:
    """Blockers (the server refuses while one is unmet) apart from advisories (it does not)."""

    blockers: list[Check]
    advisories: list[Check]
    problems: list

    @property
    def blocked(self) -> bool:
        return bool(self.problems)

    @property
    def advisories_failing(self) -> list[Check]:
        return [a for a in self.advisories if a.ok is False]


def _met_detail(key, deployment, now):
    """What a met blocker line says; None for a line that does not apply."""
    from ..services.deployments import finalise_hours, watchlist_finalise_opens_at, when_text

    if key == "approved":
        return f"Approved{f' {when_text(deployment.decided_at)}' if deployment.decided_at else ''}."
    if key == "window":
        return f"{when_text(deployment.starts_at)} to {when_text(deployment.ends_at)}."
    if key == "unchanged":
        return "Nothing changed since approval."
    if key == "signs":
        signs = deployment.signage.filter(placed_at__lte=now, removed_at__isnull=True).count()
        return f"{signs} sign{'s' if signs != 1 else ''} recorded as up."
    if key == "finalised":
        finalised_at = deployment.watchlist.finalised_at
        if finalised_at >= deployment.starts_at:
            return f"Finalised {when_text(finalised_at)}, after the window opened: valid."
        opens = watchlist_finalise_opens_at(deployment)
        return (
            f"Finalised {when_text(finalised_at)}, after {when_text(opens)}: within "
            f"{finalise_hours()} hours before the start, so it will be valid at the start."
        )
    if key == "eu":
        return "Recorded." if settings.LFR_EU_AI_ACT_MODE else None
    return ""


def go_live_checklist(deployment, *, probe_cameras=True, now=None):
    """The go-live conditions as the server judges them: blockers, then advisories.

    Returns (GoLiveChecklist, problems). Blockers come from the service's own rule
    function, so the page and the server cannot disagree.
    """
    from ..services.deployments import finalise_hours, go_live_advisories, go_live_problems

    now = now or timezone.now()
    problems = go_live_problems(deployment, now=now)
    by_code = {}
    for problem in problems:
        by_code.setdefault(problem.code, []).append(str(problem))
    approved = deployment.status == DeploymentStatus.APPROVED
    claimed = set()
    blockers = []
    for key, label, codes in BLOCKER_LINES:
        claimed |= codes
        if key == "finalised":
            label = f"Watchlist finalised within {finalise_hours()} hours before the start"
        unmet = [words for code in sorted(codes) for words in by_code.get(code, [])]
        if unmet:
            blockers.append(Check(label, False, " ".join(unmet)))
        elif key != "approved" and not approved:
            # Before approval the service stops at the status, so the rest is not judged.
            blockers.append(Check(label, None, "Checked once the deployment is approved."))
        else:
            detail = _met_detail(key, deployment, now)
            if detail is not None:
                blockers.append(Check(label, True, detail))
    for problem in problems:
        if problem.code not in claimed:
            blockers.append(Check(str(problem), False, ""))
    advisories = []
    if probe_cameras:
        advisories = [Check(a.label, a.ok, a.detail) for a in go_live_advisories(deployment)]
    return GoLiveChecklist(blockers, advisories, problems), problems


def actions_for(user, deployment):
    """Which buttons a user sees. The services refuse anything else regardless."""
    from ..services.deployments import go_live_problems

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
        # Shown only when nothing blocks; the service refuses in the same cases.
        "start": (operator or ao)
        and status == DeploymentStatus.APPROVED
        and not go_live_problems(deployment),
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
