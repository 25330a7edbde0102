"""About a year of invented past deployments for the demo, with their governance records.

`demo_history_seed` writes, across several London boroughs: completed deployments with
their authorisation (by an authorising officer who did not draft them), documents,
cameras, watchlist (reference numbers only), signs and leaflets, the alerts with their
adjudications and outcomes, and the deletion records retention leaves behind (alert
crops 31 days after capture, watchlist biometrics when the deployment ended); a few
rejected and cancelled ones; and planned ones ahead, approved through the services.

Everything is invented from a fixed random seed: officers' names, reference numbers,
figures. No photograph is written anywhere: past alerts carry no image, exactly as
retention leaves them, and the history ends more than the alert retention period ago
so that this is what retention would have done.

Audit rows go through `services.audit.audit_record` only, which stamps each row with
the time it is written. The history's rows are therefore the seeding event itself,
written in the order the events happened; each row's `changes` carries the event's
historical time under "happened_at", and every row says it was seeded. Past watchlist
entries are the one place where rows are summarised: one "watchlist.entry_add" and one
"watchlist.entry_approve" row per watchlist, naming every reference number, where the
service writes one per entry (a year of realistic lists would take minutes to write one
row at a time). Planned deployments' entries are summarised the same way.

Past records are written with bulk inserts, because the services check against the
clock (a window that has ended cannot be submitted), but every record satisfies the
rules the services enforce at the historical time: four eyes on entries, watchlists
and deployments, the threshold floor, windows of at most LFR_MAX_AUTHORISATION,
documents in date, signs up before going live, the watchlist finalised within
LFR_WATCHLIST_FINALISE_MAX_AGE before it, every alert adjudicated, false alerts
under the ceiling.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import models, transaction
from django.utils import timezone

from .engines import ENGINE_PROFILES
from .models import (
    REQUIRED_DOCUMENTS,
    REQUIRED_DOCUMENTS_EU,
    Adjudication,
    Alert,
    Camera,
    CameraState,
    DeletionRecord,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    DeploymentStatus,
    EnrolmentState,
    EntryCategory,
    EntryStatus,
    LeafletRecord,
    OfficerProfile,
    Outcome,
    Rank,
    RetentionCategory,
    Role,
    SignageRecord,
    UseCase,
    Watchlist,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from .permissions import grant_operator
from .services import cameras as camera_services
from .services import deployments as deployment_services
from .services import watchlists as watchlist_services
from .services.audit import audit_record
from .services.common import jsonable
from .services.retention import ALERT_RULE, WATCHLIST_RULE

S = DeploymentStatus
SEED = 16
# Public ids derive from this namespace and the seed, so a second run finds the first.
NAMESPACE = uuid.UUID("5b0f3c1e-2d8a-4f55-9a3c-6d1b8e0f7a21")
SEEDED_NOTE = "demo history (seed_demo)"
ENGINE = "opencv-sface"
EMBEDDING_DIMENSIONS = 128  # SFace's embedding size

# Scaled from the Met's 2024-25 year (GOVERNANCE.md): 3,147,436 faces, 2,077 alerts,
# 10 false alerts and 962 arrests over 203 deployments.
FACES_PER_DEPLOYMENT = 3_147_436 / 203
ALERTS_PER_FACE = 2_077 / 3_147_436
ARREST_SHARE_OF_CONFIRMED = 962 / (2_077 - 10)
FALSE_ALERTS = 3
PAST_COMPLETED = 48

# (username, first name, last name, role, rank): invented officers.
OFFICERS = [
    ("supt.adebayo", "Grace", "Adebayo", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("supt.mcallister", "Ewan", "McAllister", Role.AUTHORISING_OFFICER, Rank.CHIEF_SUPERINTENDENT),
    ("supt.kaur", "Harpreet", "Kaur", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("insp.doyle", "Niamh", "Doyle", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("insp.osei", "Kwame", "Osei", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("ci.barker", "Tom", "Barker", Role.DEPLOYMENT_PLANNER, Rank.CHIEF_INSPECTOR),
    ("sgt.fairweather", "Lucy", "Fairweather", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("sgt.rahman", "Imran", "Rahman", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("sgt.kowalski", "Anna", "Kowalski", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("pc.hughes", "Owen", "Hughes", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.mensah", "Abena", "Mensah", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.lindqvist", "Erik", "Lindqvist", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.bhatt", "Ravi", "Bhatt", Role.OPERATOR, Rank.CONSTABLE),
    ("pc.obrien", "Siobhan", "O'Brien", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("pc.tran", "Minh", "Tran", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("pc.walsh", "Declan", "Walsh", Role.FIELD_OFFICER, Rank.CONSTABLE),
]

# Two cameras on each of three vans; .invalid never resolves, so nothing is reachable.
CAMERAS = [
    (f"LFR van {van} camera {side}", f"rtsp://lfr-van{van}-{side.lower()}.invalid/stream1")
    for van in (1, 2, 3)
    for side in ("A", "B")
]

# (borough, place, latitude, longitude, weight): public places, no one's address.
PLACES = [
    ("Westminster", "Oxford Street, outside Bond Street station", 51.5142, -0.1494, 3),
    ("Westminster", "Leicester Square, north side", 51.5106, -0.1301, 3),
    ("Westminster", "Victoria station forecourt", 51.4952, -0.1441, 2),
    ("Croydon", "North End, by West Croydon station", 51.3782, -0.1028, 4),
    ("Croydon", "George Street, outside East Croydon station", 51.3753, -0.0927, 2),
    ("Camden", "Camden High Street, by the Underground station", 51.5393, -0.1427, 3),
    ("Camden", "Euston Road, outside King's Cross station", 51.5308, -0.1238, 2),
    ("Hackney", "Mare Street, by Hackney Central station", 51.5466, -0.0562, 3),
    ("Hackney", "Kingsland High Street, Dalston", 51.5481, -0.0756, 2),
    ("Lewisham", "Lewisham High Street, by the clock tower", 51.4627, -0.0115, 3),
    ("Lewisham", "Catford Broadway", 51.4449, -0.0206, 2),
    ("Newham", "Stratford Broadway", 51.5419, -0.0027, 4),
    ("Newham", "East Ham High Street North", 51.5390, 0.0510, 2),
    ("Islington", "Holloway Road, Nag's Head", 51.5562, -0.1182, 3),
    ("Islington", "Upper Street, by Angel station", 51.5322, -0.1057, 2),
    ("Southwark", "Walworth Road, Elephant and Castle", 51.4943, -0.0996, 2),
    ("Lambeth", "Brixton Road, by the Underground station", 51.4625, -0.1145, 2),
]

# Where the deployments that follow a crowd take place (by the start of the place's name).
PLACES_FOR = {
    "Match day": ("Stratford Broadway",),
    "Festival crowds": ("Leicester Square", "Camden High Street", "Kingsland High Street"),
    "Protective security": ("Victoria station", "Leicester Square", "Oxford Street"),
}

HOTSPOT_PURPOSES = [
    (
        "Robbery hotspot",
        "Locate people wanted for robbery and knife-point street robbery in the area.",
        "Street robbery here is up by a third on the same quarter last year; patrols, "
        "CCTV review and warrant visits have not located the wanted people. A short, "
        "signed deployment at the busiest hours is the least intrusive step left.",
    ),
    (
        "Violence and knife crime",
        "Locate people wanted for serious violence and possession of bladed articles.",
        "Knife-related violence has risen in this area over three months; the named "
        "suspects frequent the high street. Targeted stops have not found them, and a "
        "deployment of a few hours with signs and leaflets is proportionate.",
    ),
    (
        "Night-time economy",
        "Locate people wanted for violence and sexual offences in the night-time economy.",
        "Violence against women and girls and assaults around licensed premises are "
        "concentrated on Friday and Saturday evenings; officers on foot cannot check "
        "faces at this footfall. The window covers the busiest hours only.",
    ),
    (
        "Shoplifting and theft",
        "Locate people wanted for prolific shoplifting and theft from the person.",
        "Retailers report repeat offenders wanted on warrant; the watchlist holds only "
        "those wanted by the courts or suspected of recent offences in this area.",
    ),
]
EVENT_PURPOSES = [
    (
        "Match day",
        "Locate people wanted for violence or under banning orders on a match day.",
        "Large crowds and recorded disorder at recent fixtures; a short window before "
        "kick-off with signs at every approach is the least intrusive way to find them.",
    ),
    (
        "Festival crowds",
        "Locate people wanted for violence and theft at a large public event.",
        "A crowd of tens of thousands makes conventional identification impractical; "
        "the deployment covers the main approach only, during the event's hours.",
    ),
]
PROTECTIVE_PURPOSE = (
    "Protective security",
    "Locate people who pose a risk to the public at a major commemoration.",
    "A heightened threat assessment for the event; the watchlist holds only people "
    "assessed as posing a risk of serious harm, and the window covers the event alone.",
)
MISSING_PURPOSE = (
    "Missing person search",
    "Find a high-risk missing person last seen in the area.",
    "The person is assessed as at high risk of harm; house-to-house and CCTV enquiries "
    "have not found them, and they are known to visit this area.",
)

REJECTION_REASONS = [
    "The justification does not show why less intrusive tactics would not work, and the "
    "crime figures cited are a year old. Resubmit with the current quarter's figures.",
    "A 600 m radius is too large for the stated hotspot; resubmit covering the two "
    "junctions named in the problem profile only.",
    "The equality impact assessment does not address the expected crowd at this event. "
    "Resubmit once it has been reviewed.",
]
CANCELLATION_REASONS = [
    "The event was postponed by its organisers.",
    "The wanted people named in the problem profile were arrested before the date.",
    "Officers redeployed to a critical incident elsewhere in the borough.",
]
OTHER_OUTCOMES = [
    "Safeguarding referral made; no offence.",
    "Voluntary interview arranged at the station.",
    "Postal requisition issued.",
    "Already dealt with by the court; record updated.",
]
MISSING_OUTCOMES = [
    "Found safe; taken home to family.",
    "Found safe; handed to carers with a safeguarding referral.",
]
ENTRY_DETAILS = {
    EntryCategory.WANTED: (
        "Wanted on warrant for failing to appear (robbery).",
        "Warrant issued by the magistrates' court",
        "Custody record",
    ),
    EntryCategory.SUSPECT: (
        "Suspected of street robbery under investigation.",
        "Reasonable grounds to suspect an offence (PACE 1984, s.24)",
        "Custody record",
    ),
    EntryCategory.MISSING_OR_VULNERABLE: (
        "High-risk missing person.",
        "Duty to protect life (Article 2 ECHR)",
        "Supplied by family for the missing person enquiry",
    ),
    EntryCategory.RISK: (
        "Assessed as posing a risk of serious harm to others.",
        "Duty to protect life (Article 2 ECHR); MAPPA risk assessment",
        "Custody record",
    ),
}


@dataclass(frozen=True)
class HistorySummary:
    """What the demo history holds: the figures to report and test against."""

    created: bool
    deployments: int
    completed: int
    rejected: int
    cancelled: int
    planned: int
    faces_processed: int
    alerts: int
    false_alerts: int
    arrests: int
    boroughs: int

    def __str__(self) -> str:
        state = "written" if self.created else "already present"
        return (
            f"Demo history {state}: {self.deployments} deployments in {self.boroughs} boroughs "
            f"({self.completed} completed, {self.cancelled} cancelled, {self.rejected} "
            f"rejected, {self.planned} ahead); {self.faces_processed:,} faces, "
            f"{self.alerts:,} alerts, {self.false_alerts} false alerts, {self.arrests} arrests."
        )


@dataclass
class _Event:
    at: datetime
    actor: User | None
    action: str
    obj: models.Model | None
    deployment: Deployment | None = None
    reason: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Plan:
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


def _public_id(seed: int, index: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{seed}:{index}")


def demo_history_seed(*, now: datetime | None = None, seed: int = SEED) -> HistorySummary:
    """Write the demo's history once; a later run finds it and adds nothing."""
    now = now or timezone.now()
    if Deployment.objects.filter(public_id=_public_id(seed, 0)).exists():
        return _summary(created=False)
    with transaction.atomic():
        _Generator(now=now, seed=seed).run()
    return _summary(created=True)


def history_deployments() -> models.QuerySet[Deployment]:
    """The history's deployments, past and planned: those its invented planners drafted."""
    planners = [name for name, _, _, role, _ in OFFICERS if role == Role.DEPLOYMENT_PLANNER]
    return Deployment.objects.filter(created_by__username__in=planners)


def _summary(created: bool) -> HistorySummary:
    deployments = history_deployments()
    alerts = Alert.objects.filter(deployment__in=deployments)
    by_status = dict(deployments.order_by().values_list("status").annotate(n=models.Count("pk")))
    return HistorySummary(
        created=created,
        deployments=deployments.count(),
        completed=by_status.get(S.COMPLETED, 0),
        rejected=by_status.get(S.REJECTED, 0),
        cancelled=by_status.get(S.CANCELLED, 0),
        planned=by_status.get(S.APPROVED, 0) + by_status.get(S.SUBMITTED, 0),
        faces_processed=deployments.aggregate(n=models.Sum("faces_processed"))["n"] or 0,
        alerts=alerts.count(),
        false_alerts=alerts.filter(adjudication=Adjudication.FALSE_ALERT).count(),
        arrests=alerts.filter(outcome=Outcome.ARREST).count(),
        boroughs=deployments.order_by().values("borough").distinct().count(),
    )


def _hex(rng: random.Random) -> str:
    """A SHA-256 digest standing in for that of an image that never existed here."""
    return hashlib.sha256(rng.randbytes(32)).hexdigest()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """Local wall-clock time, held in UTC so that adding days is exact across clock changes."""
    local = timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))
    return local.astimezone(UTC)


class _Generator:
    def __init__(self, *, now: datetime, seed: int) -> None:
        self.now = now
        self.seed = seed
        self.rng = random.Random(seed)
        self.events: list[_Event] = []
        self.officers = _officers()
        self.cameras = self._cameras()
        self.created_at: dict[uuid.UUID, datetime] = {}
        self.documents: list[DeploymentDocument] = []
        self.watchlists: list[Watchlist] = []
        self.signs: list[SignageRecord] = []
        self.leaflets: list[LeafletRecord] = []
        self.alerts: list[Alert] = []
        self.alert_events: list[tuple[Alert, DeploymentCamera, _Plan, Deployment]] = []
        self.deletions: list[DeletionRecord] = []
        self.references: list[WatchlistReferenceRecord] = []
        self.false_alert_plans: set[int] = set()

    def by_role(self, role: str) -> list[User]:
        return [
            u for (name, _, _, r, _), u in zip(OFFICERS, self.officers, strict=True) if r == role
        ]

    # --- officers and cameras ---------------------------------------------------

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

    # --- the plan ---------------------------------------------------------------

    def run(self) -> None:
        plans = self._plan()
        past = [p for p in plans if p.starts_at < self.now]
        # A few false alerts over the year, as in the Met's figures, one per deployment.
        completed = [p.index for p in past if p.kind == "completed"]
        self.false_alert_plans = set(self.rng.sample(completed, FALSE_ALERTS))
        self._write_past(past)
        self._write_future(self.now)

    def _plan(self) -> list[_Plan]:
        rng = self.rng
        # The last past window ends a few days more than the alert retention ago, so
        # every past alert's image is gone, as retention leaves it.
        last_day = timezone.localdate(self.now - settings.LFR_ALERT_RETENTION) - timedelta(days=4)
        first_day = timezone.localdate(self.now) - timedelta(days=380)
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
        weights = [place[4] for place in PLACES]
        every_place = rng.sample(PLACES, len(PLACES))
        aos = self.by_role(Role.AUTHORISING_OFFICER)
        planners = self.by_role(Role.DEPLOYMENT_PLANNER)
        managers = self.by_role(Role.WATCHLIST_MANAGER)
        operators = self.by_role(Role.OPERATOR)
        field_officers = self.by_role(Role.FIELD_OFFICER)
        plans = []
        van = 0
        for index, (kind, day) in enumerate(zip(kinds, days, strict=True)):
            roll = rng.random()
            if roll < 0.72:
                use_case, (label, purpose, why) = (
                    UseCase.CRIME_HOTSPOT,
                    rng.choice(HOTSPOT_PURPOSES),
                )
            elif roll < 0.88:
                use_case, (label, purpose, why) = UseCase.EVENT, rng.choice(EVENT_PURPOSES)
            elif roll < 0.95:
                use_case, (label, purpose, why) = UseCase.PROTECTIVE_SECURITY, PROTECTIVE_PURPOSE
            else:
                use_case, (label, purpose, why) = UseCase.MISSING_OR_VULNERABLE, MISSING_PURPOSE
            fitting = [p for p in PLACES if p[1].startswith(PLACES_FOR.get(label, ()))]
            if fitting:
                # Events and protective security happen where the crowds are expected.
                borough, place, lat, lon, _ = rng.choice(fitting)
            elif every_place:
                # Every place at least once over the year, then the busier ones more often.
                borough, place, lat, lon, _ = every_place.pop()
            else:
                borough, place, lat, lon, _ = rng.choices(PLACES, weights=weights)[0]
            night = label == "Night-time economy"
            start_hour = rng.choice([19, 20]) if night else rng.choice([9, 10, 11, 12, 13])
            hours = rng.choice([4, 5, 6, 6, 7, 8])
            starts = _at(day, start_hour, rng.choice([0, 0, 30]))
            ends = starts + timedelta(hours=hours)
            ends = min(ends, starts + settings.LFR_MAX_AUTHORISATION)
            planner = rng.choice(planners)
            adder, approver = rng.sample(managers, 2)
            faces = int(FACES_PER_DEPLOYMENT * rng.lognormvariate(0, 0.35) * hours / 6.2)
            if use_case == UseCase.EVENT:
                faces = int(faces * 1.6)
            if use_case == UseCase.MISSING_OR_VULNERABLE:
                size = rng.randint(1, 3)
            else:
                size = max(100, min(1_500, int(rng.lognormvariate(5.6, 0.5))))
            cameras = self.cameras[2 * van : 2 * van + (1 if rng.random() < 0.3 else 2)]
            van = (van + 1) % 3
            plans.append(
                _Plan(
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
                    threshold=Decimal(rng.choice(["0.500", "0.500", "0.500", "0.510", "0.520"])),
                    cameras=cameras,
                    planner=planner,
                    ao=rng.choice(aos),
                    adder=adder,
                    approver=approver,
                    operator=rng.choice(operators),
                    field_officer=rng.choice(field_officers),
                    size=size,
                    faces=faces,
                    public_id=_public_id(self.seed, index),
                )
            )
        return plans

    # --- past deployments -------------------------------------------------------

    def _write_past(self, plans: list[_Plan]) -> None:
        rng = self.rng
        profile = ENGINE_PROFILES[ENGINE]
        deployments = []
        for plan in plans:
            if plan.threshold < profile.floor:
                raise RuntimeError("the demo history broke the threshold floor")
            created = plan.starts_at - timedelta(days=rng.randint(12, 30), hours=rng.randint(0, 5))
            self.created_at[plan.public_id] = created
            deployments.append(
                Deployment(
                    public_id=plan.public_id,
                    title=plan.title,
                    status=S.DRAFT,
                    use_case=plan.use_case,
                    purpose=plan.purpose,
                    justification=plan.justification,
                    location_name=plan.place,
                    borough=plan.borough,
                    latitude=Decimal(f"{plan.latitude:.6f}"),
                    longitude=Decimal(f"{plan.longitude:.6f}"),
                    radius_m=600 if "radius" in _rejection(plan) else rng.choice([100, 150, 200]),
                    starts_at=plan.starts_at,
                    ends_at=plan.ends_at,
                    engine=ENGINE,
                    threshold=plan.threshold,
                    expected_faces=round(plan.faces, -3),
                    # This database's calibration record is dated when it was installed,
                    # after these approvals; the approver relied on the engine's
                    # published calibration, which the override records.
                    calibration_override_reason=(
                        "Approved on the engine's published calibration (FMR 0 of 123,230 "
                        "impostor pairs at 0.500), recorded before this system held "
                        "calibration records."
                    ),
                    created_by=plan.planner,
                )
            )
        Deployment.objects.bulk_create(deployments)
        deployments = list(Deployment.objects.filter(public_id__in=[p.public_id for p in plans]))
        by_id = {d.public_id: d for d in deployments}
        for deployment in deployments:
            # Creation as it happened, not the time of seeding (bulk_create stamps now).
            deployment.created_at = self.created_at[deployment.public_id]
        pool = self._reference_pool()
        for plan in plans:
            self._past_one(plan, by_id[plan.public_id], pool)
        Deployment.objects.bulk_update(
            deployments,
            [
                "status",
                "submitted_at",
                "decided_by",
                "decided_at",
                "rejection_reason",
                "authorised_snapshot",
                "went_live_at",
                "went_live_by",
                "ended_at",
                "ended_by",
                "end_reason",
                "stopped_early",
                "faces_processed",
                "created_at",
                "updated_at",
            ],
        )
        self._flush_bulk()
        self._write_audit()

    def _reference_pool(self) -> list[tuple[str, str]]:
        rng = self.rng
        categories = [
            EntryCategory.WANTED,
            EntryCategory.SUSPECT,
            EntryCategory.RISK,
        ]
        return [
            (f"DEMO/{n:05d}", rng.choices(categories, weights=[60, 32, 8])[0])
            for n in range(1, 6000)
        ]

    def _past_one(self, plan: _Plan, deployment: Deployment, pool: list[tuple[str, str]]) -> None:
        rng = self.rng
        created = deployment.created_at
        planner = plan.planner
        # What deployment_create would have recorded: the editable fields that were set.
        changes = {
            name: jsonable(value)
            for name in deployment_services.EDITABLE_FIELDS
            if (value := getattr(deployment, name)) not in ("", None, False)
        }
        self.event(created, planner, "deployment.create", deployment, changes=changes)
        self._documents(deployment, planner, created + timedelta(minutes=12))
        bookings = []
        for i, camera in enumerate(plan.cameras):
            booking = DeploymentCamera.objects.create(
                deployment=deployment,
                camera=camera,
                position=["Van mast, facing the station exit", "Van mast, facing the crossing"][i],
            )
            bookings.append(booking)
            self.event(
                created + timedelta(minutes=25 + i),
                planner,
                "deployment.camera_add",
                deployment,
                changes={
                    "camera": str(camera.public_id),
                    "camera_name": camera.name,
                    "position": booking.position,
                },
            )
        watchlist = Watchlist.objects.create(deployment=deployment, created_by=planner)
        self.watchlists.append(watchlist)
        submitted = created + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 4))
        deployment.submitted_at = submitted
        deployment.status = S.SUBMITTED
        self.event(submitted, planner, "deployment.submit", deployment)

        if plan.kind == "rejected":
            decided = submitted + timedelta(days=1, hours=rng.randint(1, 6))
            reason = _rejection(plan)
            deployment.status = S.REJECTED
            deployment.decided_by = plan.ao
            deployment.decided_at = decided
            deployment.rejection_reason = reason
            deployment.updated_at = decided
            self.event(decided, plan.ao, "deployment.reject", deployment, reason=reason)
            # Retention destroys a refused deployment's watchlist a day after the refusal.
            self._destroy_watchlist(
                deployment, watchlist, [], decided + settings.LFR_WATCHLIST_DESTROY_AFTER
            )
            return

        entries = self._entries(plan, deployment, watchlist, pool)
        approved_wl = max(e.approved_at for e in entries) + timedelta(hours=rng.randint(2, 20))
        approved_wl = min(approved_wl, plan.starts_at - timedelta(hours=30))
        watchlist.status = WatchlistStatus.APPROVED
        watchlist.approved_by = plan.ao
        watchlist.approved_at = approved_wl
        self.event(
            approved_wl, plan.ao, "watchlist.approve", watchlist, changes={"entries": len(entries)}
        )
        decided = approved_wl + timedelta(minutes=rng.randint(20, 150))
        deployment.status = S.APPROVED
        deployment.decided_by = plan.ao
        deployment.decided_at = decided
        deployment.authorised_snapshot = deployment_services.authorisation_snapshot(deployment)
        self.event(
            decided,
            plan.ao,
            "deployment.approve",
            deployment,
            changes={"authorised": deployment.authorised_snapshot},
        )
        grant_operator(plan.operator, deployment)
        self.event(
            decided + timedelta(minutes=40),
            planner,
            "deployment.operator_assign",
            deployment,
            changes={"operator": plan.operator.get_username()},
        )
        if plan.kind == "cancelled":
            cancelled = decided + (plan.starts_at - decided) * rng.uniform(0.3, 0.8)
            reason = CANCELLATION_REASONS[plan.index % len(CANCELLATION_REASONS)]
            self._end(deployment, S.CANCELLED, planner, cancelled, reason, early=False)
            self.event(cancelled, planner, "deployment.cancel", deployment, reason=reason)
            self._destroy_watchlist(deployment, watchlist, entries, cancelled)
            return

        # On the day: signs and leaflets first, the list finalised, then live.
        signs_up = plan.starts_at - timedelta(minutes=rng.randint(35, 80))
        self._signage(plan, deployment, signs_up)
        finalised = plan.starts_at - timedelta(hours=rng.randint(2, 10), minutes=rng.randint(0, 59))
        watchlist.status = WatchlistStatus.FINALISED
        watchlist.finalised_by = plan.adder
        watchlist.finalised_at = finalised
        self.event(
            finalised,
            plan.adder,
            "watchlist.finalise",
            watchlist,
            changes={"previously_finalised_at": None},
        )
        went_live = plan.starts_at + timedelta(minutes=rng.randint(1, 12))
        if went_live - finalised > settings.LFR_WATCHLIST_FINALISE_MAX_AGE:
            raise RuntimeError("the demo history broke the finalisation rule")
        deployment.status = S.LIVE
        deployment.went_live_at = went_live
        deployment.went_live_by = plan.operator
        self.event(went_live, plan.operator, "deployment.start", deployment)
        for booking in bookings:
            self.event(
                went_live + timedelta(seconds=8),
                None,
                "camera.state",
                deployment,
                changes={
                    "camera": booking.camera.name,
                    "state": [CameraState.STARTING.value, CameraState.RUNNING.value],
                    "detail": "",
                },
            )

        if plan.kind == "stopped":
            ended = went_live + (plan.ends_at - went_live) * rng.uniform(0.35, 0.8)
            reason = "Officers needed for a serious incident nearby; stopped early."
        elif plan.kind == "cancelled_live":
            ended = went_live + timedelta(minutes=rng.randint(50, 90))
            reason = "The signs at the north approach were found removed; cancelled."
        else:
            ended = plan.ends_at + timedelta(seconds=rng.randint(2, 14))
            reason = "The authorised window ended."
        live_share = (ended - went_live) / (plan.ends_at - plan.starts_at)
        faces = int(plan.faces * min(1.0, live_share))
        deployment.faces_processed = faces
        self._camera_counts(bookings, faces, ended - went_live)
        self._alerts(plan, deployment, bookings, entries, went_live, ended, faces)

        if plan.kind == "stopped":
            self._end(deployment, S.COMPLETED, plan.operator, ended, reason, early=True)
            self.event(ended, plan.operator, "deployment.stop", deployment, reason=reason)
        elif plan.kind == "cancelled_live":
            self._end(deployment, S.CANCELLED, plan.ao, ended, reason, early=True)
            self.event(ended, plan.ao, "deployment.cancel", deployment, reason=reason)
        else:
            self._end(deployment, S.COMPLETED, None, ended, reason, early=False)
            self.event(ended, None, "deployment.complete", deployment, reason=reason)
        for sign in self.signs_of(deployment):
            sign.removed_at = ended + timedelta(minutes=rng.randint(15, 50))
            self.event(
                sign.removed_at,
                plan.field_officer,
                "signage.remove",
                sign,
                deployment=deployment,
                changes={"removed_at": jsonable(sign.removed_at)},
            )
        self._destroy_watchlist(deployment, watchlist, entries, ended)

    def _documents(self, deployment: Deployment, planner: User, when: datetime) -> None:
        kinds = list(REQUIRED_DOCUMENTS)
        if settings.LFR_EU_AI_ACT_MODE:
            kinds += list(REQUIRED_DOCUMENTS_EU)
        start = timezone.localdate(deployment.starts_at)
        # The force's documents are reissued each spring; each one in date for the window.
        issue_year = start.year if (start.month, start.day) >= (4, 1) else start.year - 1
        issued = date(issue_year, 4, 1)
        issued = min(issued, timezone.localdate(when))
        review = date(issue_year + 1, 4, 30)
        for i, kind in enumerate(kinds):
            reference = _document_reference(kind, issue_year)
            document = DeploymentDocument(
                deployment=deployment,
                kind=kind,
                reference=reference,
                issued_on=issued,
                review_by=review,
                added_by=planner,
            )
            self.documents.append(document)
            self.event(
                when + timedelta(minutes=i),
                planner,
                "deployment.document_set",
                document,
                deployment=deployment,
                changes={
                    "kind": kind,
                    "reference": reference,
                    "issued_on": issued.isoformat(),
                    "review_by": review.isoformat(),
                    "replaced": False,
                },
            )

    def _entries(
        self,
        plan: _Plan,
        deployment: Deployment,
        watchlist: Watchlist,
        pool: list[tuple[str, str]],
    ) -> list[WatchlistEntry]:
        rng = self.rng
        added = plan.starts_at - timedelta(days=rng.randint(3, 5), hours=rng.randint(0, 6))
        approved = added + timedelta(hours=rng.randint(2, 8))
        if plan.use_case == UseCase.MISSING_OR_VULNERABLE:
            people = [
                (f"DEMO/M{plan.index:03d}{i}", EntryCategory.MISSING_OR_VULNERABLE)
                for i in range(plan.size)
            ]
        else:
            people = rng.sample(pool, plan.size)
        entries = []
        for i, (reference, category) in enumerate(people):
            reason, basis, source = ENTRY_DETAILS[EntryCategory(category)]
            entry = WatchlistEntry(
                watchlist=watchlist,
                status=EntryStatus.APPROVED,
                # Reference numbers only: the demo holds no one's name or photograph.
                display_name=f"Subject {reference}",
                category=category,
                reason=reason,
                legal_basis=basis,
                reference_number=reference,
                image_source=source,
                image_date=timezone.localdate(added) - timedelta(days=rng.randint(20, 700)),
                enrolment_state=EnrolmentState.ENROLLED,
                enrolment_message="Enrolled.",
                embedding_engine=ENGINE,
                added_by=plan.adder,
                approved_by=plan.approver,
                approved_at=approved + timedelta(seconds=4 * i),
            )
            entries.append(entry)
        WatchlistEntry.objects.bulk_create(entries)
        # One row per watchlist and step, naming every entry, where the service writes
        # one per entry: hundreds of entries on each of fifty lists would make seeding
        # take minutes. Who added and who approved stays on the record (four eyes).
        summary = {
            "entries": len(entries),
            "reference_numbers": [entry.reference_number for entry in entries],
            "under_18": 0,
            "per_entry_rows": False,
        }
        self.event(
            added,
            plan.adder,
            "watchlist.entry_add",
            watchlist,
            deployment=deployment,
            changes=summary,
        )
        self.event(
            max(entry.approved_at for entry in entries),
            plan.approver,
            "watchlist.entry_approve",
            watchlist,
            deployment=deployment,
            changes={**summary, "under_18_justification_approved": 0},
        )
        return entries

    def _signage(self, plan: _Plan, deployment: Deployment, when: datetime) -> None:
        rng = self.rng
        spots = ["main approach", "station exit", "far end of the zone"][: rng.randint(2, 3)]
        for i, spot in enumerate(spots):
            sign = SignageRecord(
                deployment=deployment,
                description=f"A1 sign on a lamp post at the {spot}",
                location_name=f"{plan.place}: {spot}",
                placed_at=when + timedelta(minutes=4 * i),
                recorded_by=plan.field_officer,
            )
            self.signs.append(sign)
            self.event(
                sign.placed_at,
                plan.field_officer,
                "signage.record",
                sign,
                deployment=deployment,
                changes={
                    "description": sign.description,
                    "location_name": sign.location_name,
                    "placed_at": jsonable(sign.placed_at),
                },
            )
        for i in range(rng.randint(1, 2)):
            leaflets = LeafletRecord(
                deployment=deployment,
                quantity=rng.choice([100, 150, 200, 250, 300, 400]),
                location_name=f"{plan.place}: pavement by the van",
                distributed_at=plan.starts_at + timedelta(minutes=20 + 90 * i),
                recorded_by=plan.field_officer,
            )
            self.leaflets.append(leaflets)
            self.event(
                leaflets.distributed_at,
                plan.field_officer,
                "leaflet.record",
                leaflets,
                deployment=deployment,
                changes={
                    "quantity": leaflets.quantity,
                    "location_name": leaflets.location_name,
                    "distributed_at": jsonable(leaflets.distributed_at),
                },
            )

    def signs_of(self, deployment: Deployment) -> list[SignageRecord]:
        return [s for s in self.signs if s.deployment is deployment]

    def _camera_counts(self, bookings: list[DeploymentCamera], faces: int, live: timedelta) -> None:
        shares = [0.6, 0.4] if len(bookings) == 2 else [1.0]
        remaining = faces
        for booking, share in zip(bookings, shares, strict=True):
            count = remaining if booking is bookings[-1] else int(faces * share)
            remaining -= count
            booking.faces_processed = count
            booking.frames_processed = int(live.total_seconds() * 5)
            booking.state = CameraState.STOPPED
            booking.save(update_fields=["faces_processed", "frames_processed", "state"])

    def _alerts(
        self,
        plan: _Plan,
        deployment: Deployment,
        bookings: list[DeploymentCamera],
        entries: list[WatchlistEntry],
        went_live: datetime,
        ended: datetime,
        faces: int,
    ) -> None:
        rng = self.rng
        expected = faces * ALERTS_PER_FACE
        count = min(len(entries), _poisson(rng, expected))
        if plan.use_case == UseCase.MISSING_OR_VULNERABLE:
            count = min(count, 1)
        false_here = plan.index in self.false_alert_plans
        if false_here:
            count = max(count, 1)
        live_seconds = (ended - went_live).total_seconds()
        moments = sorted(rng.uniform(60, live_seconds - 60) for _ in range(count))
        matched = rng.sample(entries, count)
        for n, (offset, entry) in enumerate(zip(moments, matched, strict=True)):
            captured = went_live + timedelta(seconds=offset)
            booking = rng.choice(bookings)
            chunk = int(offset * 5 / settings.LFR_RECOGNITION_CHUNK_FRAMES)
            if false_here and n == 0:
                adjudication, outcome, detail = Adjudication.FALSE_ALERT, Outcome.NO_ACTION, ""
                score = plan.threshold + Decimal(f"{rng.uniform(0.002, 0.02):.4f}")
            else:
                adjudication, outcome, detail = self._decision(plan)
                score = plan.threshold + Decimal(f"{min(0.4, rng.expovariate(12)):.4f}")
            adjudicated = captured + timedelta(seconds=rng.randint(40, 420))
            deleted = self._retention_tick(captured + settings.LFR_ALERT_RETENTION)
            alert = Alert(
                deployment=deployment,
                camera=booking,
                entry=entry,
                entry_reference=entry.reference_number,
                score=score.quantize(Decimal("0.0001")),
                captured_at=captured,
                crop="",
                crop_deleted_at=deleted,
                dedup_key=f"{booking.pk}:{chunk}:demo{plan.index}-{n}",
                adjudication=adjudication,
                outcome=outcome,
                outcome_detail=detail,
                adjudicated_by=plan.operator,
                adjudicated_at=adjudicated,
                created_at=captured,
            )
            self.alerts.append(alert)
            self.alert_events.append((alert, booking, plan, deployment))

    def _decision(self, plan: _Plan) -> tuple[str, str, str]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            return Adjudication.UNRESOLVED, "", ""
        if plan.use_case == UseCase.MISSING_OR_VULNERABLE:
            return Adjudication.CONFIRMED, Outcome.OTHER, rng.choice(MISSING_OUTCOMES)
        roll = rng.random()
        if roll < ARREST_SHARE_OF_CONFIRMED:
            return Adjudication.CONFIRMED, Outcome.ARREST, ""
        if roll < ARREST_SHARE_OF_CONFIRMED + 0.24:
            return Adjudication.CONFIRMED, Outcome.WORDS_OF_ADVICE, ""
        if roll < ARREST_SHARE_OF_CONFIRMED + 0.42:
            return Adjudication.CONFIRMED, Outcome.NO_ACTION, ""
        return Adjudication.CONFIRMED, Outcome.OTHER, rng.choice(OTHER_OUTCOMES)

    def _retention_tick(self, due: datetime) -> datetime:
        """The first 15-minute retention run after `due` (celery beat's apply-retention)."""
        tick = 15 * 60
        seconds = int(due.timestamp())
        return datetime.fromtimestamp(seconds - seconds % tick + tick, tz=due.tzinfo) + timedelta(
            seconds=40
        )

    def _end(
        self,
        deployment: Deployment,
        status: str,
        actor: User | None,
        when: datetime,
        reason: str,
        *,
        early: bool,
    ) -> None:
        deployment.status = status
        deployment.ended_at = when
        deployment.ended_by = actor
        deployment.end_reason = reason
        deployment.stopped_early = early
        deployment.updated_at = when

    def _destroy_watchlist(
        self,
        deployment: Deployment,
        watchlist: Watchlist,
        entries: list[WatchlistEntry],
        ended: datetime,
    ) -> None:
        when = self._retention_tick(ended)
        rng = self.rng
        for entry in entries:
            entry.biometrics_destroyed_at = when
            self.references.append(
                WatchlistReferenceRecord(
                    deployment=deployment,
                    reference_number=entry.reference_number,
                    category=entry.category,
                )
            )
        watchlist.status = WatchlistStatus.DESTROYED
        watchlist.destroyed_at = when
        hashes = sorted(_hex(rng) for _ in entries)
        record = DeletionRecord(
            deployment=deployment,
            category=RetentionCategory.WATCHLIST_BIOMETRICS,
            rule=WATCHLIST_RULE,
            count=len(entries),
            files_removed=len(entries),
            item_hashes=hashes,
            digest=hashlib.sha256("\n".join(hashes).encode()).hexdigest(),
            first_deleted_at=when,
            last_deleted_at=when,
        )
        self.deletions.append(record)
        self.event(
            when,
            None,
            "retention.delete",
            record,
            deployment=deployment,
            reason=WATCHLIST_RULE,
            changes={
                "category": record.category,
                "count": len(entries),
                "files_removed": len(entries),
            },
        )

    # --- writing ----------------------------------------------------------------

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
        self.events.append(_Event(at, actor, action, obj, deployment, reason, changes or {}))

    def _flush_bulk(self) -> None:
        DeploymentDocument.objects.bulk_create(self.documents)
        SignageRecord.objects.bulk_create(self.signs)
        LeafletRecord.objects.bulk_create(self.leaflets)
        Alert.objects.bulk_create(self.alerts)
        # Alert images deleted by retention: one record per deployment, one audit row
        # per retention run that took some.
        alert_rule = ALERT_RULE.format(days=settings.LFR_ALERT_RETENTION.total_seconds() / 86400)
        runs: dict[Deployment, dict[datetime, list[Alert]]] = {}
        for alert, booking, plan, deployment in self.alert_events:
            runs.setdefault(deployment, {}).setdefault(alert.crop_deleted_at, []).append(alert)
            self.event(
                alert.captured_at,
                None,
                "alert.raise",
                alert,
                deployment=deployment,
                changes={
                    "camera": booking.camera.name,
                    "entry_reference": alert.entry_reference,
                    "score": str(alert.score),
                },
            )
            self.event(
                alert.captured_at + timedelta(seconds=2),
                None,
                "alert.crop_stored",
                alert,
                deployment=deployment,
            )
            self.event(
                alert.adjudicated_at,
                plan.operator,
                "alert.adjudicate",
                alert,
                deployment=deployment,
                changes={
                    "adjudication": [Adjudication.PENDING.value, alert.adjudication],
                    "outcome": alert.outcome,
                },
            )
        for deployment, by_run in runs.items():
            hashes = sorted(_hex(self.rng) for _ in range(sum(map(len, by_run.values()))))
            record = DeletionRecord(
                deployment=deployment,
                category=RetentionCategory.ALERT_IMAGES,
                rule=alert_rule,
                count=len(hashes),
                files_removed=len(hashes),
                item_hashes=hashes,
                digest=hashlib.sha256("\n".join(hashes).encode()).hexdigest(),
                first_deleted_at=min(by_run),
                last_deleted_at=max(by_run),
            )
            self.deletions.append(record)
            for when, alerts in sorted(by_run.items()):
                self.event(
                    when,
                    None,
                    "retention.delete",
                    record,
                    deployment=deployment,
                    reason=alert_rule,
                    changes={
                        "category": record.category,
                        "count": len(alerts),
                        "files_removed": len(alerts),
                    },
                )
        DeletionRecord.objects.bulk_create(self.deletions)
        WatchlistReferenceRecord.objects.bulk_create(self.references)
        Watchlist.objects.bulk_update(
            self.watchlists,
            [
                "status",
                "approved_by",
                "approved_at",
                "finalised_by",
                "finalised_at",
                "destroyed_at",
            ],
        )
        entries = WatchlistEntry.objects.filter(watchlist__in=self.watchlists)
        for when in {w.destroyed_at for w in self.watchlists}:
            entries.filter(watchlist__destroyed_at=when).update(biometrics_destroyed_at=when)
        SignageRecord.objects.bulk_update(self.signs, ["removed_at"])
        # Creation times as they were, not the time of seeding.
        for model, rows, attribute in (
            (Watchlist, self.watchlists, None),
            (SignageRecord, self.signs, "placed_at"),
            (LeafletRecord, self.leaflets, "distributed_at"),
            (Alert, self.alerts, "captured_at"),
        ):
            for row in rows:
                when = getattr(row, attribute) if attribute else row.deployment.created_at
                row.created_at = row.updated_at = when
            model.objects.bulk_update(rows, ["created_at", "updated_at"], batch_size=500)

    def _write_audit(self) -> None:
        """Every event through the audit service, in the order they happened."""
        self.events.sort(key=lambda e: e.at)
        for event in self.events:
            changes = {**event.changes, "happened_at": event.at.isoformat(), "seeded": SEEDED_NOTE}
            audit_record(
                actor=event.actor,
                action=event.action,
                obj=event.obj,
                deployment=event.deployment,
                reason=event.reason,
                changes=changes,
            )
        self.events.clear()

    # --- planned deployments, through the services ------------------------------

    def _write_future(self, now: datetime) -> None:
        """Deployments ahead: approved and announced, and one awaiting a decision."""
        rng = self.rng
        aos = self.by_role(Role.AUTHORISING_OFFICER)
        planners = self.by_role(Role.DEPLOYMENT_PLANNER)
        adder, approver = self.by_role(Role.WATCHLIST_MANAGER)[:2]
        operators = self.by_role(Role.OPERATOR)
        today = timezone.localdate(now)
        future = [
            ("Robbery hotspot", "Croydon", 6, 11, 7),
            ("Match day", "Newham", 13, 12, 5),
            ("Night-time economy", "Westminster", 20, 20, 6),
            ("Violence and knife crime", "Hackney", 27, 10, 7),
            ("Robbery hotspot", "Lewisham", 34, 11, 6),
        ]
        for n, (label, borough, days_ahead, hour, hours) in enumerate(future):
            place = next(p for p in PLACES if p[0] == borough)
            purpose = next(p for p in (*HOTSPOT_PURPOSES, *EVENT_PURPOSES) if p[0] == label)
            starts = _at(today + timedelta(days=days_ahead), hour)
            planner = planners[n % len(planners)]
            deployment = deployment_services.deployment_create(
                actor=planner,
                title=f"{label}: {place[1].split(',')[0]}",
                use_case=UseCase.EVENT if label == "Match day" else UseCase.CRIME_HOTSPOT,
                purpose=purpose[1],
                justification=purpose[2],
                location_name=place[1],
                borough=borough,
                latitude=place[2],
                longitude=place[3],
                radius_m=150,
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                expected_faces=int(round(FACES_PER_DEPLOYMENT * hours / 6.2, -3)),
            )
            issue_year = today.year if (today.month, today.day) >= (4, 1) else today.year - 1
            kinds = list(REQUIRED_DOCUMENTS)
            if settings.LFR_EU_AI_ACT_MODE:
                kinds += list(REQUIRED_DOCUMENTS_EU)
            for kind in kinds:
                deployment_services.deployment_document_set(
                    actor=planner,
                    deployment=deployment,
                    kind=kind,
                    reference=_document_reference(kind, issue_year),
                    issued_on=date(issue_year, 4, 1),
                    review_by=max(date(issue_year + 1, 4, 30), today + timedelta(days=90)),
                )
            for camera in self.cameras[2 * (n % 3) : 2 * (n % 3) + 2]:
                deployment_services.deployment_camera_add(
                    actor=planner, deployment=deployment, camera=camera
                )
            deployment = deployment_services.deployment_submit(actor=planner, deployment=deployment)
            if n == len(future) - 1:
                continue  # awaiting the authorising officer's decision
            self._future_watchlist(deployment, adder, approver, rng.randint(150, 600))
            ao = aos[n % len(aos)]
            watchlist_services.watchlist_approve(actor=ao, watchlist=deployment.watchlist)
            deployment = deployment_services.deployment_approve(actor=ao, deployment=deployment)
            deployment_services.deployment_operator_assign(
                actor=planner, deployment=deployment, operator=operators[n % len(operators)]
            )

    def _future_watchlist(
        self, deployment: Deployment, adder: User, approver: User, size: int
    ) -> None:
        """Entries by reference number, enrolled and approved by a second manager.

        Their templates are random unit vectors: the demo holds no one's photograph, and
        a random template matches no face. Written in bulk, since adding, enrolling and
        approving one by one through the services is slow.
        """
        pool = self._reference_pool()
        generator = np.random.default_rng(self.seed + deployment.pk)
        now = timezone.now()
        entries = []
        for reference, category in self.rng.sample(pool, size):
            reason, basis, source = ENTRY_DETAILS[EntryCategory(category)]
            vector = generator.standard_normal(EMBEDDING_DIMENSIONS).astype(np.float32)
            vector /= np.linalg.norm(vector)
            entries.append(
                WatchlistEntry(
                    watchlist=deployment.watchlist,
                    status=EntryStatus.APPROVED,
                    display_name=f"Subject {reference}",
                    category=category,
                    reason=reason,
                    legal_basis=basis,
                    reference_number=reference,
                    image_source=source,
                    image_date=timezone.localdate(now) - timedelta(days=self.rng.randint(20, 700)),
                    enrolment_state=EnrolmentState.ENROLLED,
                    enrolment_message="Enrolled.",
                    embedding=vector.tobytes(),
                    embedding_engine=ENGINE,
                    added_by=adder,
                    approved_by=approver,
                    approved_at=now,
                )
            )
        WatchlistEntry.objects.bulk_create(entries)
        # Summarised as for the past lists: one row per step, naming every entry.
        summary = {
            "entries": len(entries),
            "reference_numbers": [entry.reference_number for entry in entries],
            "under_18": 0,
            "per_entry_rows": False,
            "seeded": SEEDED_NOTE,
        }
        audit_record(
            actor=adder,
            action="watchlist.entry_add",
            obj=deployment.watchlist,
            deployment=deployment,
            changes=summary,
        )
        audit_record(
            actor=approver,
            action="watchlist.entry_approve",
            obj=deployment.watchlist,
            deployment=deployment,
            changes={**summary, "under_18_justification_approved": 0},
        )


def _document_reference(kind: str, issue_year: int) -> str:
    """The force-wide document of that year, e.g. DPIA/LFR/2025-26."""
    return f"{kind.upper().replace('_', '-')}/LFR/{issue_year}-{issue_year + 1 - 2000}"


def _rejection(plan: _Plan) -> str:
    if plan.kind != "rejected":
        return ""
    return REJECTION_REASONS[plan.index % len(REJECTION_REASONS)]


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _officers() -> list[User]:
    """The invented officers, created once; they cannot log in (no password)."""
    users = []
    for username, first, last, role, rank in OFFICERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        OfficerProfile.objects.update_or_create(user=user, defaults={"rank": rank})
        user.groups.add(Group.objects.get(name=role))
        users.append(user)
    return users
