"""Reads about accuracy: whether a calibration vouches for a threshold, expected false
alerts, live monitoring, suspensions (the calibrations themselves: calibrations.py).

Every function returns plain dataclasses (numbers, dates and sentences), so a page,
the API or a report can show them without knowing the rules behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext

from ..models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    Deployment,
    DeploymentStatus,
    EntryStatus,
    Role,
)
from ..permissions import has_role, is_authorising_officer
from ..stats import Proportion, one_in, proportion, wilson_interval
from .alerts import alerts_visible_to
from .calibrations import (
    CalibrationSummary,
    OperatingPoint,
    calibration_max_age,
    calibration_summary,
    engine_label,
    latest_calibration,
    operating_point,
    rate_points,
)
from .deployments import deployments_visible_to

# --- settings ---------------------------------------------------------------------


def adjudication_due() -> timedelta:
    """LFR_ADJUDICATION_DUE_MINUTES: a pending alert older than this is overdue."""
    return timedelta(minutes=int(settings.LFR_ADJUDICATION_DUE_MINUTES))


def force_ceiling() -> Decimal:
    return Decimal(str(settings.LFR_FALSE_ALERT_CEILING))


def ceiling_for(deployment: Deployment) -> Decimal:
    """The deployment's own ceiling where it is stricter; never looser than the force's."""
    ceiling = force_ceiling()
    own = deployment.false_alert_ceiling
    return min(ceiling, Decimal(own)) if own is not None else ceiling


# --- before: can the calibration vouch for the threshold ----------------------------


def calibration_problem(
    engine: str, threshold: Decimal | str, *, now: datetime | None = None
) -> str:
    """Why the engine's calibration cannot vouch for this threshold, in words; "" if it can."""
    label = engine_label(engine)
    record = latest_calibration(engine)
    if record is None:
        return f"No calibration of the {label} engine is recorded."
    now = now or timezone.now()
    if now - record.measured_at > calibration_max_age():
        return (
            f"The latest calibration of the {label} engine "
            f"({timezone.localtime(record.measured_at):%d %b %Y}) is older than "
            f"{calibration_max_age().days} days."
        )
    if operating_point(record, threshold) is None:
        lowest = min(p.threshold for p in rate_points(record)) if record.rates else None
        return (
            f"The threshold {threshold} is below every threshold the latest calibration of "
            f"the {label} engine measured (lowest {lowest})."
        )
    return ""


# --- before: expected false alerts --------------------------------------------------


@dataclass(frozen=True)
class ExpectedFalseAlerts:
    deployment_public_id: str
    engine: str
    threshold: Decimal
    watchlist_size: int
    expected_faces: int
    calibration: CalibrationSummary | None
    operating_point: OperatingPoint | None
    # FMR x watchlist size x expected faces, and the same from the ends of the FMR's interval.
    expected: float | None
    expected_low: float | None
    expected_high: float | None
    calibration_problem: str
    override_reason: str
    sentence: str


def watchlist_size(deployment: Deployment) -> int:
    """The size the authorising officer approved, or the approved entries before that."""
    snapshot = deployment.authorised_snapshot or {}
    if "watchlist_entries" in snapshot:
        return int(snapshot["watchlist_entries"])
    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is None:
        return 0
    return watchlist.entries.filter(status=EntryStatus.APPROVED).count()


def expected_false_alerts(
    deployment: Deployment, *, now: datetime | None = None
) -> ExpectedFalseAlerts:
    """How many false alerts the deployment should expect, from its engine's calibration.

    Each face passing a camera is compared with every watchlist entry, and each
    comparison with someone else is an impostor pair: so the expectation is the
    pair false match rate x watchlist size x expected faces.
    """
    threshold = Decimal(deployment.threshold)
    size = watchlist_size(deployment)
    faces = deployment.expected_faces
    problem = calibration_problem(deployment.engine, threshold, now=now)
    record = latest_calibration(deployment.engine)
    summary = calibration_summary(record, now=now) if record else None
    point = operating_point(record, threshold) if record else None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    if point is not None and summary is not None and point.fmr.rate is not None:
        comparisons = size * faces
        expected = point.fmr.rate * comparisons
        low = point.fmr.low * comparisons
        high = point.fmr.high * comparisons
        sentence = (
            f"With {size:,} watchlist {ngettext('entry', 'entries', size)} and an expected "
            f"{faces:,} {ngettext('face', 'faces', faces)}, "
            f"about {expected:,.1f} false alerts are expected "
            f"({low:,.1f} to {high:,.1f} from the 95% interval of the false match rate). "
            f"{point.sentence} Calibration: {summary.sentence}"
        )
    else:
        sentence = "The expected number of false alerts cannot be worked out. "
    if problem:
        sentence = f"{problem} {sentence}".strip()
        if deployment.calibration_override_reason.strip():
            sentence += f" Override recorded: {deployment.calibration_override_reason.strip()}"
    return ExpectedFalseAlerts(
        deployment_public_id=str(deployment.public_id),
        engine=deployment.engine,
        threshold=threshold,
        watchlist_size=size,
        expected_faces=faces,
        calibration=summary,
        operating_point=point,
        expected=expected,
        expected_low=low,
        expected_high=high,
        calibration_problem=problem,
        override_reason=deployment.calibration_override_reason,
        sentence=sentence.strip(),
    )


# --- during: monitoring from adjudications -------------------------------------------

# THE CEILING RULE. The adjudicated false alerts show the ceiling is exceeded when the
# lower end of the 95% Wilson interval of (false alerts / faces processed) in the
# monitoring window lies above the ceiling. Why: a plain "observed rate > ceiling"
# would suspend a deployment for one unlucky false alert among its first few hundred
# faces, and a minimum number of faces before judging would be an arbitrary cut-off
# that also ignores a burst of false alerts early on. The lower bound asks for more
# evidence as the count grows: at 1 in 1,000, one false alert suspends within the
# first 176 faces, two within 548, three within 1,020, ten within 5,433; a rate that
# is merely not yet shown to be under the ceiling does not suspend. Only alerts an
# operator adjudicated as false count; pending and unresolved ones do not. The window
# starts when the deployment went live, or at the latest resumption after a
# suspension: the authorising officer's decision to resume accepted the figures before it.


def ceiling_exceeded(false_alerts: int, faces: int, ceiling: Decimal | float) -> bool:
    if faces <= 0:
        return False
    low, _ = wilson_interval(min(false_alerts, faces), faces)
    return low > float(ceiling)


@dataclass(frozen=True)
class CeilingWindow:
    since: datetime | None
    faces: int
    false_alerts: int
    per_face: Proportion
    ceiling: Decimal
    exceeded: bool
    sentence: str


@dataclass(frozen=True)
class DeploymentAccuracy:
    deployment_public_id: str
    status: str
    engine: str
    threshold: Decimal
    faces_processed: int
    alerts: int
    confirmed: int
    false_alerts: int
    unresolved: int
    pending: int
    # Pending alerts past LFR_ADJUDICATION_DUE_MINUTES now; and all alerts ever flagged so.
    overdue: int
    flagged_overdue: int
    adjudication_due_minutes: int
    false_per_face: Proportion
    # False alerts among the alerts whose truth an operator established (confirmed or false).
    false_per_alert: Proportion
    ceiling: Decimal
    ceiling_words: str
    ceiling_is_own: bool
    window: CeilingWindow
    exceeded: bool
    suspended: bool
    rule: str
    sentence: str


CEILING_RULE = (
    "The ceiling counts as exceeded when the lower end of the 95% confidence interval of "
    "adjudicated false alerts per face processed, since the deployment went live or was "
    "last resumed, is above it."
)


def _counts(deployment: Deployment, *, now: datetime) -> dict[str, int]:
    due_before = now - adjudication_due()
    return Alert.objects.filter(deployment=deployment).aggregate(
        alerts=Count("pk"),
        confirmed=Count("pk", filter=Q(adjudication=Adjudication.CONFIRMED)),
        false_alerts=Count("pk", filter=Q(adjudication=Adjudication.FALSE_ALERT)),
        unresolved=Count("pk", filter=Q(adjudication=Adjudication.UNRESOLVED)),
        pending=Count("pk", filter=Q(adjudication=Adjudication.PENDING)),
        overdue=Count(
            "pk", filter=Q(adjudication=Adjudication.PENDING, captured_at__lte=due_before)
        ),
        flagged_overdue=Count("overdue_flag"),
    )


def last_resumption(deployment: Deployment) -> AccuracySuspension | None:
    return (
        AccuracySuspension.objects.filter(deployment=deployment, resumed_at__isnull=False)
        .order_by("-resumed_at")
        .first()
    )


def ceiling_window(deployment: Deployment) -> CeilingWindow:
    """The monitoring window the ceiling rule judges (see THE CEILING RULE above)."""
    ceiling = ceiling_for(deployment)
    resumed = last_resumption(deployment)
    alerts = Alert.objects.filter(deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    if resumed is not None:
        since = resumed.resumed_at
        faces = max(deployment.faces_processed - (resumed.faces_at_resume or 0), 0)
        alerts = alerts.filter(captured_at__gte=since)
    else:
        since = deployment.went_live_at
        faces = deployment.faces_processed
    false_alerts = alerts.count()
    per_face = proportion(min(false_alerts, faces), faces)
    exceeded = ceiling_exceeded(false_alerts, faces, ceiling)
    words = one_in(float(ceiling))
    if not faces:
        sentence = "No faces processed yet in this monitoring window."
    else:
        sentence = (
            f"Adjudicated false alerts: {per_face.describe('faces')}; ceiling {words} faces: "
            + ("exceeded." if exceeded else "not shown to be exceeded.")
        )
    return CeilingWindow(
        since=since,
        faces=faces,
        false_alerts=false_alerts,
        per_face=per_face,
        ceiling=ceiling,
        exceeded=exceeded,
        sentence=sentence,
    )


def deployment_accuracy(
    deployment: Deployment, *, now: datetime | None = None
) -> DeploymentAccuracy:
    """The deployment's running accuracy from its operators' adjudications."""
    now = now or timezone.now()
    counts = _counts(deployment, now=now)
    faces = deployment.faces_processed
    false_alerts = counts["false_alerts"]
    per_face = proportion(min(false_alerts, faces), faces)
    decided = counts["confirmed"] + false_alerts
    per_alert = proportion(false_alerts, decided)
    window = ceiling_window(deployment)
    ceiling = window.ceiling
    due_minutes = int(adjudication_due().total_seconds() // 60)
    parts = [
        f"{faces:,} faces processed, {counts['alerts']:,} "
        f"alert{'' if counts['alerts'] == 1 else 's'}: {counts['confirmed']:,} "
        f"confirmed, {false_alerts:,} false, {counts['unresolved']:,} not resolved, "
        f"{counts['pending']:,} awaiting adjudication"
        + (
            f" ({counts['overdue']:,} of them for more than {due_minutes} "
            f"{ngettext('minute', 'minutes', due_minutes)})."
            if counts["overdue"]
            else "."
        ),
        f"False alerts per face: {per_face.describe('faces')}.",
        f"False alerts among alerts found true or false: {per_alert.describe('alerts')}.",
        window.sentence,
    ]
    suspended = deployment.status == DeploymentStatus.SUSPENDED
    if suspended:
        parts.append("Recognition is suspended until an authorising officer resumes it.")
    return DeploymentAccuracy(
        deployment_public_id=str(deployment.public_id),
        status=deployment.status,
        engine=deployment.engine,
        threshold=Decimal(deployment.threshold),
        faces_processed=faces,
        alerts=counts["alerts"],
        confirmed=counts["confirmed"],
        false_alerts=false_alerts,
        unresolved=counts["unresolved"],
        pending=counts["pending"],
        overdue=counts["overdue"],
        flagged_overdue=counts["flagged_overdue"],
        adjudication_due_minutes=due_minutes,
        false_per_face=per_face,
        false_per_alert=per_alert,
        ceiling=ceiling,
        ceiling_words=f"{one_in(float(ceiling))} faces",
        ceiling_is_own=deployment.false_alert_ceiling is not None
        and Decimal(deployment.false_alert_ceiling) < force_ceiling(),
        window=window,
        exceeded=window.exceeded,
        suspended=suspended,
        rule=CEILING_RULE,
        sentence=" ".join(parts),
    )


# --- suspensions and overdue alerts -----------------------------------------------------


@dataclass(frozen=True)
class SuspendedDeployment:
    public_id: str
    title: str
    location_name: str
    suspended_at: datetime | None
    faces_processed: int
    false_alerts: int
    ceiling_words: str
    explanation: str
    can_resume: bool


def suspended_deployments_for(
    user: User,
) -> list[SuspendedDeployment]:
    """Deployments suspended for false alerts, for the dashboards of those who act on them:
    authorising officers (who may resume them), their operators, compliance officers."""
    if not has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR, Role.COMPLIANCE_OFFICER):
        return []
    deployments = list(
        deployments_visible_to(user)
        .filter(status=DeploymentStatus.SUSPENDED)
        .order_by("-updated_at")
    )
    latest: dict[int, AccuracySuspension] = {}
    for still_open in AccuracySuspension.objects.filter(
        deployment__in=deployments, resumed_at__isnull=True
    ).order_by("suspended_at"):
        latest[still_open.deployment_id] = still_open
    may_resume = is_authorising_officer(user)
    result = []
    for deployment in deployments:
        suspension = latest.get(deployment.pk)
        result.append(
            SuspendedDeployment(
                public_id=str(deployment.public_id),
                title=deployment.title,
                location_name=deployment.location_name,
                suspended_at=suspension.suspended_at if suspension else None,
                faces_processed=suspension.faces_processed if suspension else 0,
                false_alerts=suspension.false_alerts if suspension else 0,
                ceiling_words=(f"{one_in(float(suspension.ceiling))} faces" if suspension else ""),
                explanation=suspension.explanation if suspension else "",
                can_resume=may_resume,
            )
        )
    return result


def overdue_alerts_for(user: User, *, now: datetime | None = None) -> QuerySet[Alert]:
    """Alerts the user may see that still await adjudication past the due time."""
    now = now or timezone.now()
    return alerts_visible_to(user).filter(
        adjudication=Adjudication.PENDING, captured_at__lte=now - adjudication_due()
    )
