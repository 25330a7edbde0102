"""One past deployment's life, step by step as the services would have recorded it:
drafted, submitted, decided, signed, live and ended, or stopped on the way."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from ..models import (
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    Watchlist,
    WatchlistEntry,
    WatchlistStatus,
)
from ..permissions import grant_operator
from ..services import deployments as deployment_services
from ..services.common import jsonable
from .data import CANCELLATION_REASONS
from .eu import PastAuthorisation
from .plan import Plan, rejection
from .records import PastRecords, end

S = DeploymentStatus
POSITIONS = ["Van mast, facing the station exit", "Van mast, facing the crossing"]


class PastLifecycle(PastRecords):
    def _past_one(self, plan: Plan, deployment: Deployment, pool: list[tuple[str, str]]) -> None:
        bookings, watchlist, submitted = self._drafted(plan, deployment)
        if plan.kind == "rejected":
            self._rejected(plan, deployment, watchlist, submitted)
            return
        entries, decided = self._authorised(plan, deployment, watchlist, pool)
        if plan.kind == "cancelled":
            cancelled = decided + (plan.starts_at - decided) * self.rng.uniform(0.3, 0.8)
            reason = CANCELLATION_REASONS[plan.index % len(CANCELLATION_REASONS)]
            end(deployment, S.CANCELLED, plan.planner, cancelled, reason, early=False)
            self.event(cancelled, plan.planner, "deployment.cancel", deployment, reason=reason)
            self._destroy_watchlist(deployment, watchlist, entries, cancelled)
            return
        went_live = self._gone_live(plan, deployment, watchlist, bookings)
        ended = self._ran(plan, deployment, bookings, entries, went_live)
        self._signs_removed(plan, deployment, ended)
        self._destroy_watchlist(deployment, watchlist, entries, ended)

    def _drafted(
        self, plan: Plan, deployment: Deployment
    ) -> tuple[list[DeploymentCamera], Watchlist, datetime]:
        """Created, documented, cameras booked, an empty watchlist, then submitted."""
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
                deployment=deployment, camera=camera, position=POSITIONS[i]
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
        return bookings, watchlist, submitted

    def _rejected(
        self, plan: Plan, deployment: Deployment, watchlist: Watchlist, submitted: datetime
    ) -> None:
        decided = submitted + timedelta(days=1, hours=self.rng.randint(1, 6))
        reason = rejection(plan)
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

    def _authorised(
        self,
        plan: Plan,
        deployment: Deployment,
        watchlist: Watchlist,
        pool: list[tuple[str, str]],
    ) -> tuple[list[WatchlistEntry], datetime]:
        """Entries added and approved, the list and the deployment authorised, an operator."""
        rng = self.rng
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
        self.eu_authorised.append(PastAuthorisation(deployment, plan.planner, plan.ao, decided))
        grant_operator(plan.operator, deployment)
        self.event(
            decided + timedelta(minutes=40),
            plan.planner,
            "deployment.operator_assign",
            deployment,
            changes={"operator": plan.operator.get_username()},
        )
        return entries, decided

    def _gone_live(
        self,
        plan: Plan,
        deployment: Deployment,
        watchlist: Watchlist,
        bookings: list[DeploymentCamera],
    ) -> datetime:
        """On the day: signs and leaflets first, the list finalised, then live."""
        rng = self.rng
        self._signage(plan, deployment, plan.starts_at - timedelta(minutes=rng.randint(35, 80)))
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
        return went_live

    def _ran(
        self,
        plan: Plan,
        deployment: Deployment,
        bookings: list[DeploymentCamera],
        entries: list[WatchlistEntry],
        went_live: datetime,
    ) -> datetime:
        """Faces, alerts and the end: the window ran out, or it was stopped or cancelled."""
        rng = self.rng
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
            end(deployment, S.COMPLETED, plan.operator, ended, reason, early=True)
            self.event(ended, plan.operator, "deployment.stop", deployment, reason=reason)
        elif plan.kind == "cancelled_live":
            end(deployment, S.CANCELLED, plan.ao, ended, reason, early=True)
            self.event(ended, plan.ao, "deployment.cancel", deployment, reason=reason)
        else:
            end(deployment, S.COMPLETED, None, ended, reason, early=False)
            self.event(ended, None, "deployment.complete", deployment, reason=reason)
        return ended

    def _signs_removed(self, plan: Plan, deployment: Deployment, ended: datetime) -> None:
        for sign in self.signs_of(deployment):
            sign.removed_at = ended + timedelta(minutes=self.rng.randint(15, 50))
            self.event(
                sign.removed_at,
                plan.field_officer,
                "signage.remove",
                sign,
                deployment=deployment,
                changes={"removed_at": jsonable(sign.removed_at)},
            )
