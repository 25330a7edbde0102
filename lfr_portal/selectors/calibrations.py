"""Reads about engine calibrations: the latest measurement of each engine, and its error
rates at a threshold. Plain dataclasses, so a page, the API or a report can show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..engines import ENGINE_PROFILES
from ..models import CalibrationRecord
from ..stats import Proportion, proportion


def engine_label(engine: str) -> str:
    """The engine's name for people; its code when the profile is gone."""
    profile = ENGINE_PROFILES.get(engine)
    return profile.label if profile else engine


def calibration_max_age() -> timedelta:
    """LFR_CALIBRATION_MAX_AGE_DAYS: older calibrations need an override."""
    return timedelta(days=int(settings.LFR_CALIBRATION_MAX_AGE_DAYS))


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
    model_sha256: dict[str, str]
    ran_by: str
    rates: list[RatePoint]
    group_rates: list[Any]
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


def rate_points(record: CalibrationRecord) -> list[RatePoint]:
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


def latest_calibration(engine: str) -> CalibrationRecord | None:
    return (
        CalibrationRecord.objects.filter(engine=engine)
        .select_related("ran_by")
        .order_by("-measured_at", "-id")
        .first()
    )


def calibration_summary(
    record: CalibrationRecord, *, now: datetime | None = None
) -> CalibrationSummary:
    now = now or timezone.now()
    label = engine_label(record.engine)
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
        rates=rate_points(record),
        group_rates=list(record.group_rates),
        sentence=sentence,
    )


def operating_point(
    record: CalibrationRecord, threshold: Decimal | str | float
) -> OperatingPoint | None:
    """The record's rates at `threshold`, read conservatively; None below its range."""
    threshold = Decimal(str(threshold))
    points = rate_points(record)
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


def engine_calibrations(*, now: datetime | None = None) -> list[EngineCalibration]:
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
