"""An entry's further photographs are destroyed with its own image: files, embeddings, all."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from lfr_portal.models import (
    DeletionRecord,
    EnrolmentState,
    EntryReference,
    RetentionCategory,
    WatchlistStatus,
)
from lfr_portal.selectors.retention import retention_plan
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import retention
from tests import builders
from tests.factories import EntryReferenceFactory

pytestmark = pytest.mark.django_db


def media_files():
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def add_photographs(deployment, per_entry):
    """Further enrolled photographs, with files, on every entry; their file names."""
    names = set()
    for entry in deployment.watchlist.entries.all():
        for n in range(per_entry):
            reference = EntryReferenceFactory(
                entry=entry,
                enrolment_state=EnrolmentState.ENROLLED,
                embedding=b"\x02" * 512,
                embedding_engine="opencv_sface",
            )
            reference.image.save(
                "extra.jpg", ContentFile(f"photo {entry.pk}/{n}".encode()), save=True
            )
            names.add(reference.image.name)
    return names


@pytest.fixture
def ended_and_running(operator):
    ended = builders.live(operator)
    ended_names = add_photographs(ended, per_entry=2)
    lifecycle.deployment_stop(actor=operator, deployment=ended, reason="done")

    other = type(operator).objects.create(username="op-other")
    other.groups.add(*operator.groups.all())
    from lfr_portal.models import OfficerProfile

    OfficerProfile.objects.create(user=other)
    running = builders.live(other)
    running_names = add_photographs(running, per_entry=1)
    return ended, ended_names, running, running_names


@override_settings(LFR_RETENTION_BATCH_SIZE=1)
def test_nothing_of_an_ended_watchlists_further_photographs_is_left(ended_and_running):
    ended, ended_names, running, running_names = ended_and_running
    entries = ended.watchlist.entries.count()
    assert len(ended_names) == 2 * entries and ended_names <= media_files()

    done = retention.retention_apply()

    # Each entry and each further photograph is counted as one item destroyed.
    assert done[RetentionCategory.WATCHLIST_BIOMETRICS] == entries + len(ended_names)
    ended.watchlist.refresh_from_db()
    assert ended.watchlist.status == WatchlistStatus.DESTROYED
    gone = EntryReference.objects.filter(entry__watchlist=ended.watchlist)
    assert gone.count() == len(ended_names)  # rows kept, as the entries' are
    for reference in gone:
        assert reference.image.name == ""
        assert reference.embedding is None and reference.embedding_engine == ""
        assert reference.biometrics_destroyed_at is not None
    assert not ended_names & media_files()
    record = DeletionRecord.objects.get(
        deployment=ended, category=RetentionCategory.WATCHLIST_BIOMETRICS
    )
    assert record.count == entries + len(ended_names)
    # The entries' own images had no files here; every removed file is a further photograph.
    assert record.files_removed == len(ended_names)
    assert len(record.item_hashes) == len(ended_names)

    # The live deployment's photographs are untouched.
    kept = EntryReference.objects.filter(entry__watchlist=running.watchlist)
    assert all(r.image.name and r.embedding is not None for r in kept)
    assert running_names <= media_files()


def test_the_plan_counts_further_photographs(ended_and_running):
    ended, ended_names, _, _ = ended_and_running
    (line,) = [
        line
        for line in retention_plan()
        if line[0] == RetentionCategory.WATCHLIST_BIOMETRICS and line[1] == ended
    ]
    assert line[2] == ended.watchlist.entries.count() + len(ended_names)


def test_a_photograph_enrolled_after_destruction_keeps_nothing(ended_and_running):
    from lfr_portal.services.entry_photos import watchlist_entry_reference_enrolment_record

    ended, _, _, _ = ended_and_running
    reference = EntryReference.objects.filter(entry__watchlist=ended.watchlist).first()
    EntryReference.objects.filter(pk=reference.pk).update(
        enrolment_state=EnrolmentState.PENDING, embedding=None
    )
    retention.retention_apply()
    # A worker that was busy with it when the watchlist was destroyed reports late.
    watchlist_entry_reference_enrolment_record(
        reference_id=reference.pk,
        accepted=True,
        message="Enrolled.",
        embedding=b"\x03" * 512,
        engine="opencv_sface",
    )
    reference.refresh_from_db()
    assert reference.embedding is None


def test_the_orphan_sweep_keeps_further_photographs(ended_and_running):
    _, _, _, running_names = ended_and_running
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        retention.sweep_orphan_files()
    assert running_names <= media_files()
