"""The live part of the demo: three deployments at different stages, one of them
approved, signed and inside its window, ready for the operator to go live.

Its watchlist holds real reference photographs from the bundled AT&T face set (credit
AT&T Laboratories Cambridge), enrolled by the engine the caller passes in, and its
camera plays a street video rendered from the same set, so it raises real alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ..models import Camera, Deployment, EntryCategory, PolicyVersion, UseCase
from ..services import deployment_staff as staff
from ..services import deployments as dep
from ..services import field
from ..services import watchlists as wl
from .eu import SOUGHT, eu_authorise, eu_purpose_fields
from .policies import demo_policy_library_ensure, demo_policy_pins
from .records import document_kinds
from .where import offence_years, where_case

DEMO_DIR = Path(settings.VAR_DIR) / "demo"
DEMO_VIDEO = DEMO_DIR / "street_640x360.avi"

# (name, source, latitude, longitude); .invalid never resolves, so the demo reaches no one.
DEMO_CAMERAS = [
    ("Camden High St north", "rtsp://camden-north.invalid/stream1", 51.5390, -0.1426),
    ("Camden High St south", "rtsp://camden-south.invalid/stream1", 51.5372, -0.1409),
    ("Oxford Circus van", f"file://{DEMO_VIDEO}?loop=1&realtime=1", 51.5152, -0.1418),
]

Enrol = Callable[[list[int]], object]


def demo_name(identity: str) -> str:
    """ "att_faces/s31" -> "Demo subject 31": the AT&T subjects are anonymous volunteers."""
    return f"Demo subject {identity.rsplit('/', 1)[-1].lstrip('s')}"


@dataclass(frozen=True)
class _Site:
    title: str
    borough: str
    location: str
    latitude: float
    longitude: float
    starts: datetime
    hours: int


def _cameras() -> list[Camera]:
    return [
        Camera.objects.get_or_create(
            name=name, defaults={"source_url": url, "latitude": lat, "longitude": lon}
        )[0]
        for name, url, lat, lon in DEMO_CAMERAS
    ]


def _draft(
    planner: User, site: _Site, cameras: list[Camera], policies: list[PolicyVersion]
) -> Deployment:
    """A drafted deployment with its documents in date and its cameras booked."""
    deployment = dep.deployment_create(
        actor=planner,
        title=site.title,
        use_case=UseCase.CRIME_HOTSPOT,
        purpose="Locate people wanted for robbery and violent offences.",
        justification=(
            "Robbery up 40% this quarter; patrols and CCTV review have not located "
            "the wanted people; a short, signed deployment is the least intrusive "
            "step left."
        ),
        location_name=site.location,
        borough=site.borough,
        latitude=site.latitude,
        longitude=site.longitude,
        radius_m=150,
        starts_at=site.starts,
        ends_at=site.starts + timedelta(hours=site.hours),
        expected_faces=15000,
        **where_case("Robbery hotspot", site.location, 700 + sum(map(ord, site.title)) % 100),
        **eu_purpose_fields(SOUGHT),
    )
    for i, kind in enumerate(document_kinds()):
        dep.deployment_document_set(
            actor=planner,
            deployment=deployment,
            kind=kind,
            reference=f"{kind.upper()}-2026-{deployment.pk:03d}-{i}",
            issued_on=timezone.localdate() - timedelta(days=60),
            review_by=timezone.localdate() + timedelta(days=300),
        )
    for camera in cameras:
        dep.deployment_camera_add(actor=planner, deployment=deployment, camera=camera)
    demo_policy_pins(planner, deployment, policies)
    return deployment


def _watchlist(
    users: dict[str, User],
    deployment: Deployment,
    truth: dict[str, Any],
    count: int,
    enrol: Enrol,
) -> None:
    """Entries with real reference photographs (never the one the video shows),
    enrolled by the engine, approved and authorised."""
    root = Path(truth["faces_root"])
    ids = []
    for i, person in enumerate(truth["watchlist"][:count]):
        photo = root / person["reference_images"][0]
        category = [EntryCategory.WANTED, EntryCategory.SUSPECT][i % 2]
        entry = wl.watchlist_entry_add(
            actor=users["watchlist"],
            watchlist=deployment.watchlist,
            reference_image=ContentFile(photo.read_bytes(), name=photo.name),
            display_name=demo_name(person["identity"]),
            category=category,
            offence_max_sentence_years=offence_years(category),
            reason="Wanted on warrant for robbery.",
            legal_basis="Warrant issued by Highbury Corner Magistrates' Court",
            reference_number=f"DEMO/{deployment.pk:03d}/{i:04d}",
            image_source="Custody record",
            image_date=timezone.localdate() - timedelta(days=100 + i),
        )
        ids.append(entry.pk)
    enrol(ids)
    for entry in deployment.watchlist.entries.all():
        wl.watchlist_entry_approve(actor=users["watchlist2"], entry=entry)
    wl.watchlist_approve(actor=users["ao2"], watchlist=deployment.watchlist)


def _ready_to_go_live(users: dict[str, User], ready: Deployment, now: datetime) -> None:
    """Approved; an operator and a field officer on it, signs and leaflets out, list finalised."""
    ready = dep.deployment_submit(actor=users["planner"], deployment=ready)
    ready = dep.deployment_approve(actor=users["ao"], deployment=ready)
    eu_authorise(ready, requester=users["planner"], ao=users["ao"])
    staff.deployment_operator_assign(
        actor=users["planner"], deployment=ready, operator=users["operator"]
    )
    # The street officer who receives the alerts the operator sends for engagement.
    staff.deployment_field_officer_assign(
        actor=users["planner"], deployment=ready, officer=users["field"]
    )
    field.signage_record(
        actor=users["field"],
        deployment=ready,
        description="A1 sign on the lamp post at the station exit",
        location_name="Oxford Circus station exit 1",
        placed_at=now - timedelta(minutes=20),
    )
    field.leaflet_record(
        actor=users["field"],
        deployment=ready,
        quantity=250,
        location_name="Oxford Circus station exits",
        distributed_at=now - timedelta(minutes=15),
    )
    wl.watchlist_finalise(
        actor=users["watchlist"], watchlist=ready.watchlist, still_wanted_as_of=now
    )


@transaction.atomic
def demo_deployments_create(users: dict[str, User], truth: dict[str, Any], enrol: Enrol) -> None:
    """Awaiting approval tomorrow; a draft still being written; ready to go live now."""
    now = timezone.now()
    cameras = _cameras()
    planner = users["planner"]
    policies = demo_policy_library_ensure(users["compliance"])
    pending = _draft(
        planner,
        _Site(
            "Camden Town robbery hotspot",
            "Camden",
            "Camden High Street, outside the Underground station",
            51.5392,
            -0.1426,
            now + timedelta(days=1),
            8,
        ),
        cameras[:2],
        policies,
    )
    _watchlist(users, pending, truth, 3, enrol)
    dep.deployment_submit(actor=planner, deployment=pending)
    _draft(
        planner,
        _Site(
            "Wembley Stadium cup final",
            "Brent",
            "Olympic Way",
            51.5560,
            -0.2795,
            now + timedelta(days=10),
            6,
        ),
        [],
        policies,
    )
    ready = _draft(
        planner,
        _Site(
            "Oxford Circus shopping day",
            "Westminster",
            "Oxford Circus, north-east corner",
            51.5154,
            -0.1416,
            now - timedelta(minutes=30),
            10,
        ),
        cameras[2:],
        policies,
    )
    _watchlist(users, ready, truth, 5, enrol)
    _ready_to_go_live(users, ready, now)
