"""The records a past deployment leaves: documents, watchlist entries, signs and leaflets,
camera counts, alerts with their decisions, and what retention destroyed afterwards."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from ..models import (
    REQUIRED_DOCUMENTS,
    REQUIRED_DOCUMENTS_EU,
    Adjudication,
    Alert,
    CameraState,
    DeletionRecord,
    Deployment,
    DeploymentCamera,
    DeploymentDocument,
    EnrolmentState,
    EntryCategory,
    EntryStatus,
    LeafletRecord,
    Outcome,
    RetentionCategory,
    SignageRecord,
    UseCase,
    Watchlist,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from ..selectors.retention import WATCHLIST_RULE
from ..services.common import jsonable
from .data import (
    ALERTS_PER_FACE,
    ARREST_SHARE_OF_CONFIRMED,
    ENGINE,
    ENTRY_DETAILS,
    MISSING_OUTCOMES,
    OTHER_OUTCOMES,
)
from .plan import Plan
from .state import HistoryState, fake_digest
from .where import offence_years


def document_kinds() -> list[str]:
    kinds = list(REQUIRED_DOCUMENTS)
    if settings.LFR_EU_AI_ACT_MODE:
        kinds += list(REQUIRED_DOCUMENTS_EU)
    return kinds


def issue_year(day: date) -> int:
    """The force's documents are reissued each spring: the year of the issue in force."""
    return day.year if (day.month, day.day) >= (4, 1) else day.year - 1


def document_reference(kind: str, issue_year: int) -> str:
    """The force-wide document of that year, e.g. DPIA/LFR/2025-26."""
    return f"{kind.upper().replace('_', '-')}/LFR/{issue_year}-{issue_year + 1 - 2000}"


def approved_entry(
    watchlist: Watchlist,
    reference: str,
    category: str,
    *,
    image_date: date,
    added_by: User,
    approved_by: User,
    approved_at: datetime,
    embedding: bytes | None = None,
) -> WatchlistEntry:
    """An enrolled, approved entry known by its reference number only: no name, no photo."""
    reason, basis, source = ENTRY_DETAILS[EntryCategory(category)]
    return WatchlistEntry(
        watchlist=watchlist,
        status=EntryStatus.APPROVED,
        display_name=f"Subject {reference}",
        category=category,
        reason=reason,
        legal_basis=basis,
        offence_max_sentence_years=offence_years(category),
        reference_number=reference,
        image_source=source,
        image_date=image_date,
        enrolment_state=EnrolmentState.ENROLLED,
        enrolment_message="Enrolled.",
        embedding=embedding,
        embedding_engine=ENGINE,
        added_by=added_by,
        approved_by=approved_by,
        approved_at=approved_at,
    )


def entry_summary(entries: list[WatchlistEntry]) -> dict[str, object]:
    """One audit row's account of a whole list's entries, where the service writes one each."""
    return {
        "entries": len(entries),
        "reference_numbers": [entry.reference_number for entry in entries],
        "under_18": 0,
        "per_entry_rows": False,
    }


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def retention_tick(due: datetime) -> datetime:
    """The first 15-minute retention run after `due` (celery beat's apply-retention)."""
    tick = 15 * 60
    seconds = int(due.timestamp())
    return datetime.fromtimestamp(seconds - seconds % tick + tick, tz=due.tzinfo) + timedelta(
        seconds=40
    )


def deletion_record(
    deployment: Deployment, category: str, rule: str, hashes: list[str], when: list[datetime]
) -> DeletionRecord:
    """The record retention keeps of what it deleted: counts and digests, never the items."""
    return DeletionRecord(
        deployment=deployment,
        category=category,
        rule=rule,
        count=len(hashes),
        files_removed=len(hashes),
        item_hashes=hashes,
        digest=hashlib.sha256("\n".join(hashes).encode()).hexdigest(),
        first_deleted_at=min(when),
        last_deleted_at=max(when),
    )


def end(
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


class PastRecords(HistoryState):
    def _documents(self, deployment: Deployment, planner: User, when: datetime) -> None:
        year = issue_year(timezone.localdate(deployment.starts_at))
        # Each document in date for the window.
        issued = min(date(year, 4, 1), timezone.localdate(when))
        review = date(year + 1, 4, 30)
        for i, kind in enumerate(document_kinds()):
            reference = document_reference(kind, year)
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
        plan: Plan,
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
        entries = [
            approved_entry(
                watchlist,
                reference,
                category,
                image_date=timezone.localdate(added) - timedelta(days=rng.randint(20, 700)),
                added_by=plan.adder,
                approved_by=plan.approver,
                approved_at=approved + timedelta(seconds=4 * i),
            )
            for i, (reference, category) in enumerate(people)
        ]
        WatchlistEntry.objects.bulk_create(entries)
        # One row per watchlist and step, naming every entry, where the service writes
        # one per entry: hundreds of entries on each of fifty lists would make seeding
        # take minutes. Who added and who approved stays on the record (four eyes).
        summary = entry_summary(entries)
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

    def _signage(self, plan: Plan, deployment: Deployment, when: datetime) -> None:
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
        plan: Plan,
        deployment: Deployment,
        bookings: list[DeploymentCamera],
        entries: list[WatchlistEntry],
        went_live: datetime,
        ended: datetime,
        faces: int,
    ) -> None:
        rng = self.rng
        expected = faces * ALERTS_PER_FACE
        count = min(len(entries), poisson(rng, expected))
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
            deleted = retention_tick(captured + settings.LFR_ALERT_RETENTION)
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

    def _decision(self, plan: Plan) -> tuple[str, str, str]:
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

    def _destroy_watchlist(
        self,
        deployment: Deployment,
        watchlist: Watchlist,
        entries: list[WatchlistEntry],
        ended: datetime,
    ) -> None:
        when = retention_tick(ended)
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
        hashes = sorted(fake_digest(rng) for _ in entries)
        record = deletion_record(
            deployment, RetentionCategory.WATCHLIST_BIOMETRICS, WATCHLIST_RULE, hashes, [when]
        )
        self.deletions.append(record)
        self._retention_run(when, record, deployment, len(entries))

    def _retention_run(
        self, when: datetime, record: DeletionRecord, deployment: Deployment, count: int
    ) -> None:
        """The audit row of one retention run that deleted `count` items under `record`."""
        self.event(
            when,
            None,
            "retention.delete",
            record,
            deployment=deployment,
            reason=record.rule,
            changes={"category": record.category, "count": count, "files_removed": count},
        )
