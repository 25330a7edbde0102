"""Writes about accuracy: calibration records, the false-alert ceiling, overdue alerts."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.apps import AppConfig
from django.apps.registry import Apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from ..accuracy_baseline import BASELINE
from ..engines import ENGINE_PROFILES
from ..errors import RuleViolation
from ..models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    CalibrationRecord,
    Deployment,
    DeploymentStatus,
    OverdueAlertFlag,
)
from ..selectors.accuracy import adjudication_due, ceiling_window
from .audit import audit_record
from .deployment_lifecycle import deployment_suspend_for_false_alerts

RATE_KEYS = ("threshold", "fmr", "false_matches", "fnmr", "false_non_matches")


def _rate_row(
    threshold: str, false_matches: int, false_non_matches: int, *, genuine: int, impostor: int
) -> dict[str, Any]:
    # Rates are worked out from the counts, so a rate can never disagree with them.
    return {
        "threshold": threshold,
        "fmr": false_matches / impostor,
        "false_matches": false_matches,
        "fnmr": false_non_matches / genuine,
        "false_non_matches": false_non_matches,
    }


def _clean_rates(
    rates: Iterable[Mapping[str, Any]], *, genuine_pairs: int, impostor_pairs: int
) -> list[dict[str, Any]]:
    cleaned = []
    for row in rates:
        missing = [key for key in RATE_KEYS if key not in row]
        if missing:
            raise RuleViolation(f"A rate row lacks {', '.join(missing)}.", field="rates")
        try:
            threshold = Decimal(str(row["threshold"])).quantize(Decimal("0.001"))
        except InvalidOperation:
            raise RuleViolation("A rate row's threshold is not a number.", field="rates") from None
        false_matches, false_non_matches = int(row["false_matches"]), int(row["false_non_matches"])
        if not (0 <= false_matches <= impostor_pairs and 0 <= false_non_matches <= genuine_pairs):
            raise RuleViolation("A rate row counts more errors than pairs.", field="rates")
        cleaned.append(
            _rate_row(
                str(threshold),
                false_matches,
                false_non_matches,
                genuine=genuine_pairs,
                impostor=impostor_pairs,
            )
        )
    if len({row["threshold"] for row in cleaned}) != len(cleaned):
        raise RuleViolation("Each threshold may appear once in the rates.", field="rates")
    return sorted(cleaned, key=lambda row: Decimal(row["threshold"]))


def _calibration_inputs_check(
    *,
    engine: str,
    description: object,
    model_sha256: Mapping[str, str],
    genuine_pairs: int,
    impostor_pairs: int,
    rates: Sequence[Mapping[str, Any]],
) -> None:
    if engine not in ENGINE_PROFILES:
        raise RuleViolation(f"Unknown engine '{engine}'.", field="engine")
    if not str(description).strip():
        raise RuleViolation("A calibration needs its data set described.", field="description")
    if not model_sha256:
        raise RuleViolation(
            "A calibration must name the model files it measured.", field="model_sha256"
        )
    if genuine_pairs <= 0 or impostor_pairs <= 0:
        raise RuleViolation("A calibration needs genuine and impostor pairs.", field="rates")
    if not rates:
        raise RuleViolation("A calibration needs its rates across thresholds.", field="rates")


@transaction.atomic
def calibration_record_create(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    engine: str,
    description: str,
    measured_at: datetime | None,
    model_sha256: Mapping[str, str],
    identities: int,
    images: int,
    genuine_pairs: int,
    impostor_pairs: int,
    rates: Sequence[Mapping[str, Any]],
    images_without_face: int = 0,
    group_rates: Iterable[Mapping[str, Any]] = (),
    ran_by_name: str = "",
) -> CalibrationRecord:
    """Store one measurement of an engine's error rates (evaluate_matcher --record)."""
    _calibration_inputs_check(
        engine=engine,
        description=description,
        model_sha256=model_sha256,
        genuine_pairs=genuine_pairs,
        impostor_pairs=impostor_pairs,
        rates=rates,
    )
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    user = cast("User | None", actor if authenticated else None)
    record = CalibrationRecord.objects.create(
        engine=engine,
        description=str(description).strip(),
        measured_at=measured_at or timezone.now(),
        model_sha256=dict(model_sha256),
        identities=identities,
        images=images,
        images_without_face=images_without_face,
        genuine_pairs=genuine_pairs,
        impostor_pairs=impostor_pairs,
        rates=_clean_rates(rates, genuine_pairs=genuine_pairs, impostor_pairs=impostor_pairs),
        group_rates=list(group_rates),
        ran_by=user,
        ran_by_name="" if user else ran_by_name,
    )
    audit_record(
        actor=user,
        action="calibration.record",
        obj=record,
        changes={
            "engine": engine,
            "description": record.description,
            "model_sha256": record.model_sha256,
            "identities": identities,
            "images": images,
            "genuine_pairs": genuine_pairs,
            "impostor_pairs": impostor_pairs,
            "ran_by": user.get_username() if user else ran_by_name,
        },
    )
    return record


def false_alert_ceiling_check(*, deployment: Deployment) -> AccuracySuspension | None:
    """Suspend the deployment when its adjudicated false alerts show the ceiling exceeded.

    Called inside alert_adjudicate's transaction, so the adjudication and the
    suspension it causes commit together. Returns the suspension, or None.
    """
    deployment.refresh_from_db(fields=["status", "faces_processed", "went_live_at"])
    if deployment.status != DeploymentStatus.LIVE:
        return None
    window = ceiling_window(deployment)
    if not window.exceeded:
        return None
    return deployment_suspend_for_false_alerts(deployment=deployment, window=window)


def alerts_flag_overdue(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Flag alerts left unadjudicated past LFR_ADJUDICATION_DUE_MINUTES, once each,
    with an audit row. Short batches, so a killed run just resumes. Returns the count."""
    now = now or timezone.now()
    due_before = now - adjudication_due()
    flagged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Alert.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(
                    adjudication=Adjudication.PENDING,
                    captured_at__lte=due_before,
                    overdue_flag__isnull=True,
                )
                .select_related("deployment")
                .order_by("captured_at")[:batch_size]
            )
            for alert in batch:
                OverdueAlertFlag.objects.create(alert=alert, flagged_at=now)
                waited = int((now - alert.captured_at).total_seconds() // 60)
                audit_record(
                    actor=None,
                    action="alert.overdue",
                    obj=alert,
                    deployment=alert.deployment,
                    reason=ngettext(
                        "Not adjudicated %(n)d minute after it was raised.",
                        "Not adjudicated %(n)d minutes after it was raised.",
                        waited,
                    )
                    % {"n": waited},
                )
            flagged += len(batch)
        if len(batch) < batch_size:
            return flagged


# --- the shipped baseline -------------------------------------------------------------


def calibration_baseline_ensure(
    *, apps: Apps | None = None, using: str = "default"
) -> CalibrationRecord | None:
    """Give the default engine the shipped calibration when it has none of its own.

    Run after every migrate (and after the flush that tests do): a fresh database
    gets it, one with a calibration the force recorded is left alone. One holding only
    an earlier shipped baseline (another embedding version, say) gets this one beside
    it, as the latest. It carries the day the project measured it, so
    LFR_CALIBRATION_MAX_AGE_DAYS runs from the measurement and a new installation does
    not restart the clock; this baseline's record written with its installation date
    gets the measurement date. Installation data, like the roles: no audit row.
    """
    try:
        model = apps.get_model("lfr_portal", "CalibrationRecord") if apps else CalibrationRecord
    except LookupError:  # migrated back to before the model existed
        return None
    records = model.objects.using(using).filter(engine=BASELINE.engine)
    shipped = records.filter(ran_by_name=BASELINE.ran_by_name)
    this_baseline = shipped.filter(description=BASELINE.description)
    this_baseline.exclude(measured_at=BASELINE.measured_at).update(measured_at=BASELINE.measured_at)
    if this_baseline.exists() or records.exclude(ran_by_name=BASELINE.ran_by_name).exists():
        return None
    return records.create(
        engine=BASELINE.engine,
        description=BASELINE.description,
        measured_at=BASELINE.measured_at,
        model_sha256=dict(BASELINE.model_sha256),
        identities=BASELINE.identities,
        images=BASELINE.images,
        images_without_face=0,
        genuine_pairs=BASELINE.genuine_pairs,
        impostor_pairs=BASELINE.impostor_pairs,
        rates=[
            _rate_row(
                row.threshold,
                row.false_matches,
                row.false_non_matches,
                genuine=BASELINE.genuine_pairs,
                impostor=BASELINE.impostor_pairs,
            )
            for row in BASELINE.rows
        ],
        ran_by_name=BASELINE.ran_by_name,
    )


def calibration_baseline_after_migrate(
    sender: AppConfig, *, apps: Apps | None = None, using: str = "default", **kwargs: Any
) -> None:
    """post_migrate receiver (connected in LfrPortalConfig.ready): also runs after the flush
    of a transactional test, which would otherwise leave the default engine uncalibrated."""
    if sender.name != "lfr_portal":
        return
    calibration_baseline_ensure(apps=apps, using=using)
