"""Writes that run and end a deployment: going live, the kill switch, suspension and
resumption, and cancelling. Who staffs it is in deployment_staff; the EU authority's
decision is in eu_mode."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from ..errors import InvalidTransition, NotPermitted, RuleViolation
from ..models import (
    AccuracySuspension,
    CameraState,
    Deployment,
    DeploymentStatus,
    WebhookEvent,
)
from ..permissions import (
    ENDED_STATES,
    RUNNING_STATES,
    can_manage_deployment,
    can_run_deployment,
)
from ..selectors.readiness import Advisory, go_live_advisories, go_live_problems
from .audit import audit_record
from .common import task_send_on_commit
from .deployment_guards import NotReady, lock, require_ao
from .reviews import review_open
from .webhooks import webhook_deployment_emit

S = DeploymentStatus


def _require_runner(actor: Any, deployment: Deployment, verb: str) -> None:
    if not can_run_deployment(actor, deployment):
        raise NotPermitted(f"Only an assigned operator or an authorising officer may {verb} it.")


def deployment_start(
    *, actor: Any, deployment: Deployment, advisory_reason: str = ""
) -> Deployment:
    """Go live. Blockers refuse; a failing advisory needs `advisory_reason`, which is audited."""
    _require_runner(actor, deployment, "start")
    # Probing a camera can take a second: done before the row is locked.
    failing = [a for a in go_live_advisories(deployment) if not a.ok]
    return _deployment_start(
        actor=actor, deployment=deployment, failing=failing, advisory_reason=advisory_reason
    )


def _advisory_reason(failing: list[Advisory], advisory_reason: str) -> str:
    reason = (advisory_reason or "").strip()
    if failing and not reason:
        raise RuleViolation(
            "Going live despite an advisory needs a recorded reason: "
            + " ".join(a.as_problem().message for a in failing)
            + " Record why it is right to go ahead, or fix it first.",
            field="advisory_reason",
            code="advisory_reason_required",
        )
    return reason


@transaction.atomic
def _deployment_start(
    *, actor: Any, deployment: Deployment, failing: list[Advisory], advisory_reason: str
) -> Deployment:
    deployment = lock(deployment)
    _require_runner(actor, deployment, "start")
    problems = go_live_problems(deployment)
    if problems:
        raise NotReady(problems, code="not_startable")
    reason = _advisory_reason(failing, advisory_reason)
    now = timezone.now()
    deployment.status = S.LIVE
    deployment.went_live_at = now
    deployment.went_live_by = actor
    # EU mode: the request to the authority is recorded as it was made (eu_mode), never
    # assumed here; an urgent deployment without a granted decision stops at its window.
    deployment.save(update_fields=["status", "went_live_at", "went_live_by", "updated_at"])
    deployment.cameras.update(
        state=CameraState.STARTING, state_detail="", chunk_index=0, source_position=0
    )
    audit_record(
        actor=actor,
        action="deployment.start",
        obj=deployment,
        reason=reason,
        changes={"advisories_overridden": [a.as_problem().message for a in failing]}
        if failing
        else None,
    )
    _start_recognition(deployment)
    webhook_deployment_emit(event=WebhookEvent.DEPLOYMENT_STARTED, deployment=deployment)
    return deployment


def _start_recognition(deployment: Deployment) -> None:
    """After commit, one recognition job per camera."""
    for booking_id in deployment.cameras.values_list("pk", flat=True):
        task_send_on_commit("matcher.camera_run", args=[booking_id], queue="recognition")


def end_deployment(
    deployment: Deployment, *, status: str, actor: Any, reason: str, early: bool
) -> None:
    """Mark a deployment ended (stopped, completed, suspended or cancelled) and its cameras
    stopped; the caller holds the row lock and writes the audit row."""
    was_running = deployment.status in RUNNING_STATES
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
    if deployment.went_live_at is not None:
        review_open(actor=None, deployment=deployment)
    if was_running:
        webhook_deployment_emit(
            event=WebhookEvent.DEPLOYMENT_STOPPED, deployment=deployment, stopped_early=early
        )


@transaction.atomic
def deployment_stop(*, actor: Any, deployment: Deployment, reason: str = "") -> Deployment:
    """The kill switch: a live deployment stops at once."""
    deployment = lock(deployment)
    _require_runner(actor, deployment, "stop")
    if deployment.status not in RUNNING_STATES:
        raise InvalidTransition("Only a live or suspended deployment can be stopped.")
    end_deployment(
        deployment, status=S.COMPLETED, actor=actor, reason=reason or "Stopped", early=True
    )
    audit_record(actor=actor, action="deployment.stop", obj=deployment, reason=reason)
    return deployment


@transaction.atomic
def deployment_complete_if_window_ended(*, deployment_id: int) -> bool:
    """System action: a live deployment completes by itself when its window ends."""
    deployment = Deployment.objects.select_for_update().get(pk=deployment_id)
    # A suspended deployment's window ends too; it cannot be resumed after that.
    ends_at = deployment.ends_at
    if deployment.status not in RUNNING_STATES or ends_at is None or ends_at > timezone.now():
        return False
    end_deployment(
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
def deployment_suspend_for_false_alerts(
    *, deployment: Deployment, window: Any
) -> AccuracySuspension | None:
    """System action: recognition stops because adjudicated false alerts passed the ceiling.

    `window` is the selectors.accuracy.CeilingWindow that showed it. Returns the
    AccuracySuspension, or None when the deployment is no longer live.
    """
    deployment = lock(deployment)
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
    webhook_deployment_emit(
        event=WebhookEvent.DEPLOYMENT_SUSPENDED, deployment=deployment, cause="false_alert_ceiling"
    )
    return suspension


def _close_suspension(deployment: Deployment, *, actor: Any, reason: str, now: Any) -> None:
    suspension = (
        AccuracySuspension.objects.select_for_update()
        .filter(deployment=deployment, resumed_at__isnull=True)
        .order_by("-suspended_at")
        .first()
    )
    if suspension is None:
        return
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


@transaction.atomic
def deployment_resume(*, actor: Any, deployment: Deployment, reason: str) -> Deployment:
    """An authorising officer's recorded decision to resume a suspended deployment."""
    deployment = lock(deployment)
    require_ao(actor)
    if deployment.status != S.SUSPENDED:
        raise InvalidTransition("Only a suspended deployment can be resumed.")
    if not (reason or "").strip():
        raise RuleViolation(
            "Resuming a deployment suspended for false alerts needs the reason for the decision.",
            field="reason",
        )
    now = timezone.now()
    if deployment.ends_at is None or deployment.ends_at <= now:
        raise InvalidTransition("The authorised window has ended; it cannot be resumed.")
    _close_suspension(deployment, actor=actor, reason=reason, now=now)
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
    webhook_deployment_emit(
        event=WebhookEvent.DEPLOYMENT_STARTED, deployment=deployment, resumed=True
    )
    _start_recognition(deployment)
    return deployment


@transaction.atomic
def deployment_cancel(*, actor: Any, deployment: Deployment, reason: str) -> Deployment:
    deployment = lock(deployment)
    if not can_manage_deployment(actor, deployment):
        raise NotPermitted("Only its planner or an authorising officer may cancel a deployment.")
    if deployment.status in ENDED_STATES:
        raise InvalidTransition(
            f"A {deployment.get_status_display().lower()} deployment cannot be cancelled."
        )
    if not (reason or "").strip():
        raise RuleViolation("Cancelling needs a reason.", field="reason")
    was_live = deployment.status in RUNNING_STATES
    end_deployment(deployment, status=S.CANCELLED, actor=actor, reason=reason, early=was_live)
    audit_record(actor=actor, action="deployment.cancel", obj=deployment, reason=reason)
    return deployment
