"""Every retention rule deletes exactly what it should, files included, and nothing else."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted
from lfr_portal.models import (
    Alert,
    AuditEvent,
    DeletionRecord,
    EntryStatus,
    SignageRecord,
    WatchlistEntry,
    WatchlistReferenceRecord,
    WatchlistStatus,
)
from lfr_portal.selectors.retention import retention_state
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import entry_photos, eu_mode, retention
from lfr_portal.services import holds as hold_services
from tests import builders
from tests.factories import AlertFactory, SignageFactory
from tests.support.media import media_files, with_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(operator):
    """A live deployment with images everywhere, stopped, plus one still-live deployment."""
    ended = builders.live(operator)
    for entry in ended.watchlist.entries.all():
        with_file(entry.reference_image, "ref.jpg", f"reference {entry.pk}".encode())
        WatchlistEntry.objects.filter(pk=entry.pk).update(embedding=b"\x01" * 512)
    entry = ended.watchlist.entries.first()
    alerts = [
        AlertFactory(deployment=ended, camera=ended.cameras.first(), entry=entry) for _ in range(3)
    ]
    for alert in alerts:
        with_file(alert.crop, "crop.jpg", f"crop {alert.pk}".encode())
    sign = ended.signage.first()
    with_file(sign.photo, "sign.jpg", b"sign photo")
    lifecycle.deployment_stop(actor=operator, deployment=ended, reason="done")

    other_operator = type(operator).objects.create(username="op-other")
    other_operator.groups.add(*operator.groups.all())
    from lfr_portal.models import OfficerProfile

    OfficerProfile.objects.create(user=other_operator)
    running = builders.live(other_operator)
    for entry in running.watchlist.entries.all():
        with_file(entry.reference_image, "ref.jpg", b"running reference")
    live_alert = AlertFactory(
        deployment=running,
        camera=running.cameras.first(),
        entry=running.watchlist.entries.first(),
    )
    with_file(live_alert.crop, "crop.jpg", b"live crop")
    return {
        "ended": ended,
        "alerts": alerts,
        "sign": sign,
        "running": running,
        "live_alert": live_alert,
    }


def test_watchlist_biometrics_go_when_the_deployment_ends_and_references_remain(world):
    ended, running = world["ended"], world["running"]
    before = media_files()
    done = retention.retention_apply()
    assert done["watchlist_biometrics"] == 2
    ended.watchlist.refresh_from_db()
    assert ended.watchlist.status == WatchlistStatus.DESTROYED
    for entry in ended.watchlist.entries.all():
        assert entry.reference_image.name == "" and entry.embedding is None
    references = set(
        WatchlistReferenceRecord.objects.filter(deployment=ended).values_list(
            "reference_number", flat=True
        )
    )
    assert references == set(
        ended.watchlist.entries.filter(status=EntryStatus.APPROVED).values_list(
            "reference_number", flat=True
        )
    )
    # The running deployment's watchlist is untouched, and so is every other file.
    assert all(e.reference_image.name for e in running.watchlist.entries.all())
    removed = set(before) - set(media_files())
    assert len(removed) == 2 and all(name.startswith("watchlist/") for name in removed)
    record = DeletionRecord.objects.get(deployment=ended, category="watchlist_biometrics")
    assert record.count == 2 and record.files_removed == 2 and len(record.item_hashes) == 2
    assert AuditEvent.objects.filter(action="retention.delete").exists()


def test_alert_images_go_after_31_days_and_not_a_day_before(world):
    retention.retention_apply()  # the watchlists first
    before = media_files()
    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        assert retention.retention_apply()["alert_images"] == 0
    assert media_files() == before
    with time_machine.travel(timezone.now() + timedelta(days=31, minutes=1), tick=False):
        done = retention.retention_apply()
    assert done["alert_images"] == 4  # three of the ended deployment, one of the running one
    assert not [name for name in media_files() if name.startswith("alerts/")]
    assert Alert.objects.count() == 4  # statistics stay; only the images go
    assert set(Alert.objects.values_list("crop", flat=True)) == {""}


def test_a_hold_keeps_an_alert_past_31_days_and_a_lapsed_hold_lets_it_go(world, ao):
    held = world["alerts"][0]
    hold = hold_services.alert_hold_place(
        actor=ao,
        alert=held,
        reason="Evidence in R v Smith",
        review_by=timezone.localdate() + timedelta(days=60),
    )
    assert hold.alert == held
    with time_machine.travel(timezone.now() + timedelta(days=32), tick=False):
        retention.retention_apply()
    held.refresh_from_db()
    assert held.crop.name and held.crop_deleted_at is None
    assert Alert.objects.exclude(crop="").count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=62), tick=False):
        retention.retention_apply()
    held.refresh_from_db()
    assert held.crop.name == "" and held.crop_deleted_at is not None


def test_only_an_authorising_officer_places_a_hold(world, compliance):
    with pytest.raises(NotPermitted):
        hold_services.alert_hold_place(
            actor=compliance,
            alert=world["alerts"][0],
            reason="x",
            review_by=timezone.localdate() + timedelta(days=5),
        )


def test_a_released_hold_lets_the_image_go_and_is_on_the_trail(world, ao, operator):
    held = world["alerts"][0]
    hold = hold_services.alert_hold_place(
        actor=ao,
        alert=held,
        reason="Evidence in R v Jones",
        review_by=timezone.localdate() + timedelta(days=60),
    )
    with pytest.raises(NotPermitted):
        hold_services.alert_hold_release(actor=operator, hold=hold, reason="no longer needed")
    released = hold_services.alert_hold_release(actor=ao, hold=hold, reason="Case discontinued")
    assert released.released_at is not None and released.released_by == ao
    row = AuditEvent.objects.get(action="alert.hold_release")
    assert row.reason == "Case discontinued" and row.object_public_id == str(held.public_id)
    with pytest.raises(InvalidTransition):
        hold_services.alert_hold_release(actor=ao, hold=hold, reason="again")
    with time_machine.travel(timezone.now() + timedelta(days=32), tick=False):
        retention.retention_apply()
    held.refresh_from_db()
    assert held.crop.name == "" and held.crop_deleted_at is not None


def test_signage_photos_go_after_a_year(world):
    with time_machine.travel(timezone.now() + timedelta(days=364), tick=False):
        assert retention.retention_apply()["signage_photos"] == 0
    with time_machine.travel(timezone.now() + timedelta(days=366), tick=False):
        assert retention.retention_apply()["signage_photos"] == 1
    sign = SignageRecord.objects.get(pk=world["sign"].pk)
    assert sign.photo.name == "" and sign.photo_deleted_at is not None


def test_the_dry_run_deletes_nothing_and_says_why(world, capsys):
    before = media_files()
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert "would delete 2 × Watchlist reference images and embeddings" in out
    assert "destroyed after the deployment ended" in out
    assert media_files() == before
    assert not DeletionRecord.objects.exists()


def _state():
    return {
        "files": media_files(),
        "alerts": sorted(Alert.objects.values_list("pk", "crop", "crop_deleted_at")),
        "entries": sorted(
            WatchlistEntry.objects.values_list("pk", "reference_image", "biometrics_destroyed_at")
        ),
        "references": sorted(WatchlistReferenceRecord.objects.values_list("reference_number")),
        "records": sorted(
            DeletionRecord.objects.values_list("category", "count", "files_removed", "digest")
        ),
    }


def test_a_run_killed_midway_and_rerun_ends_like_one_clean_run(world, monkeypatch, settings):
    settings.LFR_RETENTION_BATCH_SIZE = 1
    later = timezone.now() + timedelta(days=400)
    original = retention._record_deletion
    calls = {"n": 0}

    def dies_on_the_third_batch(**kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            # Files of this batch are already gone; the transaction has not committed.
            raise KeyboardInterrupt("worker killed")
        return original(**kwargs)

    monkeypatch.setattr(retention, "_record_deletion", dies_on_the_third_batch)
    with time_machine.travel(later, tick=False):
        with pytest.raises(KeyboardInterrupt):
            retention.retention_apply()
        monkeypatch.setattr(retention, "_record_deletion", original)
        retention.retention_apply()
        interrupted = _state()
        # A second run finds nothing more to do.
        assert sum(retention.retention_apply().values()) == 0
    # Only the still-live deployment's reference images remain.
    running = {e.reference_image.name for e in world["running"].watchlist.entries.all()}
    assert set(interrupted["files"]) == running
    assert len(interrupted["references"]) == 2
    assert {r[0] for r in interrupted["records"]} == {
        "alert_images",
        "watchlist_biometrics",
        "signage_photos",
    }
    counts = {r[0]: 0 for r in interrupted["records"]}
    for category, count, _, _ in interrupted["records"]:
        counts[category] += count
    assert counts == {"alert_images": 4, "watchlist_biometrics": 2, "signage_photos": 1}


def test_interrupted_and_clean_runs_reach_the_same_state(operator, monkeypatch, settings):
    """Same data twice: once cleanly, once killed and rerun; the end states match."""
    settings.LFR_RETENTION_BATCH_SIZE = 1

    def build():
        deployment = builders.live(operator)
        for entry in deployment.watchlist.entries.all():
            with_file(entry.reference_image, "ref.jpg", b"ref")
        for _ in range(3):
            alert = AlertFactory(
                deployment=deployment,
                camera=deployment.cameras.first(),
                entry=deployment.watchlist.entries.first(),
            )
            with_file(alert.crop, "crop.jpg", b"crop")
        lifecycle.deployment_stop(actor=operator, deployment=deployment, reason="done")
        return deployment

    def normalised(state):
        return {
            "files": len(state["files"]),
            "alerts": [(bool(c), bool(d)) for _, c, d in state["alerts"]],
            "entries": [(bool(i), bool(d)) for _, i, d in state["entries"]],
            "references": len(state["references"]),
            "records": sorted((c, n, f) for c, n, f, _ in state["records"]),
        }

    later = timezone.now() + timedelta(days=40)
    build()
    with time_machine.travel(later, tick=False):
        retention.retention_apply()
    clean = normalised(_state())

    for model in (DeletionRecord, WatchlistReferenceRecord):
        model.objects.all().delete()
    Alert.objects.all().delete()
    build()
    original = retention._record_deletion
    calls = {"n": 0}

    def dies_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("worker killed")
        return original(**kwargs)

    monkeypatch.setattr(retention, "_record_deletion", dies_once)
    with time_machine.travel(later, tick=False):
        with pytest.raises(KeyboardInterrupt):
            retention.retention_apply()
        monkeypatch.setattr(retention, "_record_deletion", original)
        retention.retention_apply()
    state = _state()
    # Only the second deployment's rows are compared with the clean run.
    second = normalised(state)
    assert second["records"] == clean["records"]
    assert second["references"] == clean["references"]
    assert second["files"] == 0 == clean["files"]


def test_retention_state_says_what_is_held_until_when(world):
    state = {h.what: h for h in retention_state(world["running"])}
    assert state["Alert images"].count == 1
    assert state["Watchlist images and embeddings"].basis == "kept until the deployment ends"
    retention.retention_apply()
    ended_state = retention_state(world["ended"])
    assert "Watchlist images and embeddings" not in {h.what for h in ended_state}


def test_the_rules_page_and_the_deployment_page(client, compliance, world):
    client.force_login(compliance)
    page = client.get("/retention/")
    assert page.status_code == 200
    assert b"Never stored" in page.content and b"31 days after capture" in page.content
    response = client.get(f"/deployments/{world['ended'].public_id}/retention/")
    assert response.status_code == 200 and b"Alert images" in response.content


def test_eu_refusal_deletes_all_outputs(operator, ao, settings):
    settings.LFR_EU_AI_ACT_MODE = True
    deployment = builders.ready_to_go_live(operator=operator)
    type(deployment).objects.filter(pk=deployment.pk).update(eu_urgency=True)
    deployment.refresh_from_db()
    deployment = lifecycle.deployment_start(actor=operator, deployment=deployment)
    alert = AlertFactory(
        deployment=deployment,
        camera=deployment.cameras.first(),
        entry=deployment.watchlist.entries.first(),
    )
    with_file(alert.crop, "crop.jpg", b"crop")
    eu_mode.deployment_eu_request_record(
        actor=ao,
        deployment=deployment,
        requested_at=timezone.now() - timedelta(minutes=1),
        method="telephone",
        reference="REQ-1",
    )
    eu_mode.deployment_independent_decision(
        actor=ao,
        deployment=deployment,
        decision="refused",
        reference="JUD-1",
        authority="Tribunal judiciaire de Paris",
        authority_kind="judicial",
        decided_at=timezone.now(),
    )
    retention.retention_apply()
    assert not Alert.objects.filter(deployment=deployment).exists()
    assert media_files() == []
    assert DeletionRecord.objects.get(deployment=deployment, category="deployment_data").count == 1


def test_signage_factory_is_unaffected_without_photo():
    sign = SignageFactory(deployment=builders.submitted())
    with time_machine.travel(timezone.now() + timedelta(days=400), tick=False):
        assert retention.retention_apply()["signage_photos"] == 0
    assert SignageRecord.objects.get(pk=sign.pk).photo_deleted_at is None


def test_a_run_killed_after_commit_but_before_removing_files_is_finished_next_time(
    world, monkeypatch
):
    from lfr_portal.models import PendingFileDeletion

    original = retention.sweep_pending_files
    calls = {"n": 0}

    def killed_on_first_real_sweep():
        calls["n"] += 1
        if calls["n"] == 2:  # the first call sweeps leftovers; the second follows a batch
            raise KeyboardInterrupt("worker killed")
        return original()

    monkeypatch.setattr(retention, "sweep_pending_files", killed_on_first_real_sweep)
    with pytest.raises(KeyboardInterrupt):
        retention.retention_apply()
    noted = list(PendingFileDeletion.objects.values_list("name", flat=True))
    assert noted and all(Path(settings.MEDIA_ROOT, name).exists() for name in noted)
    monkeypatch.setattr(retention, "sweep_pending_files", original)
    retention.retention_apply()
    assert not PendingFileDeletion.objects.exists()
    assert not any(Path(settings.MEDIA_ROOT, name).exists() for name in noted)


def test_an_upload_whose_transaction_fails_leaves_no_file(manager, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lfr_portal.services import watchlists as wl
    from tests.factories import DeploymentFactory
    from tests.security.images import jpeg_bytes

    deployment = DeploymentFactory()

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(wl, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            reference_image=SimpleUploadedFile("ref.jpg", jpeg_bytes(), "image/jpeg"),
            display_name="X",
            category="wanted",
            reason="r",
            legal_basis="b",
            reference_number="R1",
            image_source="custody",
            image_date=timezone.localdate(),
        )
    assert media_files() == []


def test_orphaned_images_are_swept_after_an_hour(world):
    from django.core.files.storage import default_storage

    default_storage.save("watchlist/2026/01/orphan.jpg", ContentFile(b"left behind"))
    referenced = set(media_files()) - {"watchlist/2026/01/orphan.jpg"}
    assert retention.sweep_orphan_files() == 0  # too young: it may still be committing
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert retention.sweep_orphan_files() == 1
    assert set(media_files()) == referenced


def test_replacing_a_reference_image_removes_the_old_file(manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lfr_portal.services import watchlists as wl
    from tests.factories import EntryFactory
    from tests.security.images import jpeg_bytes

    entry = EntryFactory(added_by=manager)
    with_file(entry.reference_image, "old.jpg", b"old photo")
    old = entry.reference_image.name
    with pytest.MonkeyPatch.context() as patch:
        # on_commit callbacks do not run inside the test's transaction: run them now.
        patch.setattr(wl.transaction, "on_commit", lambda func, **kw: func())
        entry_photos.watchlist_entry_image_set(
            actor=manager,
            entry=entry,
            reference_image=SimpleUploadedFile("new.jpg", jpeg_bytes(), "image/jpeg"),
        )
    assert old not in media_files()
    entry.refresh_from_db()
    assert entry.reference_image.name in media_files()
