"""The past year written in bulk: deployments, their records and their audit rows.

The services check against the clock (a window that has ended cannot be submitted), so
past records are inserted directly, each satisfying the rules the services enforce at
its historical time; the audit rows still go through the audit service, in time order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ..engines import ENGINE_PROFILES
from ..models import (
    Adjudication,
    Alert,
    DeletionRecord,
    Deployment,
    DeploymentDocument,
    DeploymentStatus,
    EntryCategory,
    LeafletRecord,
    RetentionCategory,
    SignageRecord,
    UseCase,
    Watchlist,
    WatchlistEntry,
    WatchlistReferenceRecord,
)
from ..selectors.retention import alert_rule
from ..services.audit import audit_record
from .after import demo_after_seed
from .data import ENGINE, SEEDED_NOTE
from .eu import SOUGHT, eu_history_record, eu_pool_category, eu_purpose_fields
from .lifecycle import PastLifecycle
from .plan import Plan, rejection
from .records import deletion_record
from .state import fake_digest
from .where import where_case

# What the lifecycle changes on a deployment after it was inserted as a draft.
LIFECYCLE_FIELDS = [
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
]
WATCHLIST_FIELDS = [
    "status",
    "approved_by",
    "approved_at",
    "finalised_by",
    "finalised_at",
    "destroyed_at",
]
# This database's calibration record is dated when it was installed, after these
# approvals; the approver relied on the engine's published calibration.
CALIBRATION_OVERRIDE = (
    "Approved on the engine's published calibration (FMR 0 of 246,460 "
    "impostor pairs at 0.500), recorded before this system held "
    "calibration records."
)


class PastWriter(PastLifecycle):
    def _write_past(self, plans: list[Plan]) -> None:
        profile = ENGINE_PROFILES[ENGINE]
        drafts = []
        for plan in plans:
            if plan.threshold < profile.floor:
                raise RuntimeError("the demo history broke the threshold floor")
            drafts.append(self._draft(plan))
        Deployment.objects.bulk_create(drafts)
        deployments = list(Deployment.objects.filter(public_id__in=[p.public_id for p in plans]))
        by_id = {d.public_id: d for d in deployments}
        for deployment in deployments:
            # Creation as it happened, not the time of seeding (bulk_create stamps now).
            deployment.created_at = self.created_at[deployment.public_id]
        pool = self._reference_pool()
        for plan in plans:
            self._past_one(plan, by_id[plan.public_id], pool)
        Deployment.objects.bulk_update(deployments, LIFECYCLE_FIELDS)
        self._flush_bulk()
        demo_after_seed(self, deployments)
        self._write_audit()
        # After the history's own rows: the EU services write theirs as they are called.
        eu_history_record(self.eu_authorised)

    def _draft(self, plan: Plan) -> Deployment:
        rng = self.rng
        created = plan.starts_at - timedelta(days=rng.randint(12, 30), hours=rng.randint(0, 5))
        self.created_at[plan.public_id] = created
        return Deployment(
            public_id=plan.public_id,
            title=plan.title,
            status=DeploymentStatus.DRAFT,
            use_case=plan.use_case,
            purpose=plan.purpose,
            justification=plan.justification,
            location_name=plan.place,
            borough=plan.borough,
            latitude=Decimal(f"{plan.latitude:.6f}"),
            longitude=Decimal(f"{plan.longitude:.6f}"),
            radius_m=600 if "radius" in rejection(plan) else rng.choice([100, 150, 200]),
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            engine=ENGINE,
            threshold=plan.threshold,
            expected_faces=round(plan.faces, -3),
            calibration_override_reason=CALIBRATION_OVERRIDE,
            created_by=plan.planner,
            **where_case(plan.title.split(":")[0], plan.place, plan.index),
            **eu_purpose_fields(
                [EntryCategory.MISSING_OR_VULNERABLE]
                if plan.use_case == UseCase.MISSING_OR_VULNERABLE
                else SOUGHT
            ),
        )

    def _reference_pool(self) -> list[tuple[str, str]]:
        rng = self.rng
        categories = [
            EntryCategory.WANTED,
            EntryCategory.SUSPECT,
            EntryCategory.RISK,
        ]
        return [
            (f"DEMO/{n:05d}", eu_pool_category(rng.choices(categories, weights=[60, 32, 8])[0]))
            for n in range(1, 6000)
        ]

    # --- writing ----------------------------------------------------------------

    def _flush_bulk(self) -> None:
        DeploymentDocument.objects.bulk_create(self.documents)
        SignageRecord.objects.bulk_create(self.signs)
        LeafletRecord.objects.bulk_create(self.leaflets)
        Alert.objects.bulk_create(self.alerts)
        self._alert_image_deletions(self._alert_events())
        DeletionRecord.objects.bulk_create(self.deletions)
        WatchlistReferenceRecord.objects.bulk_create(self.references)
        Watchlist.objects.bulk_update(self.watchlists, WATCHLIST_FIELDS)
        entries = WatchlistEntry.objects.filter(watchlist__in=self.watchlists)
        for when in {w.destroyed_at for w in self.watchlists}:
            entries.filter(watchlist__destroyed_at=when).update(biometrics_destroyed_at=when)
        SignageRecord.objects.bulk_update(self.signs, ["removed_at"])
        self._backdate()

    def _alert_events(self) -> dict[Deployment, dict[datetime, list[Alert]]]:
        """Each alert's raise, stored crop and adjudication; returns the retention runs
        that deleted their images, by deployment."""
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
        return runs

    def _alert_image_deletions(self, runs: dict[Deployment, dict[datetime, list[Alert]]]) -> None:
        """Alert images deleted by retention: one record per deployment, one audit row
        per retention run that took some."""
        rule = alert_rule()
        for deployment, by_run in runs.items():
            hashes = sorted(fake_digest(self.rng) for _ in range(sum(map(len, by_run.values()))))
            record = deletion_record(
                deployment, RetentionCategory.ALERT_IMAGES, rule, hashes, list(by_run)
            )
            self.deletions.append(record)
            for when, alerts in sorted(by_run.items()):
                self._retention_run(when, record, deployment, len(alerts))

    def _backdate(self) -> None:
        """Creation times as they were, not the time of seeding."""
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
