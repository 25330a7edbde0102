"""The deployments ahead, written through the services: approved and announced, and one
awaiting the authorising officer's decision."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from django.contrib.auth.models import User
from django.utils import timezone

from ..models import Deployment, Role, UseCase, WatchlistEntry
from ..services import deployment_staff as staff
from ..services import deployments as deployment_services
from ..services import watchlists as watchlist_services
from ..services.audit import audit_record
from .data import (
    EMBEDDING_DIMENSIONS,
    EVENT_PURPOSES,
    FACES_PER_DEPLOYMENT,
    HOTSPOT_PURPOSES,
    PLACES,
    SEEDED_NOTE,
)
from .eu import SOUGHT, eu_authorise, eu_purpose_fields
from .past import PastWriter
from .policies import demo_policy_library_ensure, demo_policy_pins
from .records import approved_entry, document_kinds, document_reference, entry_summary, issue_year
from .state import local_time
from .where import where_case

# (purpose label, borough, days ahead, start hour, hours); the last awaits a decision.
FUTURE = [
    ("Robbery hotspot", "Croydon", 6, 11, 7),
    ("Match day", "Newham", 13, 12, 5),
    ("Night-time economy", "Westminster", 20, 20, 6),
    ("Violence and knife crime", "Hackney", 27, 10, 7),
    ("Robbery hotspot", "Lewisham", 34, 11, 6),
]


class FutureWriter(PastWriter):
    def _write_future(self, now: datetime) -> None:
        """Deployments ahead: approved and announced, and one awaiting a decision."""
        rng = self.rng
        aos = self.by_role(Role.AUTHORISING_OFFICER)
        planners = self.by_role(Role.DEPLOYMENT_PLANNER)
        adder, approver = self.by_role(Role.WATCHLIST_MANAGER)[:2]
        operators = self.by_role(Role.OPERATOR)
        today = timezone.localdate(now)
        policies = demo_policy_library_ensure(aos[0])
        for n, spec in enumerate(FUTURE):
            planner = planners[n % len(planners)]
            deployment = self._future_submitted(n, spec, today, planner)
            demo_policy_pins(planner, deployment, policies)
            if n == len(FUTURE) - 1:
                continue  # awaiting the authorising officer's decision
            self._future_watchlist(deployment, adder, approver, rng.randint(150, 600))
            ao = aos[n % len(aos)]
            watchlist_services.watchlist_approve(actor=ao, watchlist=deployment.watchlist)
            deployment = deployment_services.deployment_approve(actor=ao, deployment=deployment)
            eu_authorise(deployment, requester=planner, ao=ao)
            staff.deployment_operator_assign(
                actor=planner, deployment=deployment, operator=operators[n % len(operators)]
            )

    def _future_submitted(
        self, n: int, spec: tuple[str, str, int, int, int], today: date, planner: User
    ) -> Deployment:
        """Drafted with its documents and cameras, and submitted, through the services."""
        label, borough, days_ahead, hour, hours = spec
        place = next(p for p in PLACES if p[0] == borough)
        purpose = next(p for p in (*HOTSPOT_PURPOSES, *EVENT_PURPOSES) if p[0] == label)
        starts = local_time(today + timedelta(days=days_ahead), hour)
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
            **where_case(label, place[1], 900 + n),
            **eu_purpose_fields(SOUGHT),
        )
        year = issue_year(today)
        for kind in document_kinds():
            deployment_services.deployment_document_set(
                actor=planner,
                deployment=deployment,
                kind=kind,
                reference=document_reference(kind, year),
                issued_on=date(year, 4, 1),
                review_by=max(date(year + 1, 4, 30), today + timedelta(days=90)),
            )
        for camera in self.cameras[2 * (n % 3) : 2 * (n % 3) + 2]:
            deployment_services.deployment_camera_add(
                actor=planner, deployment=deployment, camera=camera
            )
        return deployment_services.deployment_submit(actor=planner, deployment=deployment)

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
            vector = generator.standard_normal(EMBEDDING_DIMENSIONS).astype(np.float32)
            vector /= np.linalg.norm(vector)
            entries.append(
                approved_entry(
                    deployment.watchlist,
                    reference,
                    category,
                    image_date=timezone.localdate(now) - timedelta(days=self.rng.randint(20, 700)),
                    added_by=adder,
                    approved_by=approver,
                    approved_at=now,
                    embedding=vector.tobytes(),
                )
            )
        WatchlistEntry.objects.bulk_create(entries)
        # Summarised as for the past lists: one row per step, naming every entry.
        summary = {**entry_summary(entries), "seeded": SEEDED_NOTE}
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
