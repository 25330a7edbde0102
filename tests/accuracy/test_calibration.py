"""Calibration records, the calibration guard at approval, and the expected false alerts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from lfr_portal.accuracy_baseline import BASELINE
from lfr_portal.errors import RuleViolation
from lfr_portal.models import AuditEvent, CalibrationRecord, DeploymentStatus
from lfr_portal.selectors.accuracy import calibration_problem, expected_false_alerts
from lfr_portal.selectors.calibrations import (
    engine_calibrations,
    latest_calibration,
    operating_point,
)
from lfr_portal.services import deployments as dep
from lfr_portal.services.accuracy import calibration_baseline_ensure, calibration_record_create
from tests import builders
from tests.accuracy.conftest import rate_row

pytestmark = pytest.mark.django_db


def test_a_fresh_database_holds_the_shipped_baseline_for_the_default_engine():
    record = latest_calibration("opencv-sface")
    assert record is not None and record.ran_by_name.endswith("(shipped baseline)")
    assert (record.identities, record.images, record.impostor_pairs) == (61, 501, 246_460)
    assert len(record.rates) == len(BASELINE.rows) == 201
    at_floor = operating_point(record, "0.475")
    assert (at_floor.fmr.count, at_floor.fnmr.count) == (0, 52)
    # At the default (0.435): mirror-averaged references against plain probes.
    near_default = operating_point(record, "0.435")
    assert (near_default.fmr.count, near_default.fnmr.count) == (16, 18)
    assert "mirror-averaged" in record.description
    assert latest_calibration("insightface") is None


def _earlier_baseline() -> CalibrationRecord:
    """Make the shipped record look like an earlier version's baseline."""
    record = latest_calibration("opencv-sface")
    CalibrationRecord.objects.filter(pk=record.pk).update(
        description="Baseline shipped with an earlier version.",
        measured_at=BASELINE.measured_at - timedelta(days=5),
    )
    return record


def test_an_earlier_shipped_baseline_is_followed_by_this_one():
    earlier = _earlier_baseline()
    created = calibration_baseline_ensure()
    assert created is not None and created.pk != earlier.pk
    assert latest_calibration("opencv-sface").pk == created.pk
    assert created.description == BASELINE.description
    assert created.measured_at == BASELINE.measured_at
    # The earlier one stays, with its own day, as the record of what was in force then.
    earlier.refresh_from_db()
    assert earlier.measured_at == BASELINE.measured_at - timedelta(days=5)
    # Once there, it is not written twice.
    assert calibration_baseline_ensure() is None
    assert CalibrationRecord.objects.filter(engine="opencv-sface").count() == 2


def test_a_forces_own_calibration_is_never_followed_by_a_shipped_one(small_calibration):
    _earlier_baseline()
    assert calibration_baseline_ensure() is None
    assert latest_calibration("opencv-sface").pk == small_calibration.pk


def test_recording_a_calibration_writes_its_audit_row_and_recomputes_rates(small_calibration):
    assert [row["fmr"] for row in small_calibration.rates] == [0.0005, 0.0001, 0.00002]
    assert [row["fnmr"] for row in small_calibration.rates] == [0.005, 0.01, 0.02]
    event = AuditEvent.objects.get(action="calibration.record")
    assert event.object_public_id == str(small_calibration.public_id)
    assert event.actor_username == "system"
    assert event.changes["model_sha256"] == {"detector.onnx": "a" * 64, "recogniser.onnx": "b" * 64}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"engine": "nec-neoface"}, "Unknown engine"),
        ({"description": "  "}, "data set described"),
        ({"model_sha256": {}}, "model files"),
        ({"rates": []}, "rates across thresholds"),
        ({"rates": [rate_row("0.5", 2_000, 0)]}, "more errors than pairs"),
        ({"rates": [rate_row("0.5", 1, 0), rate_row("0.500", 1, 0)]}, "once"),
    ],
)
def test_a_calibration_must_be_complete(change, message):
    fields = {
        "actor": None,
        "engine": "opencv-sface",
        "description": "Volunteers",
        "measured_at": timezone.now(),
        "model_sha256": {"m.onnx": "c" * 64},
        "identities": 3,
        "images": 9,
        "genuine_pairs": 9,
        "impostor_pairs": 27,
        "rates": [rate_row("0.5", 1, 0)],
    } | change
    with pytest.raises(RuleViolation, match=message):
        calibration_record_create(**fields)


def test_between_recorded_thresholds_the_rates_are_read_conservatively(small_calibration):
    point = operating_point(small_calibration, Decimal("0.470"))
    # FMR from the next lower threshold (more false matches), FNMR from the next higher.
    assert (point.fmr_threshold, point.fmr.count) == (Decimal("0.450"), 10)
    assert point.fmr.total == 100_000
    assert (point.fnmr_threshold, point.fnmr.count) == (Decimal("0.500"), 20)
    assert "nearest recorded threshold below 0.470" in point.sentence
    exact = operating_point(small_calibration, Decimal("0.450"))
    assert (exact.fmr.count, exact.fnmr.count) == (10, 10)
    above = operating_point(small_calibration, Decimal("0.600"))
    assert above.fmr.count == 2 and above.fnmr is None
    assert operating_point(small_calibration, Decimal("0.399")) is None


def test_expected_false_alerts_is_fmr_times_watchlist_times_faces(small_calibration):
    deployment = builders.submitted(threshold=Decimal("0.480"), expected_faces=20_000)
    result = expected_false_alerts(deployment)
    # FMR at 0.450 (next lower recorded) = 10 / 100,000; 2 entries; 20,000 faces.
    assert result.watchlist_size == 2
    assert result.expected == pytest.approx(10 / 100_000 * 2 * 20_000)  # 4.0
    low, high = result.operating_point.fmr.low, result.operating_point.fmr.high
    assert result.expected_low == pytest.approx(low * 40_000)
    assert result.expected_high == pytest.approx(high * 40_000)
    assert result.calibration.public_id == str(small_calibration.public_id)
    assert result.calibration_problem == ""
    assert "about 4.0 false alerts are expected" in result.sentence
    assert "20,000 faces" in result.sentence


def test_after_approval_the_authorised_watchlist_size_counts(small_calibration):
    deployment = builders.approved(threshold=Decimal("0.500"), expected_faces=1_000)
    deployment.authorised_snapshot["watchlist_entries"] = 40
    result = expected_false_alerts(deployment)
    assert result.watchlist_size == 40
    assert result.expected == pytest.approx(2 / 100_000 * 40 * 1_000)


def test_without_a_calibration_there_is_no_expectation_and_approval_needs_an_override(ao):
    CalibrationRecord.objects.filter(engine="opencv-sface").delete()
    deployment = builders.complete_draft()
    builders.authorised_watchlist(deployment)
    result = expected_false_alerts(deployment)
    assert result.expected is None
    assert result.sentence.startswith("No calibration of the OpenCV YuNet + SFace engine")
    with pytest.raises(RuleViolation, match="No calibration override reason is recorded"):
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    dep.deployment_update(
        actor=deployment.created_by,
        deployment=deployment,
        calibration_override_reason="Vendor's NPL figures accepted until our test set is ready.",
    )
    dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    approved = dep.deployment_approve(actor=ao, deployment=deployment)
    assert approved.status == DeploymentStatus.APPROVED
    assert "Override recorded: Vendor's NPL figures" in expected_false_alerts(approved).sentence


def test_a_calibration_older_than_the_setting_needs_an_override(ao, settings):
    CalibrationRecord.objects.update(measured_at=timezone.now() - timedelta(days=400))
    draft = builders.complete_draft()
    builders.authorised_watchlist(draft)
    with pytest.raises(RuleViolation, match="is older than 365 days"):
        dep.deployment_submit(actor=draft.created_by, deployment=draft)
    settings.LFR_CALIBRATION_MAX_AGE_DAYS = 500
    dep.deployment_submit(actor=draft.created_by, deployment=draft)
    settings.LFR_CALIBRATION_MAX_AGE_DAYS = 30
    with pytest.raises(RuleViolation, match="older than 30 days"):
        dep.deployment_approve(actor=ao, deployment=draft)


def test_a_threshold_below_the_calibrated_range_needs_an_override(small_calibration):
    problem = calibration_problem("opencv-sface", Decimal("0.300"))
    assert problem == (
        "The threshold 0.300 is below every threshold the latest calibration of the "
        "OpenCV YuNet + SFace engine measured (lowest 0.400)."
    )
    assert calibration_problem("opencv-sface", Decimal("0.400")) == ""


def test_each_engine_profile_shows_its_latest_calibration(small_calibration):
    profiles = {row.engine: row for row in engine_calibrations()}
    sface = profiles["opencv-sface"]
    assert sface.latest.public_id == str(small_calibration.public_id)
    # The default 0.435 and the floor 0.426 lie between the recorded 0.400 and 0.450,
    # so their false match rates are read at 0.400, the conservative side.
    assert sface.at_default.threshold == Decimal("0.435")
    assert sface.at_default.fmr_threshold == Decimal("0.400")
    assert sface.at_default.fmr.count == 50
    assert sface.at_floor.fmr_threshold == Decimal("0.400")
    assert profiles["sface-dlib"].latest is None
    assert "Test set: 50 identities" in sface.sentence
    assert profiles["insightface"].latest is None
    assert profiles["insightface"].sentence.startswith("InsightFace SCRFD + ArcFace: no")
