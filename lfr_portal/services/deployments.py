"""Writes for deployments: drafting, approval, going live and ending. Each owns its transaction."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..engines import ENGINE_PROFILES
from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    REQUIRED_DOCUMENTS,
    REQUIRED_DOCUMENTS_EU,
    AccuracySuspension,
    Camera,
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    DeploymentStatus,
    DocumentKind,
    Role,
    UseCase,
    Watchlist,
    WatchlistStatus,
)
from ..permissions import (
    can_operate,
    grant_operator,
    has_role,
    is_authorising_officer,
    revoke_operator,
)
from ..selectors.accuracy import calibration_problem, force_ceiling
from ..selectors.pages import camera_reachable
from .audit import audit_record
from .common import (
    apply_changes,
    jsonable,
    normalise_coordinates,
    task_send_on_commit,
    validate_model,
)

S = DeploymentStatus

EDITABLE_FIELDS = (
    "title",
    "use_case",
    "use_case_other",
    "purpose",
    "justification",
    "location_name",
    "borough",
    "latitude",
    "longitude",
    "radius_m",
    "starts_at",
    "ends_at",
    "engine",
    "threshold",
    "threshold_override_reason",
    "expected_faces",
    "calibration_override_reason",
    "false_alert_ceiling",
    "critical_threat_exempt",
    "critical_threat_reason",
    "eu_urgency",
    "eu_urgency_reason",
)
# States from which a deployment may still be cancelled (anything before completed).
CANCELLABLE = {S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED, S.LIVE, S.SUSPENDED}
# Deployments holding their cameras for their window.
BOOKING_STATES = {S.SUBMITTED, S.APPROVED, S.LIVE, S.SUSPENDED}


def _lock(deployment):
    return Deployment.objects.select_for_update().get(pk=deployment.pk)


class Problem(str):
    """One unmet rule: reads as its sentence, and carries a stable code.

    Screens match on the code, never on the words, so rewording a rule cannot
    silently detach it from its line in a checklist.
    """

    code: str

    def __new__(cls, code: str, message: str) -> "Problem":
        problem = super().__new__(cls, message)
        problem.code = code
        return problem


@dataclass(frozen=True)
class Advisory:
    """A condition worth checking before going live that no rule demands.

    A failing advisory does not block; going ahead despite it needs a recorded reason.
    """

    code: str
    label: str
    ok: bool
    detail: str


def when_text(moment) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def finalise_hours() -> str:
    return f"{settings.LFR_WATCHLIST_FINALISE_MAX_AGE.total_seconds() / 3600:g}"


def watchlist_finalise_opens_at(deployment):
    """The earliest finalisation that still counts at the window's start, or None without one.

    The rule is judged against the start, not against now: a list finalised days
    ahead would be stale by the time the first frame is processed.
    """
    if deployment.starts_at is None:
        return None
    return deployment.starts_at - settings.LFR_WATCHLIST_FINALISE_MAX_AGE


def _require_planner_of(actor, deployment):
    if not has_role(actor, Role.DEPLOYMENT_PLANNER):
        raise NotPermitted("Only a deployment planner may change a deployment.")
    if deployment.created_by_id != actor.pk:
        raise NotPermitted("A planner may change only the deployments they drafted.")


def _require_ao(actor):
    if not has_role(actor, Role.AUTHORISING_OFFICER):
        raise NotPermitted("Only an authorising officer may decide on a deployment.")
    if not is_authorising_officer(actor):
        raise NotPermitted(
            f"An authorising officer must hold the rank of "
            f"{settings.LFR_AO_MIN_RANK.replace('_', ' ')} or above."
        )


def _check_fields(deployment):
    """Rules that every saved draft must already satisfy."""
    validate_model(deployment, exclude=["created_by", "public_id"])
    if deployment.use_case == UseCase.OTHER and not deployment.use_case_other.strip():
        raise RuleViolation(
            "A use case of 'other' must say what the use case is.", field="use_case_other"
        )
    if deployment.engine not in ENGINE_PROFILES:
        raise RuleViolation(f"Unknown engine '{deployment.engine}'.", field="engine")
    try:
        threshold = Decimal(deployment.threshold)
    except (InvalidOperation, TypeError):
        raise RuleViolation("The threshold must be a number.", field="threshold") from None
    if not Decimal("0") < threshold < Decimal("1"):
        raise RuleViolation("The threshold must lie between 0 and 1.", field="threshold")
    # A window is whole or absent in every saved state: pages and checks read both ends.
    if deployment.starts_at and not deployment.ends_at:
        raise RuleViolation(
            "A window with a start needs its end too.", field="ends_at", code="window_half"
        )
    if deployment.ends_at and not deployment.starts_at:
        raise RuleViolation(
            "A window with an end needs its start too.", field="starts_at", code="window_half"
        )
    if deployment.starts_at and deployment.ends_at:
        if deployment.ends_at <= deployment.starts_at:
            raise RuleViolation("The window must end after it starts.", field="ends_at")
        if deployment.ends_at - deployment.starts_at > settings.LFR_MAX_AUTHORISATION:
            hours = settings.LFR_MAX_AUTHORISATION.total_seconds() / 3600
            raise RuleViolation(
                f"A single authorisation covers at most {hours:g} hours of live time.",
                field="ends_at",
                code="window_too_long",
            )
    if deployment.false_alert_ceiling is not None:
        ceiling = Decimal(str(deployment.false_alert_ceiling))
        if not Decimal("0") < ceiling <= force_ceiling():
            raise RuleViolation(
                "A deployment's false-alert ceiling may only be stricter than the force's "
                f"({force_ceiling()} false alerts per face), and above zero.",
                field="false_alert_ceiling",
            )
    if deployment.critical_threat_exempt and not deployment.critical_threat_reason.strip():
        raise RuleViolation(
            "An exemption from advance announcement needs the critical threat recorded.",
            field="critical_threat_reason",
        )


@transaction.atomic
def deployment_create(*, actor, **fields):
    if not has_role(actor, Role.DEPLOYMENT_PLANNER):
        raise NotPermitted("Only a deployment planner may draft a deployment.")
    fields.setdefault("engine", settings.LFR_DEFAULT_ENGINE)
    if "threshold" not in fields and fields["engine"] in ENGINE_PROFILES:
        fields["threshold"] = ENGINE_PROFILES[fields["engine"]].default_threshold
    normalise_coordinates(fields)
    deployment = Deployment(created_by=actor)
    apply_changes(deployment, fields, EDITABLE_FIELDS)
    _check_fields(deployment)
    deployment.save()
    Watchlist.objects.create(deployment=deployment, created_by=actor)
    audit_record(
        actor=actor,
        action="deployment.create",
        obj=deployment,
        changes={k: jsonable(v) for k, v in fields.items()},
    )
    return deployment


@transaction.atomic
def deployment_update(*, actor, deployment, **fields):
    deployment = _lock(deployment)
    _require_planner_of(actor, deployment)
    if deployment.status not in (S.DRAFT, S.REJECTED):
        raise InvalidTransition(
            f"A {deployment.get_status_display().lower()} deployment cannot be edited; "
            "only drafts and rejected deployments can."
        )
    changes = apply_changes(deployment, normalise_coordinates(fields), EDITABLE_FIELDS)
    _check_fields(deployment)
    if deployment.status == S.REJECTED:
        # Editing a rejected deployment makes it a draft again, to be resubmitted.
        changes["status"] = [S.REJECTED.value, S.DRAFT.value]
        deployment.status = S.DRAFT
    deployment.save()
    audit_record(actor=actor, action="deployment.update", obj=deployment, changes=changes)
    return deployment


def _require_editable(actor, deployment):
    _require_planner_of(actor, deployment)
    if deployment.status not in (S.DRAFT, S.REJECTED):
        raise InvalidTransition("Only a draft deployment's documents and cameras can change.")


@transaction.atomic
def deployment_document_set(*, actor, deployment, kind, reference, issued_on, review_by):
    deployment = _lock(deployment)
    _require_editable(actor, deployment)
    if kind not in DocumentKind.values:
        raise RuleViolation(f"Unknown document kind '{kind}'.", field="kind")
    if not str(reference).strip():
        raise RuleViolation("A document needs its reference.", field="reference")
    if review_by < issued_on:
        raise RuleViolation("A document's review date cannot precede its issue.", field="review_by")
    document, created = DeploymentDocument.objects.update_or_create(
        deployment=deployment,
        kind=kind,
        defaults={
            "reference": reference,
            "issued_on": issued_on,
            "review_by": review_by,
            "added_by": actor,
        },
    )
    audit_record(
        actor=actor,
        action="deployment.document_set",
        obj=document,
        deployment=deployment,
        changes={
            "kind": kind,
            "reference": reference,
            "issued_on": jsonable(issued_on),
            "review_by": jsonable(review_by),
            "replaced": not created,
        },
    )
    return document


def _overlapping_booking(camera, deployment):
    if not (deployment.starts_at and deployment.ends_at):
        return None
    clash = (
        DeploymentCamera.objects.filter(
            camera=camera,
            deployment__status__in=BOOKING_STATES,
            deployment__starts_at__lt=deployment.ends_at,
            deployment__ends_at__gt=deployment.starts_at,
        )
        .exclude(deployment=deployment)
        .select_related("deployment")
        .first()
    )
    return clash.deployment if clash else None


def _refuse_clash(camera, holder):
    raise RuleViolation(
        f"Camera '{camera.name}' is already booked for an overlapping window by "
        f"deployment '{holder.title}' ({holder.public_id}).",
        field="camera",
        code="camera_booked",
    )


@transaction.atomic
def deployment_camera_add(*, actor, deployment, camera, position=""):
    deployment = _lock(deployment)
    _require_editable(actor, deployment)
    # Locking the camera row serialises two planners booking the same camera.
    camera = Camera.objects.select_for_update().get(pk=camera.pk)
    holder = _overlapping_booking(camera, deployment)
    if holder is not None:
        _refuse_clash(camera, holder)
    booking, created = DeploymentCamera.objects.get_or_create(
        deployment=deployment, camera=camera, defaults={"position": position}
    )
    if not created:
        raise RuleViolation(
            f"Camera '{camera.name}' is already on this deployment.", field="camera"
        )
    audit_record(
        actor=actor,
        action="deployment.camera_add",
        obj=deployment,
        changes={"camera": str(camera.public_id), "camera_name": camera.name, "position": position},
    )
    return booking


@transaction.atomic
def deployment_camera_remove(*, actor, deployment, camera):
    deployment = _lock(deployment)
    _require_editable(actor, deployment)
    deleted, _ = DeploymentCamera.objects.filter(deployment=deployment, camera=camera).delete()
    if not deleted:
        raise RuleViolation(f"Camera '{camera.name}' is not on this deployment.", field="camera")
    audit_record(
        actor=actor,
        action="deployment.camera_remove",
        obj=deployment,
        changes={"camera": str(camera.public_id), "camera_name": camera.name},
    )


def _document_problems(deployment, today) -> list[Problem]:
    kinds = list(REQUIRED_DOCUMENTS)
    if settings.LFR_EU_AI_ACT_MODE:
        kinds += list(REQUIRED_DOCUMENTS_EU)
    documents = {d.kind: d for d in deployment.documents.all()}
    problems = []
    last_day = timezone.localdate(deployment.ends_at) if deployment.ends_at else today
    for kind in kinds:
        label = DocumentKind(kind).label
        document = documents.get(kind)
        if document is None:
            problems.append(Problem("document_missing", f"The {label} reference is not recorded."))
        elif document.issued_on > today:
            problems.append(
                Problem(
                    "document_future", f"The {label} ({document.reference}) is dated in the future."
                )
            )
        elif document.review_by < last_day:
            problems.append(
                Problem(
                    "document_expired",
                    f"The {label} ({document.reference}) is out of date on "
                    f"{document.review_by:%d %b %Y}, before the deployment ends.",
                )
            )
    return problems


def approval_problems(deployment, *, include_watchlist=True) -> list[Problem]:
    """Every reason the deployment cannot be approved now, each with its code. Empty when it can."""
    problems = []
    now = timezone.now()
    if not deployment.purpose.strip():
        problems.append(Problem("purpose_missing", "The purpose is not recorded."))
    if not deployment.justification.strip():
        problems.append(
            Problem(
                "justification_missing",
                "The necessity and proportionality justification is not written.",
            )
        )
    if deployment.use_case == UseCase.OTHER and not deployment.use_case_other.strip():
        problems.append(
            Problem("use_case_other_missing", "A use case of 'other' must say what it is.")
        )
    if not deployment.location_name.strip() or deployment.latitude is None:
        problems.append(Problem("location_missing", "The location needs a name and coordinates."))
    if not deployment.radius_m:
        problems.append(Problem("radius_missing", "The location needs a radius."))
    if not deployment.starts_at or not deployment.ends_at:
        problems.append(Problem("window_missing", "The start and end of the window are not set."))
    else:
        if deployment.ends_at - deployment.starts_at > settings.LFR_MAX_AUTHORISATION:
            hours = settings.LFR_MAX_AUTHORISATION.total_seconds() / 3600
            problems.append(
                Problem(
                    "window_too_long",
                    f"The window is longer than the {hours:g} hours one authorisation covers.",
                )
            )
        if deployment.ends_at <= now:
            problems.append(Problem("window_ended", "The window has already ended."))
    problems += _document_problems(deployment, timezone.localdate(now))
    profile = ENGINE_PROFILES.get(deployment.engine)
    if profile is None:
        problems.append(
            Problem("engine_unknown", f"The engine '{deployment.engine}' is not known.")
        )
    elif Decimal(deployment.threshold) < profile.floor and not (
        deployment.threshold_override_reason.strip()
    ):
        problems.append(
            Problem(
                "threshold_below_floor",
                f"The threshold {deployment.threshold} is below the {profile.label} floor of "
                f"{profile.floor}, and no override reason is recorded.",
            )
        )
    if profile is not None:
        uncalibrated = calibration_problem(deployment.engine, deployment.threshold, now=now)
        if uncalibrated and not deployment.calibration_override_reason.strip():
            problems.append(
                Problem(
                    "calibration_stale",
                    f"{uncalibrated} No calibration override reason is recorded.",
                )
            )
    bookings = list(deployment.cameras.select_related("camera"))
    if not bookings:
        problems.append(Problem("camera_missing", "No camera is attached."))
    for booking in bookings:
        holder = _overlapping_booking(booking.camera, deployment)
        if holder is not None:
            problems.append(
                Problem(
                    "camera_booked",
                    f"Camera '{booking.camera.name}' is booked for an overlapping window by "
                    f"'{holder.title}'.",
                )
            )
    if include_watchlist:
        watchlist = getattr(deployment, "watchlist", None)
        if watchlist is None or watchlist.status not in (
            WatchlistStatus.APPROVED,
            WatchlistStatus.FINALISED,
        ):
            problems.append(Problem("watchlist_not_authorised", "The watchlist is not authorised."))
        elif watchlist.entries.filter(status="approved").count() > settings.LFR_WATCHLIST_MAX_SIZE:
            problems.append(
                Problem("watchlist_too_large", "The watchlist is larger than the maximum size.")
            )
    return problems


@transaction.atomic
def deployment_submit(*, actor, deployment):
    deployment = _lock(deployment)
    _require_planner_of(actor, deployment)
    if deployment.status != S.DRAFT:
        raise InvalidTransition("Only a draft can be submitted for approval.")
    problems = approval_problems(deployment, include_watchlist=False)
    if problems:
        raise RuleViolation(" ".join(problems), code="incomplete")
    deployment.status = S.SUBMITTED
    deployment.submitted_at = timezone.now()
    deployment.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_record(actor=actor, action="deployment.submit", obj=deployment)
    return deployment


def _camera_fingerprint(booking):
    return hashlib.sha256(booking.camera.source_url.encode()).hexdigest()


def authorisation_snapshot(deployment):
    watchlist = deployment.watchlist
    return {
        "starts_at": deployment.starts_at.isoformat(),
        "ends_at": deployment.ends_at.isoformat(),
        "engine": deployment.engine,
        "threshold": str(deployment.threshold),
        "cameras": sorted(
            [str(b.camera.public_id), _camera_fingerprint(b)]
            for b in deployment.cameras.select_related("camera")
        ),
        "watchlist": str(watchlist.public_id),
        "watchlist_entries": watchlist.entries.filter(status="approved").count(),
    }


@transaction.atomic
def deployment_approve(*, actor, deployment, reason=""):
    deployment = _lock(deployment)
    _require_ao(actor)
    if deployment.created_by_id == actor.pk:
        raise NotPermitted(
            "Whoever drafts a deployment may not approve it (four eyes).", code="four_eyes"
        )
    if deployment.status != S.SUBMITTED:
        raise InvalidTransition("Only a submitted deployment can be approved.")
    problems = approval_problems(deployment)
    if problems:
        raise RuleViolation(" ".join(problems), code="not_approvable")
    deployment.status = S.APPROVED
    deployment.decided_by = actor
    deployment.decided_at = timezone.now()
    deployment.authorised_snapshot = authorisation_snapshot(deployment)
    deployment.save(
        update_fields=["status", "decided_by", "decided_at", "authorised_snapshot", "updated_at"]
    )
    audit_record(
        actor=actor,
        action="deployment.approve",
        obj=deployment,
        reason=reason,
        changes={"authorised": deployment.authorised_snapshot},
    )
    return deployment


@transaction.atomic
def deployment_reject(*, actor, deployment, reason):
    deployment = _lock(deployment)
    _require_ao(actor)
    if deployment.created_by_id == actor.pk:
        raise NotPermitted("Whoever drafts a deployment may not decide on it.", code="four_eyes")
    if deployment.status != S.SUBMITTED:
        raise InvalidTransition("Only a submitted deployment can be rejected.")
    if not (reason or "").strip():
        raise RuleViolation("A rejection must give its reasons.", field="reason")
    deployment.status = S.REJECTED
    deployment.decided_by = actor
    deployment.decided_at = timezone.now()
    deployment.rejection_reason = reason
    deployment.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason", "updated_at"]
    )
    audit_record(actor=actor, action="deployment.reject", obj=deployment, reason=reason)
    return deployment


def go_live_problems(deployment, *, now=None) -> list[Problem]:
    """Every rule that blocks going live now, each with its code. Empty when it can.

    The server enforces each of these; the checklist shows them as blockers.
    """
    now = now or timezone.now()
    problems = []
    if deployment.status != S.APPROVED:
        problems.append(
            Problem(
                "not_approved",
                f"The deployment is {deployment.get_status_display().lower()}, not approved.",
            )
        )
        return problems
    if not (deployment.starts_at <= now < deployment.ends_at):
        problems.append(
            Problem(
                "outside_window",
                f"Now is outside the authorised window "
                f"({when_text(deployment.starts_at)} to {when_text(deployment.ends_at)}).",
            )
        )
    current = authorisation_snapshot(deployment)
    approved = deployment.authorised_snapshot or {}
    if current["cameras"] != approved.get("cameras"):
        problems.append(
            Problem(
                "cameras_changed", "The cameras are not the ones the authorising officer approved."
            )
        )
    for key, words in (
        ("starts_at", "window"),
        ("ends_at", "window"),
        ("threshold", "threshold"),
        ("engine", "engine"),
        ("watchlist_entries", "watchlist"),
    ):
        if current[key] != approved.get(key):
            problems.append(Problem(f"{words}_changed", f"The {words} changed after approval."))
    if not deployment.signage.filter(placed_at__lte=now, removed_at__isnull=True).exists():
        problems.append(Problem("no_signage", "No sign is recorded as up at the location."))
    watchlist = deployment.watchlist
    opens = watchlist_finalise_opens_at(deployment)
    if watchlist.status != WatchlistStatus.FINALISED or watchlist.finalised_at is None:
        problems.append(
            Problem(
                "watchlist_not_finalised",
                f"The watchlist is not finalised; it must be finalised within "
                f"{finalise_hours()} hours before the window starts, from {when_text(opens)}.",
            )
        )
    elif watchlist.finalised_at < opens:
        problems.append(
            Problem(
                "watchlist_finalised_too_early",
                f"The watchlist must be finalised within {finalise_hours()} hours before the "
                f"window starts; it was finalised {when_text(watchlist.finalised_at)}, before "
                f"{when_text(opens)}. Finalise it again.",
            )
        )
    if settings.LFR_EU_AI_ACT_MODE:
        has_authority = deployment.documents.filter(
            kind=DocumentKind.INDEPENDENT_AUTHORISATION
        ).exists()
        if deployment.eu_authorisation_decision == "refused":
            problems.append(
                Problem("eu_refused", "The independent authority refused authorisation.")
            )
        elif not has_authority and not deployment.eu_urgency:
            problems.append(
                Problem(
                    "eu_no_authorisation",
                    "No judicial or independent authorisation is recorded, and no urgency is "
                    "declared.",
                )
            )
    # Deduplicate while keeping order (window appears twice in the loop above).
    return list(dict.fromkeys(problems))


def go_live_advisories(deployment) -> list[Advisory]:
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


def deployment_start(*, actor, deployment, advisory_reason: str = ""):
    """Go live. Blockers refuse; a failing advisory needs `advisory_reason`, which is audited."""
    if not (can_operate(actor, deployment) or is_authorising_officer(actor)):
        raise NotPermitted("Only an assigned operator or an authorising officer may start it.")
    # Probing a camera can take a second: done before the row is locked.
    failing = [a for a in go_live_advisories(deployment) if not a.ok]
    return _deployment_start(
        actor=actor, deployment=deployment, failing=failing, advisory_reason=advisory_reason
    )


@transaction.atomic
def _deployment_start(*, actor, deployment, failing, advisory_reason):
    deployment = _lock(deployment)
    if not (can_operate(actor, deployment) or is_authorising_officer(actor)):
        raise NotPermitted("Only an assigned operator or an authorising officer may start it.")
    problems = go_live_problems(deployment)
    if problems:
        raise RuleViolation(" ".join(problems), code="not_startable")
    reason = (advisory_reason or "").strip()
    if failing and not reason:
        raise RuleViolation(
            "Going live despite an advisory needs a recorded reason: "
            + " ".join(f"{a.label}: {a.detail}" for a in failing)
            + " Record why it is right to go ahead, or fix it first.",
            field="advisory_reason",
            code="advisory_reason_required",
        )
    now = timezone.now()
    deployment.status = S.LIVE
    deployment.went_live_at = now
    deployment.went_live_by = actor
    fields = ["status", "went_live_at", "went_live_by", "updated_at"]
    if settings.LFR_EU_AI_ACT_MODE and deployment.eu_urgency:
        deployment.eu_authorisation_requested_at = deployment.eu_authorisation_requested_at or now
        fields.append("eu_authorisation_requested_at")
    deployment.save(update_fields=fields)
    deployment.cameras.update(
        state=CameraState.STARTING, state_detail="", chunk_index=0, source_position=0
    )
    audit_record(
        actor=actor,
        action="deployment.start",
        obj=deployment,
        reason=reason,
        changes={"advisories_overridden": [f"{a.label}: {a.detail}" for a in failing]}
        if failing
        else None,
    )
    _start_recognition(deployment)
    return deployment


def _start_recognition(deployment):
    """After commit, one recognition job per camera."""
    for booking_id in deployment.cameras.values_list("pk", flat=True):
        task_send_on_commit("matcher.camera_run", args=[booking_id], queue="recognition")


def _end(deployment, *, status, actor, reason, early):
    deployment.status = status
    deployment.ended_at = timezone.now()
    deployment.ended_by = actor if getattr(actor, "is_authenticated", False) else None
    deployment.end_reason = reason
    deployment.stopped_early = early
    deployment.save(
        update_fields=[
            "status",
            "ended_at",
            "ended_by",
            "end_reason",
            "stopped_early",
            "updated_at",
        ]
    )
    deployment.cameras.exclude(state=CameraState.IDLE).update(state=CameraState.STOPPED)


@transaction.atomic
def deployment_stop(*, actor, deployment, reason=""):
    """The kill switch: a live deployment stops at once."""
    deployment = _lock(deployment)
    if not (can_operate(actor, deployment) or is_authorising_officer(actor)):
        raise NotPermitted("Only an assigned operator or an authorising officer may stop it.")
    if deployment.status not in (S.LIVE, S.SUSPENDED):
        raise InvalidTransition("Only a live or suspended deployment can be stopped.")
    _end(deployment, status=S.COMPLETED, actor=actor, reason=reason or "Stopped", early=True)
    audit_record(actor=actor, action="deployment.stop", obj=deployment, reason=reason)
    return deployment


@transaction.atomic
def deployment_complete_if_window_ended(*, deployment_id):
    """System action: a live deployment completes by itself when its window ends."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment_id)
    # A suspended deployment's window ends too; it cannot be resumed after that.
    if deployment.status not in (S.LIVE, S.SUSPENDED) or deployment.ends_at > timezone.now():
        return False
    _end(
        deployment,
        status=S.COMPLETED,
        actor=None,
        reason="The authorised window ended.",
        early=False,
    )
    audit_record(
        actor=None,
        action="deployment.complete",
        obj=deployment,
        reason="The authorised window ended.",
    )
    return True


@transaction.atomic
def deployment_suspend_for_false_alerts(*, deployment, window):
    """System action: recognition stops because adjudicated false alerts passed the ceiling.

    `window` is the selectors.accuracy.CeilingWindow that showed it. Returns the
    AccuracySuspension, or None when the deployment is no longer live.
    """
    deployment = _lock(deployment)
    if deployment.status != S.LIVE:
        return None
    explanation = f"False-alert ceiling exceeded. {window.sentence}"
    suspension = AccuracySuspension.objects.create(
        deployment=deployment,
        suspended_at=timezone.now(),
        faces_processed=window.faces,
        false_alerts=window.false_alerts,
        ceiling=window.ceiling,
        rate_low=window.per_face.low,
        explanation=explanation,
    )
    deployment.status = S.SUSPENDED
    deployment.save(update_fields=["status", "updated_at"])
    # The jobs see the status within half a second and stop (deployment_still_live),
    # marking their cameras stopped. The cameras are marked here too, for a job whose
    # worker is gone, but after commit: a chunk commit locks its camera and then the
    # deployment, while this transaction (through alert_adjudicate) holds the deployment.
    cameras = deployment.cameras.filter(
        state__in=[CameraState.STARTING, CameraState.RUNNING, CameraState.RECONNECTING]
    )
    transaction.on_commit(
        lambda: cameras.update(
            state=CameraState.STOPPED, state_detail="Suspended: false-alert ceiling exceeded."
        )
    )
    audit_record(
        actor=None,
        action="deployment.suspend",
        obj=deployment,
        reason=explanation,
        changes={
            "status": [S.LIVE.value, S.SUSPENDED.value],
            "faces": window.faces,
            "false_alerts": window.false_alerts,
            "ceiling": str(window.ceiling),
            "rate_low": window.per_face.low,
        },
    )
    return suspension


@transaction.atomic
def deployment_resume(*, actor, deployment, reason):
    """An authorising officer's recorded decision to resume a suspended deployment."""
    deployment = _lock(deployment)
    _require_ao(actor)
    if deployment.status != S.SUSPENDED:
        raise InvalidTransition("Only a suspended deployment can be resumed.")
    if not (reason or "").strip():
        raise RuleViolation(
            "Resuming a deployment suspended for false alerts needs the reason for the decision.",
            field="reason",
        )
    now = timezone.now()
    if deployment.ends_at <= now:
        raise InvalidTransition("The authorised window has ended; it cannot be resumed.")
    suspension = (
        AccuracySuspension.objects.select_for_update()
        .filter(deployment=deployment, resumed_at__isnull=True)
        .order_by("-suspended_at")
        .first()
    )
    if suspension is not None:
        suspension.resumed_at = now
        suspension.resumed_by = actor
        suspension.resume_reason = reason
        # The next monitoring window starts here (see selectors.accuracy).
        suspension.faces_at_resume = deployment.faces_processed
        suspension.save(
            update_fields=[
                "resumed_at",
                "resumed_by",
                "resume_reason",
                "faces_at_resume",
                "updated_at",
            ]
        )
    deployment.status = S.LIVE
    deployment.save(update_fields=["status", "updated_at"])
    # The checkpoint is kept: each job resumes where it stopped.
    deployment.cameras.update(state=CameraState.STARTING, state_detail="")
    audit_record(
        actor=actor,
        action="deployment.resume",
        obj=deployment,
        reason=reason,
        changes={"status": [S.SUSPENDED.value, S.LIVE.value]},
    )
    _start_recognition(deployment)
    return deployment


@transaction.atomic
def deployment_cancel(*, actor, deployment, reason):
    deployment = _lock(deployment)
    planner_own = has_role(actor, Role.DEPLOYMENT_PLANNER) and deployment.created_by_id == actor.pk
    if not (planner_own or is_authorising_officer(actor)):
        raise NotPermitted("Only its planner or an authorising officer may cancel a deployment.")
    if deployment.status not in CANCELLABLE:
        raise InvalidTransition(
            f"A {deployment.get_status_display().lower()} deployment cannot be cancelled."
        )
    if not (reason or "").strip():
        raise RuleViolation("Cancelling needs a reason.", field="reason")
    was_live = deployment.status in (S.LIVE, S.SUSPENDED)
    _end(deployment, status=S.CANCELLED, actor=actor, reason=reason, early=was_live)
    audit_record(actor=actor, action="deployment.cancel", obj=deployment, reason=reason)
    return deployment


def _require_operator_manager(actor, deployment) -> None:
    planner_own = has_role(actor, Role.DEPLOYMENT_PLANNER) and deployment.created_by_id == actor.pk
    if not (planner_own or is_authorising_officer(actor)):
        raise NotPermitted("Only its planner or an authorising officer may assign operators.")


@transaction.atomic
def deployment_operator_assign(*, actor, deployment, operator):
    deployment = _lock(deployment)
    _require_operator_manager(actor, deployment)
    if not has_role(operator, Role.OPERATOR):
        raise RuleViolation(f"{operator.get_username()} is not an operator.", field="operator")
    if deployment.status in (S.COMPLETED, S.CANCELLED):
        raise InvalidTransition("Operators cannot be assigned to an ended deployment.")
    grant_operator(operator, deployment)
    audit_record(
        actor=actor,
        action="deployment.operator_assign",
        obj=deployment,
        changes={"operator": operator.get_username()},
    )


@transaction.atomic
def deployment_operator_remove(*, actor, deployment, operator, reason=""):
    """Take an operator off a deployment: they no longer see it or its alerts."""
    deployment = _lock(deployment)
    _require_operator_manager(actor, deployment)
    if not can_operate(operator, deployment):
        raise RuleViolation(
            f"{operator.get_username()} is not assigned to this deployment.", field="operator"
        )
    revoke_operator(operator, deployment)
    audit_record(
        actor=actor,
        action="deployment.operator_remove",
        obj=deployment,
        reason=reason,
        changes={"operator": operator.get_username()},
    )


@transaction.atomic
def deployment_independent_decision(*, actor, deployment, decision, reference):
    """EU AI Act mode: record the judicial or independent authority's decision.

    A refusal stops all processing at once; deleting the deployment's data follows.
    """
    if not settings.LFR_EU_AI_ACT_MODE:
        raise RuleViolation("Independent authorisation is recorded only in EU AI Act mode.")
    deployment = _lock(deployment)
    _require_ao(actor)
    if decision not in ("granted", "refused"):
        raise RuleViolation("The decision is 'granted' or 'refused'.", field="decision")
    if not str(reference).strip():
        raise RuleViolation("The authority's decision needs its reference.", field="reference")
    deployment.eu_authorisation_decision = decision
    deployment.eu_authorisation_decided_at = timezone.now()
    deployment.save(
        update_fields=["eu_authorisation_decision", "eu_authorisation_decided_at", "updated_at"]
    )
    if decision == "refused" and deployment.status in CANCELLABLE:
        _end(
            deployment,
            status=S.CANCELLED,
            actor=actor,
            reason="The independent authority refused authorisation.",
            early=deployment.status in (S.LIVE, S.SUSPENDED),
        )
    audit_record(
        actor=actor,
        action=f"deployment.independent_{decision}",
        obj=deployment,
        changes={"reference": reference},
    )
    return deployment
