"""Retention: every rule that deletes personal data, in one module.

Each rule finds what is due and deletes it in short batches (one deployment at a
time, at most LFR_RETENTION_BATCH_SIZE items). One transaction per batch hashes the
files, clears the rows, notes the files as pending deletion, updates the deployment's
deletion record and writes the audit row; the files are removed from storage after
it commits. A run killed at any point leaves either the batch untouched or its notes
behind, and the next run finishes them: it ends where one clean run would.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..models import (
    Alert,
    AlertCropPending,
    AlertHold,
    DeletionRecord,
    Deployment,
    DeploymentStatus,
    Engagement,
    EntryReference,
    EntryStatus,
    RetentionCategory,
    SignageRecord,
    Watchlist,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
    WebhookDelivery,
)
from ..selectors.eu_mode import forfeited_deployments, log_retention
from ..selectors.retention import (
    WATCHLIST_RULE,
    WEBHOOK_RULE,
    alert_rule,
    days,
    due_alert_images,
    due_refused_alerts,
    due_signage_photos,
    due_watchlists,
    due_webhook_deliveries,
    forfeit_rule,
    signage_rule,
)
from .audit import audit_prune, audit_record
from .stored_files import note_files, sweep_orphan_files, sweep_pending_files

C = RetentionCategory
Result = TypeVar("Result")
Item = TypeVar("Item", Alert, SignageRecord)


@dataclass(frozen=True)
class RuleStatement:
    category: str
    what: str
    period: str
    setting: str


def rule_statements() -> list[RuleStatement]:
    """The rules in words, with the values in force, for the compliance officer's page."""
    return _image_rules() + _record_rules()


def _image_rules() -> list[RuleStatement]:
    return [
        RuleStatement(
            "non_matching_faces",
            "Faces that do not match the watchlist",
            "Never stored: discarded in the recognition worker's memory at once; only "
            "counts of faces processed are kept.",
            "(fixed)",
        ),
        RuleStatement(
            C.ALERT_IMAGES,
            C.ALERT_IMAGES.label,
            f"Deleted {days(settings.LFR_ALERT_RETENTION):g} days after capture, unless an "
            "authorising officer (or the arresting officer, with the custody reference) has "
            "placed a hold for proceedings with a reason and a review date; holders are "
            f"reminded {settings.LFR_HOLD_REMINDER_DAYS} days before it, and a hold lapses "
            "when its review date passes without an extension.",
            "LFR_ALERT_RETENTION_DAYS",
        ),
        RuleStatement(
            C.WATCHLIST_BIOMETRICS,
            C.WATCHLIST_BIOMETRICS.label,
            "Destroyed as soon as the deployment has ended or is cancelled, and "
            f"{settings.LFR_WATCHLIST_DESTROY_AFTER.total_seconds() / 3600:g} hours after "
            "its authorisation is refused. The reference numbers that were on the list are "
            "kept, without images, so a person can later be told whether they were on it.",
            "LFR_WATCHLIST_DESTROY_AFTER_HOURS",
        ),
        RuleStatement(
            C.SIGNAGE_PHOTOS,
            C.SIGNAGE_PHOTOS.label,
            f"Deleted {days(settings.LFR_SIGNAGE_PHOTO_RETENTION):g} days after the sign "
            "was put up.",
            "LFR_SIGNAGE_PHOTO_RETENTION_DAYS",
        ),
    ]


def _record_rules() -> list[RuleStatement]:
    return [
        RuleStatement(
            C.DEPLOYMENT_DATA,
            C.DEPLOYMENT_DATA.label,
            "EU AI Act mode: when the independent authority refuses, or an urgent "
            "deployment has no granted decision "
            f"{settings.LFR_EU_URGENT_AUTHORISATION_WINDOW.total_seconds() / 3600:g} hours "
            "after it went live, all its alerts, their images and engagements, and the "
            "watchlist's biometrics are deleted at once.",
            "LFR_EU_AI_ACT_MODE",
        ),
        RuleStatement(
            C.AUDIT_ROWS,
            C.AUDIT_ROWS.label,
            f"Kept {days(log_retention(settings.LFR_AUDIT_RETENTION)):g} days, then removed "
            "oldest first, "
            "leaving a signed checkpoint of what was removed.",
            "LFR_AUDIT_RETENTION_DAYS",
        ),
        RuleStatement(
            C.WEBHOOK_DELIVERIES,
            C.WEBHOOK_DELIVERIES.label,
            "An event's image, where sending images is switched on, is dropped as soon as it "
            "is delivered or given up on; the record itself (ids, times, categories) is "
            f"deleted {days(log_retention(settings.LFR_WEBHOOK_DELIVERY_RETENTION)):g} days "
            "after it was made (in EU AI Act mode at least LFR_EU_LOG_RETENTION_DAYS).",
            "LFR_WEBHOOK_DELIVERY_RETENTION_DAYS",
        ),
        RuleStatement(
            "statistics",
            "Statistics (counts, adjudication results)",
            "Kept: they hold no personal data.",
            "(fixed)",
        ),
    ]


# --- deleting ---------------------------------------------------------------------


def _batch(transactional: Callable[[], Result]) -> Result:
    """Run one batch in its own transaction, then remove the files it let go of."""
    with transaction.atomic():
        result = transactional()
    sweep_pending_files()
    return result


def _record_deletion(
    *,
    deployment: Deployment | None,
    category: str,
    rule: str,
    count: int,
    hashes: list[str],
    files_removed: int,
    now: datetime,
) -> DeletionRecord:
    record, _ = DeletionRecord.objects.select_for_update().get_or_create(
        deployment=deployment,
        category=category,
        defaults={"rule": rule, "first_deleted_at": now, "last_deleted_at": now},
    )
    record.rule = rule
    record.count += count
    record.files_removed += files_removed
    record.item_hashes = sorted(set(record.item_hashes) | set(hashes))
    record.digest = hashlib.sha256("\n".join(record.item_hashes).encode()).hexdigest()
    record.last_deleted_at = now
    record.save()
    audit_record(
        actor=None,
        action="retention.delete",
        obj=record,
        deployment=deployment,
        reason=rule,
        changes={"category": category, "count": count, "files_removed": files_removed},
    )
    return record


def _batch_by_deployment(queryset: QuerySet[Item], size: int) -> list[Item] | None:
    """One deployment's due items, at most `size` of them, or None when nothing is due."""
    first = queryset.order_by("pk").values_list("deployment_id", flat=True).first()
    if first is None:
        return None
    return list(queryset.filter(deployment_id=first).order_by("pk")[:size])


def _delete_images(
    records: Sequence[Item],
    *,
    field: str,
    category: str,
    rule: str,
    now: datetime,
    also: Callable[[Sequence[Item]], list[str]] | None = None,
) -> None:
    """Let go of one image field on a batch of one deployment's records; keep the rows."""

    def work() -> None:
        hashes, removed = note_files(getattr(record, field) for record in records)
        if also is not None:
            held = also(records)
            hashes += held
            removed += len(held)
        type(records[0]).objects.filter(pk__in=[r.pk for r in records]).update(
            **{field: "", f"{field}_deleted_at": now}
        )
        _record_deletion(
            deployment=records[0].deployment,
            category=category,
            rule=rule,
            count=len(records),
            hashes=hashes,
            files_removed=removed,
            now=now,
        )

    _batch(work)


def _delete_alert_images(alerts: Sequence[Alert], *, rule: str, now: datetime) -> None:
    _delete_images(
        alerts,
        field="crop",
        category=C.ALERT_IMAGES,
        rule=rule,
        now=now,
        also=_drop_held_crops,
    )


def _drop_held_crops(alerts: Sequence[Alert]) -> list[str]:
    """Let go of crops still held in the database for the media store; their SHA-256s."""
    held = AlertCropPending.objects.filter(alert__in=[a.pk for a in alerts])
    jpegs = held.values_list("jpeg", flat=True)
    hashes = [hashlib.sha256(bytes(jpeg)).hexdigest() for jpeg in jpegs]
    held.delete()
    return hashes


def _delete_signage_photos(records: Sequence[SignageRecord], *, rule: str, now: datetime) -> None:
    _delete_images(records, field="photo", category=C.SIGNAGE_PHOTOS, rule=rule, now=now)


def _destroy_watchlist_batch(
    watchlist: Watchlist, *, rule: str, now: datetime, size: int
) -> tuple[bool, int]:
    """Destroy up to `size` entries' biometrics; True when the watchlist is finished."""

    def work() -> tuple[bool, int]:
        locked = Watchlist.objects.select_for_update().get(pk=watchlist.pk)
        entries = list(
            locked.entries.filter(biometrics_destroyed_at__isnull=True).order_by("pk")[:size]
        )
        hashes, removed = note_files(entry.reference_image for entry in entries)
        # The entries' further photographs go with them, in the same batch.
        references = list(
            EntryReference.objects.filter(
                entry__in=[e.pk for e in entries], biometrics_destroyed_at__isnull=True
            ).order_by("pk")
        )
        more_hashes, more_removed = note_files(r.image for r in references)
        hashes, removed = hashes + more_hashes, removed + more_removed
        EntryReference.objects.filter(pk__in=[r.pk for r in references]).update(
            image="",
            embedding=None,
            embedding_engine="",
            enrolment_message="",
            biometrics_destroyed_at=now,
        )
        for entry in entries:
            if entry.status == EntryStatus.APPROVED:
                WatchlistReferenceRecord.objects.get_or_create(
                    deployment_id=locked.deployment_id,
                    reference_number=entry.reference_number,
                    defaults={"category": entry.category},
                )
        WatchlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            reference_image="", embedding=None, biometrics_destroyed_at=now
        )
        finished = not locked.entries.filter(biometrics_destroyed_at__isnull=True).exists()
        if finished:
            locked.status = WatchlistStatus.DESTROYED
            locked.destroyed_at = now
            locked.save(update_fields=["status", "destroyed_at", "updated_at"])
        # Each entry and each further photograph is one item of biometric data destroyed.
        count = len(entries) + len(references)
        if entries or finished:
            _record_deletion(
                deployment=locked.deployment,
                category=C.WATCHLIST_BIOMETRICS,
                rule=rule,
                count=count,
                hashes=hashes,
                files_removed=removed,
                now=now,
            )
        return finished, count

    return _batch(work)


def _delete_refused_alerts(alerts: Sequence[Alert], *, rule: str, now: datetime) -> None:
    def work() -> None:
        hashes, removed = note_files(alert.crop for alert in alerts)
        held = _drop_held_crops(alerts)
        hashes, removed = hashes + held, removed + len(held)
        deployment = alerts[0].deployment
        AlertHold.objects.filter(alert__in=alerts).delete()
        # What officers did on the alerts is an output of the use too (Art. 5(3)).
        Engagement.objects.filter(alert__in=alerts).delete()
        Alert.objects.filter(pk__in=[a.pk for a in alerts]).delete()
        _record_deletion(
            deployment=deployment,
            category=C.DEPLOYMENT_DATA,
            rule=rule,
            count=len(alerts),
            hashes=hashes,
            files_removed=removed,
            now=now,
        )

    _batch(work)


def retention_delete_deployment_data(
    *, deployment_id: int, now: datetime | None = None
) -> dict[str, int]:
    """EU AI Act mode: everything one refused or lapsed deployment produced, now: its
    alerts with their images and engagements, and (once it has stopped) its watchlist's
    biometrics. Nothing for a deployment the rule does not cover. Idempotent."""
    now = now or timezone.now()
    size = settings.LFR_RETENTION_BATCH_SIZE
    done = {C.DEPLOYMENT_DATA.value: 0, C.WATCHLIST_BIOMETRICS.value: 0}
    deployment = forfeited_deployments(now).filter(pk=deployment_id).first()
    if deployment is None:
        return done
    sweep_pending_files()
    rule = forfeit_rule(deployment)
    alerts = Alert.objects.filter(deployment=deployment).order_by("pk")
    while batch := list(alerts[:size]):
        _delete_refused_alerts(batch, rule=rule, now=now)
        done[C.DEPLOYMENT_DATA] += len(batch)
    watchlist = getattr(deployment, "watchlist", None)
    ended = deployment.status in (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED)
    if ended and watchlist is not None and watchlist.status != WatchlistStatus.DESTROYED:
        finished = False
        while not finished:
            finished, count = _destroy_watchlist_batch(watchlist, rule=rule, now=now, size=size)
            done[C.WATCHLIST_BIOMETRICS] += count
    return done


def retention_apply(now: datetime | None = None) -> dict[str, int]:
    """Delete everything that is due. Returns {category: items deleted}."""
    now = now or timezone.now()
    size = settings.LFR_RETENTION_BATCH_SIZE
    done = dict.fromkeys(C.values, 0)
    sweep_pending_files()  # finish what a killed run left half done

    while batch := _batch_by_deployment(due_refused_alerts(now), size):
        _delete_refused_alerts(batch, rule=forfeit_rule(batch[0].deployment), now=now)
        done[C.DEPLOYMENT_DATA] += len(batch)

    while batch := _batch_by_deployment(due_alert_images(now), size):
        _delete_alert_images(batch, rule=alert_rule(), now=now)
        done[C.ALERT_IMAGES] += len(batch)

    for watchlist in due_watchlists(now):
        finished = False
        while not finished:
            finished, count = _destroy_watchlist_batch(
                watchlist, rule=WATCHLIST_RULE, now=now, size=size
            )
            done[C.WATCHLIST_BIOMETRICS] += count

    while photos := _batch_by_deployment(due_signage_photos(now), size):
        _delete_signage_photos(photos, rule=signage_rule(), now=now)
        done[C.SIGNAGE_PHOTOS] += len(photos)

    sweep_orphan_files(now)
    removed = audit_prune(before=now - log_retention(settings.LFR_AUDIT_RETENTION))
    if removed:
        with transaction.atomic():
            _record_deletion(
                deployment=None,
                category=C.AUDIT_ROWS,
                rule="audit rows past their retention (their hashes kept, removal on the log)",
                count=removed,
                hashes=[],
                files_removed=0,
                now=now,
            )
        done[C.AUDIT_ROWS] = removed
    done[C.WEBHOOK_DELIVERIES] = _delete_webhook_deliveries(now, size)
    return done


def _delete_webhook_deliveries(now: datetime, size: int) -> int:
    deleted = 0
    while ids := list(due_webhook_deliveries(now).values_list("pk", flat=True)[:size]):
        with transaction.atomic():
            count, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
            _record_deletion(
                deployment=None,
                category=C.WEBHOOK_DELIVERIES,
                rule=WEBHOOK_RULE,
                count=count,
                hashes=[],
                files_removed=0,
                now=now,
            )
        deleted += count
    return deleted
