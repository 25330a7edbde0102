"""What the history generator carries while it writes: the random source, the officers
and cameras, the rows waiting for bulk inserts and the events waiting for the trail."""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import models
from django.utils import timezone

from ..models import (
    Alert,
    Camera,
    DeletionRecord,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    LeafletRecord,
    Role,
    SignageRecord,
    Watchlist,
    WatchlistReferenceRecord,
)
from ..services import cameras as camera_services
from .accounts import history_officers_ensure
from .data import CAMERAS, NAMESPACE, OFFICERS
from .eu import PastAuthorisation


@dataclass
class Event:
    """One audit row to write, at the time it happened."""

    at: datetime
    actor: User | None
    action: str
    obj: models.Model | None
    deployment: Deployment | None = None
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


def public_id(seed: int, index: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{seed}:{index}")


def fake_digest(rng: random.Random) -> str:
    """A SHA-256 digest standing in for that of an image that never existed here."""
    return hashlib.sha256(rng.randbytes(32)).hexdigest()


def local_time(day: date, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time, held in UTC so that adding days is exact across clock changes."""
    local = datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_current_timezone()
    )
    return local.astimezone(UTC)


class HistoryState:
    def __init__(self, *, now: datetime, seed: int) -> None:
        self.now = now
        self.seed = seed
        self.rng = random.Random(seed)
        self.events: list[Event] = []
        self.officers = history_officers_ensure()
        self.cameras = self._cameras()
        self.created_at: dict[uuid.UUID, datetime] = {}
        self.documents: list[DeploymentDocument] = []
        self.watchlists: list[Watchlist] = []
        self.signs: list[SignageRecord] = []
        self.leaflets: list[LeafletRecord] = []
        self.alerts: list[Alert] = []
        self.alert_events: list[tuple[Alert, DeploymentCamera, Any, Deployment]] = []
        self.deletions: list[DeletionRecord] = []
        self.references: list[WatchlistReferenceRecord] = []
        self.false_alert_plans: set[int] = set()
        # EU mode: the approved ones, whose request and decision are recorded at the end.
        self.eu_authorised: list[PastAuthorisation] = []

    def by_role(self, role: str) -> list[User]:
        return [
            u for (name, _, _, r, _), u in zip(OFFICERS, self.officers, strict=True) if r == role
        ]

    def _cameras(self) -> list[Camera]:
        planner = self.by_role(Role.DEPLOYMENT_PLANNER)[0]
        cameras = []
        for name, url in CAMERAS:
            camera = Camera.objects.filter(name=name).first()
            if camera is None:
                camera = camera_services.camera_create(
                    actor=planner,
                    name=name,
                    source_url=url,
                    description="Mast camera on a mobile LFR van (demo)",
                )
            cameras.append(camera)
        return cameras

    def event(
        self,
        at: datetime,
        actor: User | None,
        action: str,
        obj: models.Model | None,
        *,
        deployment: Deployment | None = None,
        reason: str = "",
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.events.append(Event(at, actor, action, obj, deployment, reason, changes or {}))

    def signs_of(self, deployment: Deployment) -> list[SignageRecord]:
        return [s for s in self.signs if s.deployment is deployment]
