"""The year's plan: which deployments happen when and where, drawn from the fixed seed."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from ..models import Camera, Role, UseCase
from .data import (
    EVENT_PURPOSES,
    FACES_PER_DEPLOYMENT,
    HOTSPOT_PURPOSES,
    MISSING_PURPOSE,
    PAST_COMPLETED,
    PLACES,
    PLACES_FOR,
    PROTECTIVE_PURPOSE,
    REJECTION_REASONS,
)
from .state import HistoryState, local_time, public_id

Place = tuple[str, str, float, float, int]


@dataclass
class Plan:
    index: int
    kind: str  # completed | stopped | cancelled_live | cancelled | rejected
    borough: str
    place: str
    latitude: float
    longitude: float
    use_case: str
    title: str
    purpose: str
    justification: str
    starts_at: datetime
    ends_at: datetime
    threshold: Decimal
    cameras: list[Camera]
    planner: User
    ao: User
    adder: User
    approver: User
    operator: User
    field_officer: User
    size: int
    faces: int
    public_id: uuid.UUID


def rejection(plan: Plan) -> str:
    if plan.kind != "rejected":
        return ""
    return REJECTION_REASONS[plan.index % len(REJECTION_REASONS)]


def _kinds_and_days(rng: random.Random, now: datetime) -> list[tuple[str, date]]:
    # The last past window ends a few days more than the alert retention ago, so
    # every past alert's image is gone, as retention leaves it.
    last_day = timezone.localdate(now - settings.LFR_ALERT_RETENTION) - timedelta(days=4)
    first_day = timezone.localdate(now) - timedelta(days=380)
    span = (last_day - first_day).days
    kinds = (
        ["completed"] * (PAST_COMPLETED - 5)
        + ["stopped"] * 4
        + ["cancelled_live"]
        + ["cancelled"] * 3
        + ["rejected"] * 3
    )
    rng.shuffle(kinds)
    days = sorted(
        first_day + timedelta(days=round(span * (i + rng.random() * 0.8) / len(kinds)))
        for i in range(len(kinds))
    )
    return list(zip(kinds, days, strict=True))


def _purpose(rng: random.Random) -> tuple[str, tuple[str, str, str]]:
    """A use case and its (label, purpose, justification), weighted as the Met's year."""
    roll = rng.random()
    if roll < 0.72:
        return UseCase.CRIME_HOTSPOT, rng.choice(HOTSPOT_PURPOSES)
    if roll < 0.88:
        return UseCase.EVENT, rng.choice(EVENT_PURPOSES)
    if roll < 0.95:
        return UseCase.PROTECTIVE_SECURITY, PROTECTIVE_PURPOSE
    return UseCase.MISSING_OR_VULNERABLE, MISSING_PURPOSE


def _place(rng: random.Random, label: str, every_place: list[Place]) -> Place:
    fitting = [p for p in PLACES if p[1].startswith(PLACES_FOR.get(label, ()))]
    if fitting:
        # Events and protective security happen where the crowds are expected.
        return rng.choice(fitting)
    if every_place:
        # Every place at least once over the year, then the busier ones more often.
        return every_place.pop()
    return rng.choices(PLACES, weights=[place[4] for place in PLACES])[0]


def _size(rng: random.Random, use_case: str) -> int:
    if use_case == UseCase.MISSING_OR_VULNERABLE:
        return rng.randint(1, 3)
    return max(100, min(1_500, int(rng.lognormvariate(5.6, 0.5))))


class _Planner:
    """Draws one plan after another, in the order the random source must be read."""

    def __init__(self, state: HistoryState) -> None:
        self.state = state
        self.rng = state.rng
        self.aos = state.by_role(Role.AUTHORISING_OFFICER)
        self.planners = state.by_role(Role.DEPLOYMENT_PLANNER)
        self.managers = state.by_role(Role.WATCHLIST_MANAGER)
        self.operators = state.by_role(Role.OPERATOR)
        self.field_officers = state.by_role(Role.FIELD_OFFICER)
        self.every_place: list[Place] = self.rng.sample(PLACES, len(PLACES))
        self.van = 0

    def plan(self, index: int, kind: str, day: date) -> Plan:
        rng = self.rng
        use_case, (label, purpose, why) = _purpose(rng)
        borough, place, lat, lon, _ = _place(rng, label, self.every_place)
        night = label == "Night-time economy"
        start_hour = rng.choice([19, 20]) if night else rng.choice([9, 10, 11, 12, 13])
        hours = rng.choice([4, 5, 6, 6, 7, 8])
        starts = local_time(day, start_hour, rng.choice([0, 0, 30]))
        ends = min(starts + timedelta(hours=hours), starts + settings.LFR_MAX_AUTHORISATION)
        planner = rng.choice(self.planners)
        adder, approver = rng.sample(self.managers, 2)
        faces = int(FACES_PER_DEPLOYMENT * rng.lognormvariate(0, 0.35) * hours / 6.2)
        if use_case == UseCase.EVENT:
            faces = int(faces * 1.6)
        size = _size(rng, use_case)
        cameras = self.state.cameras[2 * self.van : 2 * self.van + (1 if rng.random() < 0.3 else 2)]
        self.van = (self.van + 1) % 3
        threshold = Decimal(rng.choice(["0.500", "0.500", "0.500", "0.510", "0.520"]))
        return Plan(
            index=index,
            kind=kind,
            borough=borough,
            place=place,
            latitude=lat,
            longitude=lon,
            use_case=use_case,
            title=f"{label}: {place.split(',')[0]}",
            purpose=purpose,
            justification=why,
            starts_at=starts,
            ends_at=ends,
            threshold=threshold,
            cameras=cameras,
            planner=planner,
            ao=rng.choice(self.aos),
            adder=adder,
            approver=approver,
            operator=rng.choice(self.operators),
            field_officer=rng.choice(self.field_officers),
            size=size,
            faces=faces,
            public_id=public_id(self.state.seed, index),
        )


def plan_history(state: HistoryState) -> list[Plan]:
    """Every past deployment of the year, in date order."""
    kinds_and_days = _kinds_and_days(state.rng, state.now)
    planner = _Planner(state)
    return [planner.plan(index, kind, day) for index, (kind, day) in enumerate(kinds_and_days)]
