"""Demo users for every role, demo deployments, and a demo camera. Safe to run again.

It lives in the matcher app because the demo watchlist is enrolled with the real
engine from the bundled AT&T face set (matcher/sample_faces, credit AT&T Laboratories
Cambridge), and the demo camera is a street video rendered from the same set
(benchmarks/make_test_videos.py): the Oxford Circus deployment, approved, signed and
inside its window, is ready for the operator to go live and raises real alerts.
"""

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from lfr_portal.models import (
    Camera,
    Deployment,
    DocumentKind,
    EntryCategory,
    OfficerProfile,
    Rank,
    Role,
    UseCase,
)
from lfr_portal.services import deployments as dep
from lfr_portal.services import field
from lfr_portal.services import watchlists as wl
from matcher.enrol import enrol_entry_ids
from matcher.face_sets import BUNDLED_ROOT

FACES_DIR = BUNDLED_ROOT
DEMO_DIR = Path(settings.VAR_DIR) / "demo"
DEMO_VIDEO = DEMO_DIR / "street_640x360.avi"

DEMO_PASSWORD = "lfr-demo-2026"  # noqa: S105 - printed for the demo; never used in production

DEMO_USERS = [
    ("ao", "Alex", "Okafor", Role.AUTHORISING_OFFICER, Rank.SUPERINTENDENT),
    ("ao2", "Priya", "Shah", Role.AUTHORISING_OFFICER, Rank.CHIEF_SUPERINTENDENT),
    ("planner", "Sam", "Reid", Role.DEPLOYMENT_PLANNER, Rank.INSPECTOR),
    ("watchlist", "Jo", "Evans", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("watchlist2", "Chris", "Ng", Role.WATCHLIST_MANAGER, Rank.SERGEANT),
    ("operator", "Morgan", "Hale", Role.OPERATOR, Rank.CONSTABLE),
    ("field", "Taylor", "Price", Role.FIELD_OFFICER, Rank.CONSTABLE),
    ("compliance", "Robin", "Wood", Role.COMPLIANCE_OFFICER, Rank.INSPECTOR),
]


def demo_name(identity: str) -> str:
    """ "att_faces/s31" -> "Demo subject 31": the AT&T subjects are anonymous volunteers."""
    return f"Demo subject {identity.rsplit('/', 1)[-1].lstrip('s')}"


def demo_logins():
    return [(username, role.label) for username, _, _, role, _ in DEMO_USERS]


class Command(BaseCommand):
    help = "Create demo users for every role and demo deployments (idempotent)."

    def handle(self, *args, **options):
        users = self._users()
        self.truth = self._demo_video()
        if not Deployment.objects.exists():
            self._deployments(users)
        # After the live demo above, which is created only into an empty database.
        from lfr_portal.demo_history import demo_history_seed

        self.stdout.write(str(demo_history_seed()))
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _demo_video(self):
        """Render the demo street video once, from the bundled face set."""
        import json

        truth_file = DEMO_DIR / "ground_truth.json"
        if truth_file.exists() and DEMO_VIDEO.exists():
            truth = json.loads(truth_file.read_text())
            # A video rendered by an older version may name photographs no longer here.
            root = Path(truth["faces_root"])
            if all(
                (root / image).is_file()
                for person in truth["watchlist"]
                for image in person["reference_images"]
            ):
                return truth
        import sys

        sys.path.insert(0, str(Path(settings.BASE_DIR) / "benchmarks"))
        from make_test_videos import build_video_set

        self.stdout.write("Rendering the demo camera video from the bundled AT&T face set ...")
        with tempfile.TemporaryDirectory() as scratch:
            truth_path = build_video_set(
                Path(scratch), faces_root=FACES_DIR, seconds=20, sizes=[(640, 360)]
            )
            DEMO_DIR.mkdir(parents=True, exist_ok=True)
            shutil.copy(Path(scratch) / "clip_640x360.avi", DEMO_VIDEO)
            shutil.copy(truth_path, truth_file)
        return json.loads(truth_file.read_text())

    @transaction.atomic
    def _users(self):
        users = {}
        for username, first, last, role, rank in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            OfficerProfile.objects.update_or_create(user=user, defaults={"rank": rank})
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    @transaction.atomic
    def _deployments(self, users):
        now = timezone.now()
        cameras = [
            Camera.objects.get_or_create(
                name=name, defaults={"source_url": url, "latitude": lat, "longitude": lon}
            )[0]
            for name, url, lat, lon in [
                # .invalid: never resolves, so the demo cannot reach anyone's network.
                ("Camden High St north", "rtsp://camden-north.invalid/stream1", 51.5390, -0.1426),
                ("Camden High St south", "rtsp://camden-south.invalid/stream1", 51.5372, -0.1409),
                ("Oxford Circus van", f"file://{DEMO_VIDEO}?loop=1&realtime=1", 51.5152, -0.1418),
            ]
        ]
        docs = [DocumentKind.DPIA, DocumentKind.APPROPRIATE_POLICY, DocumentKind.EQUALITY_IMPACT]

        def draft(title, borough, location, lat, lon, starts, hours, camera_list):
            deployment = dep.deployment_create(
                actor=users["planner"],
                title=title,
                use_case=UseCase.CRIME_HOTSPOT,
                purpose="Locate people wanted for robbery and violent offences.",
                justification=(
                    "Robbery up 40% this quarter; patrols and CCTV review have not located "
                    "the wanted people; a short, signed deployment is the least intrusive "
                    "step left."
                ),
                location_name=location,
                borough=borough,
                latitude=lat,
                longitude=lon,
                radius_m=150,
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                expected_faces=15000,
            )
            for i, kind in enumerate(docs):
                dep.deployment_document_set(
                    actor=users["planner"],
                    deployment=deployment,
                    kind=kind,
                    reference=f"{kind.upper()}-2026-{deployment.pk:03d}-{i}",
                    issued_on=timezone.localdate() - timedelta(days=60),
                    review_by=timezone.localdate() + timedelta(days=300),
                )
            for camera in camera_list:
                dep.deployment_camera_add(
                    actor=users["planner"], deployment=deployment, camera=camera
                )
            return deployment

        def build_watchlist(deployment, count):
            """Entries with real reference photographs (never the one the video shows),
            enrolled here by the real engine, approved and authorised."""
            root = Path(self.truth["faces_root"])
            people = self.truth["watchlist"][:count]
            ids = []
            for i, person in enumerate(people):
                photo = root / person["reference_images"][0]
                entry = wl.watchlist_entry_add(
                    actor=users["watchlist"],
                    watchlist=deployment.watchlist,
                    reference_image=ContentFile(photo.read_bytes(), name=photo.name),
                    display_name=demo_name(person["identity"]),
                    category=[EntryCategory.WANTED, EntryCategory.SUSPECT][i % 2],
                    reason="Wanted on warrant for robbery.",
                    legal_basis="Warrant issued by Highbury Corner Magistrates' Court",
                    reference_number=f"DEMO/{deployment.pk:03d}/{i:04d}",
                    image_source="Custody record",
                    image_date=timezone.localdate() - timedelta(days=100 + i),
                )
                ids.append(entry.pk)
            enrol_entry_ids(ids)
            for entry in deployment.watchlist.entries.all():
                wl.watchlist_entry_approve(actor=users["watchlist2"], entry=entry)
            wl.watchlist_approve(actor=users["ao2"], watchlist=deployment.watchlist)

        # Awaiting approval tomorrow.
        pending = draft(
            "Camden Town robbery hotspot",
            "Camden",
            "Camden High Street, outside the Underground station",
            51.5392,
            -0.1426,
            now + timedelta(days=1),
            8,
            cameras[:2],
        )
        build_watchlist(pending, 3)
        dep.deployment_submit(actor=users["planner"], deployment=pending)

        # A draft the planner is still writing.
        draft(
            "Wembley Stadium cup final",
            "Brent",
            "Olympic Way",
            51.5560,
            -0.2795,
            now + timedelta(days=10),
            6,
            [],
        )

        # Approved, window open now, signs up, ready for the operator to start.
        ready = draft(
            "Oxford Circus shopping day",
            "Westminster",
            "Oxford Circus, north-east corner",
            51.5154,
            -0.1416,
            now - timedelta(minutes=30),
            10,
            cameras[2:],
        )
        build_watchlist(ready, 5)
        ready = dep.deployment_submit(actor=users["planner"], deployment=ready)
        ready = dep.deployment_approve(actor=users["ao"], deployment=ready)
        dep.deployment_operator_assign(
            actor=users["planner"], deployment=ready, operator=users["operator"]
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
        wl.watchlist_finalise(actor=users["watchlist"], watchlist=ready.watchlist)
