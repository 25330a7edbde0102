"""The calibration shipped with the portal, read from data/baseline_calibration.json.

The figures are a measurement, not code: the file says how they were made, and
calibration_baseline_ensure (services/accuracy.py) writes them into a fresh database.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

BASELINE_FILE = Path(__file__).resolve().parent / "data" / "baseline_calibration.json"


@dataclass(frozen=True)
class BaselineRow:
    """One threshold: impostor pairs at or above it, genuine pairs below it."""

    threshold: str
    false_matches: int
    false_non_matches: int


@dataclass(frozen=True)
class BaselineCalibration:
    source: str
    engine: str
    # The day the project measured it: staleness counts from here, not from installation.
    measured_at: datetime
    ran_by_name: str
    description: str
    model_sha256: dict[str, str]
    identities: int
    images: int
    genuine_pairs: int
    impostor_pairs: int
    rows: tuple[BaselineRow, ...]


def baseline_from_json(data: dict[str, Any]) -> BaselineCalibration:
    measured_at = datetime.fromisoformat(data["measured_at"])
    if measured_at.tzinfo is None:
        raise ValueError("The baseline's measured_at must carry its time zone.")
    return BaselineCalibration(
        source=str(data["source"]),
        engine=str(data["engine"]),
        measured_at=measured_at,
        ran_by_name=str(data["ran_by_name"]),
        description=str(data["description"]),
        model_sha256={str(name): str(digest) for name, digest in data["model_sha256"].items()},
        identities=int(data["identities"]),
        images=int(data["images"]),
        genuine_pairs=int(data["genuine_pairs"]),
        impostor_pairs=int(data["impostor_pairs"]),
        rows=tuple(
            BaselineRow(str(threshold), int(false_matches), int(false_non_matches))
            for threshold, false_matches, false_non_matches in data["rows"]
        ),
    )


def baseline_load(path: Path = BASELINE_FILE) -> BaselineCalibration:
    with path.open(encoding="utf-8") as handle:
        return baseline_from_json(json.load(handle))


BASELINE = baseline_load()
