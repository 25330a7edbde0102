"""Whether a deployment may be approved or go live: every readiness rule, written once.

The services refuse with these problems' sentences, the go-live checklist places
them by code, the pages offer actions by them and the API returns their codes.
"""

import hashlib
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from ..camera_sources import DEFAULT_PORTS, SourceRefused, check_source_url
from ..engines import ENGINE_PROFILES
from ..models import (
    REQUIRED_DOCUMENTS,
    REQUIRED_DOCUMENTS_EU,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    DocumentKind,
    UseCase,
    WatchlistStatus,
)
from .accuracy import calibration_problem
from .deployments import overlapping_booking
from .eu_mode import eu_approval_problems, eu_go_live_problem
from .legality import grounds_problems
from .policies import pin_review_problems, pins_changed_problem, pins_snapshot
from .problems import Problem

S = DeploymentStatus


@dataclass(frozen=True)
class Advisory:
    """A condition worth checking before going live that no rule demands.

    A failing advisory does not block; going ahead despite it needs a recorded reason.
    """

    code: str
    label: str
    ok: bool
    detail: str

    def as_problem(self) -> Problem:
        """The unmet advisory as a problem that asks for a reason rather than blocks."""
        return Problem(self.code, f"{self.label}: {self.detail}", severity="advisory")


def when_text(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def hours_text(period: Any) -> str:
    return f"{period.total_seconds() / 3600:g}"


def finalise_hours() -> str:
    return hours_text(settings.LFR_WATCHLIST_FINALISE_MAX_AGE)


def watchlist_finalise_opens_at(deployment: Deployment) -> datetime | None:
    """The earliest finalisation that still counts at the window's start, or None without one.

    The rule is judged against the start, not against now: a list finalised days
    ahead would be stale by the time the first frame is processed.
    """
    if deployment.starts_at is None:
        return None
    return deployment.starts_at - settings.LFR_WATCHLIST_FINALISE_MAX_AGE


# --- rules that every saved draft satisfies, and approval re-checks ---------------------


def use_case_problem(deployment: Deployment) -> Problem | None:
    if deployment.use_case == UseCase.OTHER and not deployment.use_case_other.strip():
        return Problem(
            "use_case_other_missing",
            "A use case of 'other' must say what the use case is.",
            field="use_case_other",
        )
    return None


def window_length_problem(deployment: Deployment) -> Problem | None:
    if not (deployment.starts_at and deployment.ends_at):
        return None
    if deployment.ends_at - deployment.starts_at > settings.LFR_MAX_AUTHORISATION:
        return Problem(
            "window_too_long",
            f"A single authorisation covers at most "
            f"{hours_text(settings.LFR_MAX_AUTHORISATION)} hours of live time.",
            field="ends_at",
        )
    return None


# --- approval ---------------------------------------------------------------------------


def _description_problems(deployment: Deployment) -> list[Problem | None]:
    return [
        None
        if deployment.purpose.strip()
        else Problem("purpose_missing", "The purpose is not recorded.", field="purpose"),
        None
        if deployment.justification.strip()
        else Problem(
            "justification_missing",
            "The necessity and proportionality justification is not written.",
            field="justification",
        ),
        use_case_problem(deployment),
        None
        if deployment.location_name.strip() and deployment.latitude is not None
        else Problem(
            "location_missing", "The location needs a name and coordinates.", field="location_name"
        ),
        None
        if deployment.radius_m
        else Problem("radius_missing", "The location needs a radius.", field="radius_m"),
    ]


def _window_problems(deployment: Deployment, now: datetime) -> list[Problem | None]:
    if not deployment.starts_at or not deployment.ends_at:
        return [
            Problem(
                "window_missing", "The start and end of the window are not set.", field="starts_at"
            )
        ]
    ended = deployment.ends_at <= now
    return [
        window_length_problem(deployment),
        Problem("window_ended", "The window has already ended.", field="ends_at")
        if ended
        else None,
    ]


def _document_problem(kind: str, document: Any, today: date, last_day: date) -> Problem | None:
    label = DocumentKind(kind).label
    if document is None:
        return Problem("document_missing", f"The {label} reference is not recorded.")
    if document.issued_on > today:
        return Problem(
            "document_future", f"The {label} ({document.reference}) is dated in the future."
        )
    if document.review_by < last_day:
        return Problem(
            "document_expired",
            f"The {label} ({document.reference}) is out of date on "
            f"{document.review_by:%d %b %Y}, before the deployment ends.",
        )
    return None


def _document_problems(deployment: Deployment, today: date) -> list[Problem | None]:
    kinds = list(REQUIRED_DOCUMENTS)
    if settings.LFR_EU_AI_ACT_MODE:
        kinds += list(REQUIRED_DOCUMENTS_EU)
    documents = {d.kind: d for d in deployment.documents.all()}
    last_day = timezone.localdate(deployment.ends_at) if deployment.ends_at else today
    return [
        *(_document_problem(kind, documents.get(kind), today, last_day) for kind in kinds),
        *pin_review_problems(deployment, last_day),
    ]


def _engine_problems(deployment: Deployment, now: datetime) -> list[Problem | None]:
    profile = ENGINE_PROFILES.get(deployment.engine)
    if profile is None:
        return [
            Problem(
                "engine_unknown", f"The engine '{deployment.engine}' is not known.", field="engine"
            )
        ]
    problems: list[Problem | None] = []
    below_floor = Decimal(deployment.threshold) < profile.floor
    if below_floor and not deployment.threshold_override_reason.strip():
        problems.append(
            Problem(
                "threshold_below_floor",
                f"The threshold {deployment.threshold} is below the {profile.label} floor of "
                f"{profile.floor}, and no override reason is recorded.",
                field="threshold_override_reason",
            )
        )
    uncalibrated = calibration_problem(deployment.engine, deployment.threshold, now=now)
    if uncalibrated and not deployment.calibration_override_reason.strip():
        problems.append(
            Problem(
                "calibration_stale",
                f"{uncalibrated} No calibration override reason is recorded.",
                field="calibration_override_reason",
            )
        )
    return problems


def _camera_problems(deployment: Deployment) -> list[Problem | None]:
    bookings = list(deployment.cameras.select_related("camera"))
    if not bookings:
        return [Problem("camera_missing", "No camera is attached.", field="camera")]
    problems: list[Problem | None] = []
    for booking in bookings:
        holder = overlapping_booking(booking.camera, deployment)
        if holder is not None:
            problems.append(
                Problem(
                    "camera_booked",
                    f"Camera '{booking.camera.name}' is booked for an overlapping window by "
                    f"'{holder.title}'.",
                    field="camera",
                )
            )
    return problems


def _watchlist_problems(deployment: Deployment) -> list[Problem | None]:
    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is None or watchlist.status not in (
        WatchlistStatus.APPROVED,
        WatchlistStatus.FINALISED,
    ):
        return [Problem("watchlist_not_authorised", "The watchlist is not authorised.")]
    if watchlist.entries.filter(status="approved").count() > settings.LFR_WATCHLIST_MAX_SIZE:
        return [Problem("watchlist_too_large", "The watchlist is larger than the maximum size.")]
    return []


def _present(problems: Iterable[Problem | None]) -> list[Problem]:
    # Keeps order and drops repeats: a rule broken twice is said once.
    return list(dict.fromkeys(p for p in problems if p is not None))


def approval_problems(deployment: Deployment, *, include_watchlist: bool = True) -> list[Problem]:
    """Every reason the deployment cannot be approved now, each with its code. Empty when it can."""
    now = timezone.now()
    return _present(
        [
            *_description_problems(deployment),
            *grounds_problems(deployment),
            *_window_problems(deployment, now),
            *_document_problems(deployment, timezone.localdate(now)),
            *_engine_problems(deployment, now),
            *_camera_problems(deployment),
            *(_watchlist_problems(deployment) if include_watchlist else []),
            *eu_approval_problems(deployment, include_watchlist=include_watchlist),
        ]
    )


# --- going live -------------------------------------------------------------------------


def _camera_fingerprint(booking: DeploymentCamera) -> str:
    return hashlib.sha256(booking.camera.source_url.encode()).hexdigest()


def authorisation_snapshot(deployment: Deployment) -> dict[str, Any]:
    """What an approval authorises; going live compares it with the deployment as it is."""
    watchlist = deployment.watchlist
    return {
        "starts_at": deployment.starts_at.isoformat() if deployment.starts_at else None,
        "ends_at": deployment.ends_at.isoformat() if deployment.ends_at else None,
        "engine": deployment.engine,
        "threshold": str(deployment.threshold),
        "cameras": sorted(
            [str(b.camera.public_id), _camera_fingerprint(b)]
            for b in deployment.cameras.select_related("camera")
        ),
        "watchlist": str(watchlist.public_id),
        "watchlist_entries": watchlist.entries.filter(status="approved").count(),
        "policy_versions": pins_snapshot(deployment),
    }


# Each compared snapshot key and the word its "changed after approval" sentence uses.
SNAPSHOT_WORDS = (
    ("starts_at", "window"),
    ("ends_at", "window"),
    ("threshold", "threshold"),
    ("engine", "engine"),
    ("watchlist_entries", "watchlist"),
)


def _unchanged_problems(deployment: Deployment) -> list[Problem | None]:
    current = authorisation_snapshot(deployment)
    approved = deployment.authorised_snapshot or {}
    problems: list[Problem | None] = [pins_changed_problem(deployment, approved)]
    if current["cameras"] != approved.get("cameras"):
        problems.append(
            Problem(
                "cameras_changed", "The cameras are not the ones the authorising officer approved."
            )
        )
    for key, words in SNAPSHOT_WORDS:
        if current[key] != approved.get(key):
            problems.append(Problem(f"{words}_changed", f"The {words} changed after approval."))
    return problems


def _finalised_problem(deployment: Deployment) -> Problem | None:
    watchlist = deployment.watchlist
    opens = watchlist_finalise_opens_at(deployment)
    if opens is None:
        return None
    if watchlist.status != WatchlistStatus.FINALISED or watchlist.finalised_at is None:
        return Problem(
            "watchlist_not_finalised",
            f"The watchlist is not finalised; it must be finalised within "
            f"{finalise_hours()} hours before the window starts, from {when_text(opens)}.",
        )
    if watchlist.finalised_at < opens:
        return Problem(
            "watchlist_finalised_too_early",
            f"The watchlist must be finalised within {finalise_hours()} hours before the "
            f"window starts; it was finalised {when_text(watchlist.finalised_at)}, before "
            f"{when_text(opens)}. Finalise it again.",
        )
    return None


def signs_up(deployment: Deployment, now: datetime) -> int:
    """How many signs are recorded as up at the location now."""
    return int(deployment.signage.filter(placed_at__lte=now, removed_at__isnull=True).count())


def go_live_problems(deployment: Deployment, *, now: datetime | None = None) -> list[Problem]:
    """Every rule that blocks going live now, each with its code. Empty when it can.

    The server enforces each of these; the checklist shows them as blockers.
    """
    now = now or timezone.now()
    if deployment.status != S.APPROVED:
        status = deployment.get_status_display().lower()
        return [Problem("not_approved", f"The deployment is {status}, not approved.")]
    assert deployment.starts_at and deployment.ends_at  # approval requires the window
    inside = deployment.starts_at <= now < deployment.ends_at
    window = (
        f"Now is outside the authorised window "
        f"({when_text(deployment.starts_at)} to {when_text(deployment.ends_at)})."
    )
    no_signs = Problem("no_signage", "No sign is recorded as up at the location.")
    return _present(
        [
            None if inside else Problem("outside_window", window),
            *_unchanged_problems(deployment),
            None if signs_up(deployment, now) else no_signs,
            _finalised_problem(deployment),
            eu_go_live_problem(deployment),
        ]
    )


# --- advisories -------------------------------------------------------------------------


def camera_reachable(url: str, timeout: float = 1.0) -> bool:
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


def go_live_advisories(deployment: Deployment) -> list[Advisory]:
    """What is worth checking before going live but no rule demands: the cameras answer.

    Each is shown met or not; the server asks for a reason to go ahead when one is not.
    Probing is switched off by LFR_GO_LIVE_PROBE_CAMERAS (the test suite's cameras are
    fictitious hosts).
    """
    if not settings.LFR_GO_LIVE_PROBE_CAMERAS:
        return []
    advisories = []
    for booking in deployment.cameras.select_related("camera").order_by("camera__name"):
        reachable = camera_reachable(booking.camera.source_url)
        advisories.append(
            Advisory(
                code="camera_unreachable",
                label=f"Camera '{booking.camera.name}' reachable",
                ok=reachable,
                detail="Answering." if reachable else "Cannot be reached from the portal now.",
            )
        )
    return advisories
