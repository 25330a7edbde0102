"""Reads about accuracy: calibrations, expected false alerts, live monitoring, suspensions.

Every function returns plain dataclasses (numbers, dates and sentences), so a page,
the API or a report can show them without knowing the rules behind them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import ngettext

from ..engines import ENGINE_PROFILES
from ..models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    CalibrationRecord,
    DeploymentStatus,
    EntryStatus,
    Role,
)
from ..permissions import has_role, is_authorising_officer
from ..settings.env import env_int
from ..stats import Proportion, one_in, proportion, wilson_interval
from .alerts import alerts_visible_to
from .deployments import deployments_visible_to

# --- settings ---------------------------------------------------------------------


def calibration_max_age() -> timedelta:
    """LFR_CALIBRATION_MAX_AGE_DAYS (default 365): older calibrations need an override."""
    days = getattr(settings, "LFR_CALIBRATION_MAX_AGE_DAYS", None)
    if days is None:
        days = env_int("LFR_CALIBRATION_MAX_AGE_DAYS", 365)
    return timedelta(days=int(days))


def adjudication_due() -> timedelta:
    """LFR_ADJUDICATION_DUE_MINUTES (default 10): a pending alert older than this is overdue."""
    minutes = getattr(settings, "LFR_ADJUDICATION_DUE_MINUTES", None)
    if minutes is None:
        minutes = env_int("LFR_ADJUDICATION_DUE_MINUTES", 10)
    return timedelta(minutes=int(minutes))


def force_ceiling() -> Decimal:
    return Decimal(str(settings.LFR_FALSE_ALERT_CEILING))


def ceiling_for(deployment) -> Decimal:
    """The deployment's own ceiling where it is stricter; never looser than the force's."""
    ceiling = force_ceiling()
    own = deployment.false_alert_ceiling
    return min(ceiling, Decimal(own)) if own is not None else ceiling


# --- calibrations -----------------------------------------------------------------


@dataclass(frozen=True)
class RatePoint:
    threshold: Decimal
    fmr: float
    false_matches: int
    fnmr: float
    false_non_matches: int


@dataclass(frozen=True)
class CalibrationSummary:
    public_id: str
    engine: str
    engine_label: str
    description: str
    measured_at: datetime
    age_days: int
    stale: bool
    identities: int
    images: int
    images_without_face: int
    genuine_pairs: int
    impostor_pairs: int
    model_sha256: dict
    ran_by: str
    rates: list[RatePoint]
    group_rates: list
    sentence: str


@dataclass(frozen=True)
class OperatingPoint:
    """An engine's measured error rates at a threshold.

    Between two recorded thresholds the false match rate is read at the next lower
    one and the false non-match rate at the next higher one: both rates move
    monotonically with the threshold, so each reading can only overstate the error.
    """

    threshold: Decimal
    fmr_threshold: Decimal
    fmr: Proportion
    fnmr_threshold: Decimal | None
    fnmr: Proportion | None
    sentence: str


def _rate_points(record) -> list[RatePoint]:
    points = [
        RatePoint(
            threshold=Decimal(str(row["threshold"])),
            fmr=float(row["fmr"]),
            false_matches=int(row["false_matches"]),
            fnmr=float(row["fnmr"]),
            false_non_matches=int(row["false_non_matches"]),
        )
        for row in record.rates
    ]
    return sorted(points, key=lambda point: point.threshold)


def latest_calibration(engine) -> CalibrationRecord | None:
    return (
        CalibrationRecord.objects.filter(engine=engine)
        .select_related("ran_by")
        .order_by("-measured_at", "-id")
        .first()
    )


def calibration_summary(record, *, now=None) -> CalibrationSummary:
    now = now or timezone.now()
    profile = ENGINE_PROFILES.get(record.engine)
    label = profile.label if profile else record.engine
    age = now - record.measured_at
    stale = age > calibration_max_age()
    ran_by = record.ran_by.get_username() if record.ran_by else (record.ran_by_name or "unknown")
    sentence = (
        f"{label} calibrated on {timezone.localtime(record.measured_at):%d %b %Y} "
        f"({age.days} days ago) by {ran_by}: {record.identities:,} identities, "
        f"{record.images:,} images, {record.genuine_pairs:,} genuine and "
        f"{record.impostor_pairs:,} impostor pairs. Data set: {record.description}"
    )
    if stale:
        sentence += (
            f" This calibration is older than {calibration_max_age().days} days; "
            "measure the engine again."
        )
    return CalibrationSummary(
        public_id=str(record.public_id),
        engine=record.engine,
        engine_label=label,
        description=record.description,
        measured_at=record.measured_at,
        age_days=age.days,
        stale=stale,
        identities=record.identities,
        images=record.images,
        images_without_face=record.images_without_face,
        genuine_pairs=record.genuine_pairs,
        impostor_pairs=record.impostor_pairs,
        model_sha256=dict(record.model_sha256),
        ran_by=ran_by,
        rates=_rate_points(record),
        group_rates=list(record.group_rates),
        sentence=sentence,
    )


def operating_point(record, threshold) -> OperatingPoint | None:
    """The record's rates at `threshold`, read conservatively; None below its range."""
    threshold = Decimal(str(threshold))
    points = _rate_points(record)
    lower = [p for p in points if p.threshold <= threshold]
    if not lower:
        return None
    at_fmr = lower[-1]
    higher = [p for p in points if p.threshold >= threshold]
    at_fnmr = higher[0] if higher else None
    fmr = proportion(at_fmr.false_matches, record.impostor_pairs)
    fnmr = proportion(at_fnmr.false_non_matches, record.genuine_pairs) if at_fnmr else None
    where = (
        f"at {threshold}"
        if at_fmr.threshold == threshold
        else f"at {at_fmr.threshold}, the nearest recorded threshold below {threshold}"
    )
    sentence = f"False match rate {where}: {fmr.describe('impostor pairs')}."
    if fnmr is not None and at_fnmr is not None:
        where = (
            f"at {threshold}"
            if at_fnmr.threshold == threshold
            else f"at {at_fnmr.threshold}, the nearest recorded threshold above {threshold}"
        )
        sentence += f" False non-match rate {where}: {fnmr.describe('genuine pairs')}."
    else:
        sentence += " No false non-match rate was measured this high."
    return OperatingPoint(
        threshold=threshold,
        fmr_threshold=at_fmr.threshold,
        fmr=fmr,
        fnmr_threshold=at_fnmr.threshold if at_fnmr else None,
        fnmr=fnmr,
        sentence=sentence,
    )


def calibration_problem(engine, threshold, *, now=None) -> str:
    """Why the engine's calibration cannot vouch for this threshold, in words; "" if it can."""
    profile = ENGINE_PROFILES.get(engine)
    label = profile.label if profile else engine
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
        lowest = min(p.threshold for p in _rate_points(record)) if record.rates else None
        return (
            f"The threshold {threshold} is below every threshold the latest calibration of "
            f"the {label} engine measured (lowest {lowest})."
        )
    return ""


@dataclass(frozen=True)
class EngineCalibration:
    engine: str
    label: str
    floor: Decimal
    default_threshold: Decimal
    calibration_note: str
    latest: CalibrationSummary | None
    at_default: OperatingPoint | None
    at_floor: OperatingPoint | None
    sentence: str


def engine_calibrations(*, now=None) -> list[EngineCalibration]:
    """Each engine's profile with its latest calibration and the rates at its floor and default."""
    result = []
    for name, profile in ENGINE_PROFILES.items():
        record = latest_calibration(name)
        summary = calibration_summary(record, now=now) if record else None
        at_default = operating_point(record, profile.default_threshold) if record else None
        at_floor = operating_point(record, profile.floor) if record else None
        if summary is None:
            sentence = f"{profile.label}: no calibration recorded ({profile.calibration_note})."
        else:
            sentence = summary.sentence
            if at_default:
                sentence += f" At the default threshold {profile.default_threshold}: "
                sentence += at_default.sentence
        result.append(
            EngineCalibration(
                engine=name,
                label=profile.label,
                floor=profile.floor,
                default_threshold=profile.default_threshold,
                calibration_note=profile.calibration_note,
                latest=summary,
                at_default=at_default,
                at_floor=at_floor,
                sentence=sentence,
            )
        )
    return result


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


def watchlist_size(deployment) -> int:
    """The size the authorising officer approved, or the approved entries before that."""
    snapshot = deployment.authorised_snapshot or {}
    if "watchlist_entries" in snapshot:
        return int(snapshot["watchlist_entries"])
    watchlist = getattr(deployment, "watchlist", None)
    if watchlist is None:
        return 0
    return watchlist.entries.filter(status=EntryStatus.APPROVED).count()


def expected_false_alerts(deployment, *, now=None) -> ExpectedFalseAlerts:
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
    expected = low = high = None
    if point is not None and summary is not None:
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


def ceiling_exceeded(false_alerts: int, faces: int, ceiling) -> bool:
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


def _counts(deployment, *, now):
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


def last_resumption(deployment):
    return (
        AccuracySuspension.objects.filter(deployment=deployment, resumed_at__isnull=False)
        .order_by("-resumed_at")
        .first()
    )


def ceiling_window(deployment) -> CeilingWindow:
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


def deployment_accuracy(deployment, *, now=None) -> DeploymentAccuracy:
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


def suspended_deployments_for(user) -> list[SuspendedDeployment]:
    """Deployments suspended for false alerts, for the dashboards of those who act on them:
    authorising officers (who may resume them), their operators, compliance officers."""
    if not has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR, Role.COMPLIANCE_OFFICER):
        return []
    deployments = list(
        deployments_visible_to(user)
        .filter(status=DeploymentStatus.SUSPENDED)
        .order_by("-updated_at")
    )
    latest = {}
    for suspension in AccuracySuspension.objects.filter(
        deployment__in=deployments, resumed_at__isnull=True
    ).order_by("suspended_at"):
        latest[suspension.deployment_id] = suspension
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


def overdue_alerts_for(user, *, now=None):
    """Alerts the user may see that still await adjudication past the due time."""
    now = now or timezone.now()
    return alerts_visible_to(user).filter(
        adjudication=Adjudication.PENDING, captured_at__lte=now - adjudication_due()
    )
