"""Writes about accuracy: calibration records, the false-alert ceiling, overdue alerts."""

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from ..engines import ENGINE_PROFILES
from ..errors import RuleViolation
from ..models import Adjudication, Alert, CalibrationRecord, DeploymentStatus, OverdueAlertFlag
from ..selectors.accuracy import adjudication_due, ceiling_window
from .audit import audit_record
from .deployments import deployment_suspend_for_false_alerts

RATE_KEYS = ("threshold", "fmr", "false_matches", "fnmr", "false_non_matches")


def _clean_rates(rates, *, genuine_pairs, impostor_pairs):
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
            {
                "threshold": str(threshold),
                # Recomputed from the counts, so a rate can never disagree with them.
                "fmr": false_matches / impostor_pairs,
                "false_matches": false_matches,
                "fnmr": false_non_matches / genuine_pairs,
                "false_non_matches": false_non_matches,
            }
        )
    if len({row["threshold"] for row in cleaned}) != len(cleaned):
        raise RuleViolation("Each threshold may appear once in the rates.", field="rates")
    return sorted(cleaned, key=lambda row: Decimal(row["threshold"]))


@transaction.atomic
def calibration_record_create(
    *,
    actor,
    engine,
    description,
    measured_at,
    model_sha256,
    identities,
    images,
    genuine_pairs,
    impostor_pairs,
    rates,
    images_without_face=0,
    group_rates=(),
    ran_by_name="",
):
    """Store one measurement of an engine's error rates (evaluate_matcher --record)."""
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
    user = actor if getattr(actor, "is_authenticated", False) else None
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


def false_alert_ceiling_check(*, deployment):
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


def alerts_flag_overdue(*, now=None, batch_size=200):
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

# `evaluate_matcher --faces ../shared/faces/deepface_celebs --faces ../shared/faces/faceapi_bbt
# --faces ../shared/faces/att_faces` on the pinned SFace model files, run by the project
# on 26 Nov 2026. Rows: (threshold, impostor pairs at or above it, genuine pairs below it).
BASELINE_ENGINE = "opencv-sface"
# The day the project measured it: the calibration's age (and so its staleness) counts
# from the measurement, whatever day a database is installed.
BASELINE_MEASURED_AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
BASELINE_RAN_BY = "LFR Portal project (shipped baseline)"
BASELINE_SHA256 = {
    "face_detection_yunet_2023mar_int8bq.onnx": (
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
    ),
    "face_recognition_sface_2021dec_int8bq.onnx": (
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee"
    ),
}
BASELINE_IDENTITIES = 61
BASELINE_IMAGES = 501
BASELINE_GENUINE = 2020
BASELINE_IMPOSTOR = 123230
BASELINE_ROWS = [
    ("0.000", 89818, 0),
    ("0.005", 87639, 0),
    ("0.010", 85451, 0),
    ("0.015", 83168, 0),
    ("0.020", 80812, 0),
    ("0.025", 78506, 0),
    ("0.030", 76215, 0),
    ("0.035", 73801, 0),
    ("0.040", 71427, 0),
    ("0.045", 69046, 0),
    ("0.050", 66590, 0),
    ("0.055", 64019, 0),
    ("0.060", 61523, 0),
    ("0.065", 59057, 0),
    ("0.070", 56613, 0),
    ("0.075", 54117, 0),
    ("0.080", 51681, 0),
    ("0.085", 49289, 0),
    ("0.090", 46922, 0),
    ("0.095", 44605, 0),
    ("0.100", 42294, 0),
    ("0.105", 40121, 0),
    ("0.110", 37955, 0),
    ("0.115", 35814, 0),
    ("0.120", 33788, 0),
    ("0.125", 31792, 0),
    ("0.130", 29882, 0),
    ("0.135", 28003, 0),
    ("0.140", 26251, 0),
    ("0.145", 24569, 0),
    ("0.150", 22955, 0),
    ("0.155", 21382, 0),
    ("0.160", 19933, 0),
    ("0.165", 18485, 0),
    ("0.170", 17060, 0),
    ("0.175", 15769, 0),
    ("0.180", 14565, 0),
    ("0.185", 13373, 0),
    ("0.190", 12265, 0),
    ("0.195", 11273, 0),
    ("0.200", 10349, 1),
    ("0.205", 9367, 1),
    ("0.210", 8493, 1),
    ("0.215", 7677, 1),
    ("0.220", 6938, 1),
    ("0.225", 6252, 1),
    ("0.230", 5608, 1),
    ("0.235", 5034, 1),
    ("0.240", 4521, 1),
    ("0.245", 4019, 1),
    ("0.250", 3568, 1),
    ("0.255", 3170, 1),
    ("0.260", 2786, 1),
    ("0.265", 2416, 1),
    ("0.270", 2113, 1),
    ("0.275", 1858, 1),
    ("0.280", 1624, 1),
    ("0.285", 1408, 1),
    ("0.290", 1219, 1),
    ("0.295", 1045, 1),
    ("0.300", 907, 1),
    ("0.305", 793, 2),
    ("0.310", 682, 2),
    ("0.315", 585, 2),
    ("0.320", 508, 3),
    ("0.325", 445, 3),
    ("0.330", 385, 3),
    ("0.335", 306, 3),
    ("0.340", 260, 3),
    ("0.345", 222, 3),
    ("0.350", 187, 3),
    ("0.355", 168, 3),
    ("0.360", 135, 3),
    ("0.365", 119, 4),
    ("0.370", 106, 5),
    ("0.375", 90, 5),
    ("0.380", 81, 6),
    ("0.385", 70, 6),
    ("0.390", 61, 6),
    ("0.395", 52, 6),
    ("0.400", 40, 8),
    ("0.405", 35, 9),
    ("0.410", 31, 9),
    ("0.415", 22, 12),
    ("0.420", 18, 12),
    ("0.425", 18, 12),
    ("0.430", 14, 13),
    ("0.435", 10, 14),
    ("0.440", 9, 16),
    ("0.445", 5, 16),
    ("0.450", 5, 17),
    ("0.455", 4, 19),
    ("0.460", 3, 22),
    ("0.465", 2, 26),
    ("0.470", 2, 29),
    ("0.475", 1, 29),
    ("0.480", 0, 32),
    ("0.485", 0, 35),
    ("0.490", 0, 40),
    ("0.495", 0, 42),
    ("0.500", 0, 50),
    ("0.505", 0, 53),
    ("0.510", 0, 59),
    ("0.515", 0, 63),
    ("0.520", 0, 68),
    ("0.525", 0, 71),
    ("0.530", 0, 76),
    ("0.535", 0, 80),
    ("0.540", 0, 84),
    ("0.545", 0, 88),
    ("0.550", 0, 92),
    ("0.555", 0, 99),
    ("0.560", 0, 103),
    ("0.565", 0, 105),
    ("0.570", 0, 112),
    ("0.575", 0, 116),
    ("0.580", 0, 122),
    ("0.585", 0, 125),
    ("0.590", 0, 128),
    ("0.595", 0, 139),
    ("0.600", 0, 148),
    ("0.605", 0, 152),
    ("0.610", 0, 155),
    ("0.615", 0, 162),
    ("0.620", 0, 169),
    ("0.625", 0, 179),
    ("0.630", 0, 189),
    ("0.635", 0, 198),
    ("0.640", 0, 209),
    ("0.645", 0, 225),
    ("0.650", 0, 239),
    ("0.655", 0, 253),
    ("0.660", 0, 268),
    ("0.665", 0, 283),
    ("0.670", 0, 308),
    ("0.675", 0, 323),
    ("0.680", 0, 334),
    ("0.685", 0, 360),
    ("0.690", 0, 369),
    ("0.695", 0, 382),
    ("0.700", 0, 402),
    ("0.705", 0, 422),
    ("0.710", 0, 443),
    ("0.715", 0, 470),
    ("0.720", 0, 486),
    ("0.725", 0, 508),
    ("0.730", 0, 533),
    ("0.735", 0, 550),
    ("0.740", 0, 574),
    ("0.745", 0, 589),
    ("0.750", 0, 608),
    ("0.755", 0, 626),
    ("0.760", 0, 650),
    ("0.765", 0, 674),
    ("0.770", 0, 703),
    ("0.775", 0, 728),
    ("0.780", 0, 758),
    ("0.785", 0, 793),
    ("0.790", 0, 815),
    ("0.795", 0, 849),
    ("0.800", 0, 876),
    ("0.805", 0, 916),
    ("0.810", 0, 943),
    ("0.815", 0, 990),
    ("0.820", 0, 1032),
    ("0.825", 0, 1078),
    ("0.830", 0, 1118),
    ("0.835", 0, 1160),
    ("0.840", 0, 1194),
    ("0.845", 0, 1234),
    ("0.850", 0, 1273),
    ("0.855", 0, 1309),
    ("0.860", 0, 1350),
    ("0.865", 0, 1391),
    ("0.870", 0, 1439),
    ("0.875", 0, 1480),
    ("0.880", 0, 1525),
    ("0.885", 0, 1570),
    ("0.890", 0, 1612),
    ("0.895", 0, 1638),
    ("0.900", 0, 1681),
    ("0.905", 0, 1726),
    ("0.910", 0, 1754),
    ("0.915", 0, 1791),
    ("0.920", 0, 1831),
    ("0.925", 0, 1864),
    ("0.930", 0, 1891),
    ("0.935", 0, 1920),
    ("0.940", 0, 1940),
    ("0.945", 0, 1963),
    ("0.950", 0, 1980),
    ("0.955", 0, 1987),
    ("0.960", 0, 1998),
    ("0.965", 0, 2007),
    ("0.970", 0, 2014),
    ("0.975", 0, 2019),
    ("0.980", 0, 2020),
    ("0.985", 0, 2020),
    ("0.990", 0, 2020),
    ("0.995", 0, 2020),
    ("1.000", 0, 2020),
]


def calibration_baseline_ensure(*, apps=None, using="default"):
    """Give the default engine the shipped calibration when it has none at all.

    Run after every migrate (and after the flush that tests do): a fresh database
    gets it, one with any calibration of the engine is left alone. It carries the day
    the project measured it, so LFR_CALIBRATION_MAX_AGE_DAYS runs from the measurement
    and a new installation does not restart the clock. A baseline written by an earlier
    version with its installation date gets the measurement date. Installation data,
    like the roles: no audit row.
    """
    try:
        model = apps.get_model("lfr_portal", "CalibrationRecord") if apps else CalibrationRecord
    except LookupError:  # migrated back to before the model existed
        return None
    records = model.objects.using(using)
    shipped = records.filter(engine=BASELINE_ENGINE, ran_by_name=BASELINE_RAN_BY)
    shipped.exclude(measured_at=BASELINE_MEASURED_AT).update(measured_at=BASELINE_MEASURED_AT)
    if records.filter(engine=BASELINE_ENGINE).exists():
        return None
    return records.create(
        engine=BASELINE_ENGINE,
        description=(
            "Baseline shipped with LFR Portal: three public face sets (DeepFace celebrities, "
            "face-api.js BBT and the AT&T Database of Faces; 501 images of 61 identities, "
            "every face detected), measured by the project. Public photographs, not this "
            "force's population: measure again on the force's own labelled data."
        ),
        measured_at=BASELINE_MEASURED_AT,
        model_sha256=BASELINE_SHA256,
        identities=BASELINE_IDENTITIES,
        images=BASELINE_IMAGES,
        images_without_face=0,
        genuine_pairs=BASELINE_GENUINE,
        impostor_pairs=BASELINE_IMPOSTOR,
        rates=[
            {
                "threshold": threshold,
                "fmr": false_matches / BASELINE_IMPOSTOR,
                "false_matches": false_matches,
                "fnmr": false_non_matches / BASELINE_GENUINE,
                "false_non_matches": false_non_matches,
            }
            for threshold, false_matches, false_non_matches in BASELINE_ROWS
        ],
        ran_by_name=BASELINE_RAN_BY,
    )
