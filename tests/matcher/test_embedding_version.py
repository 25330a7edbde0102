"""Embeddings carry their engine and embedding version; the matcher never compares a face
with an embedding another version made, and enrols such a photograph again first."""

from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile

from lfr_portal.models import (
    AuditEvent,
    EnrolmentState,
    EntryReference,
    EntryStatus,
    WatchlistEntry,
    WatchlistStatus,
)
from lfr_portal.selectors.recognition import watchlist_matrix
from matcher.jobs import JobOutcome, run_camera_job
from matcher.watchlist_enrolment import enrol_again_if_stale, enrol_entry_ids
from tests import builders
from tests.factories import DeploymentFactory, EntryFactory, EntryReferenceFactory
from tests.matcher.conftest import watchlist_references

pytestmark = [pytest.mark.models]

OLD = "opencv-sface"  # what embeddings made before versions existed record


def test_the_default_engine_records_its_embedding_version(sface):
    assert sface.embedding_version == 2
    assert sface.embedding_name == "opencv-sface@2"


def test_an_engine_of_version_one_records_its_plain_name(sface):
    class Unversioned(type(sface)):
        embedding_version = 1

    assert Unversioned.__new__(Unversioned).embedding_name == "opencv-sface"


def _stale(rows, vector):
    """Make rows look as an older engine version left them: its name and another vector."""
    rows.update(embedding_engine=OLD, embedding=vector.astype(np.float32).tobytes())


def _live_list(deployment):
    WatchlistEntry.objects.filter(watchlist=deployment.watchlist).update(
        status=EntryStatus.APPROVED
    )
    deployment.watchlist.status = WatchlistStatus.FINALISED
    deployment.watchlist.save(update_fields=["status"])


@pytest.mark.django_db
def test_an_older_embedding_is_never_compared_and_is_enrolled_again(sface, faces_root):
    deployment = DeploymentFactory()
    s9 = faces_root / "att_faces" / "s9"
    entry = EntryFactory(watchlist=deployment.watchlist, enrolment_state=EnrolmentState.PENDING)
    entry.reference_image.save("first.jpg", ContentFile((s9 / "1.jpg").read_bytes()), save=True)
    further = EntryReferenceFactory(entry=entry)
    further.image.save("further.jpg", ContentFile((s9 / "2.jpg").read_bytes()), save=True)
    assert enrol_entry_ids([entry.pk]) == {"accepted": 2, "rejected": 0}
    _live_list(deployment)
    fresh = {
        "entry": bytes(WatchlistEntry.objects.get(pk=entry.pk).embedding),
        "further": bytes(EntryReference.objects.get(pk=further.pk).embedding),
    }
    old_vector = np.zeros(sface.dim)
    old_vector[0] = 1.0
    _stale(WatchlistEntry.objects.filter(pk=entry.pk), old_vector)
    _stale(EntryReference.objects.filter(pk=further.pk), old_vector)

    # The running version's matrix leaves the old rows out: no old vector meets a new one.
    ids, matrix = watchlist_matrix(deployment.pk, sface.embedding_name, sface.dim)
    assert ids == [] and matrix.shape == (0, sface.dim)

    enrols_before = AuditEvent.objects.filter(action__startswith="watchlist.entry_").count()
    assert enrol_again_if_stale(deployment.pk, sface) == {"accepted": 2, "rejected": 0}
    entry.refresh_from_db()
    further.refresh_from_db()
    for row in (entry, further):
        assert row.embedding_engine == "opencv-sface@2"
        assert row.enrolment_state == EnrolmentState.ENROLLED
    assert bytes(entry.embedding) == fresh["entry"]
    assert bytes(further.embedding) == fresh["further"]
    # Audited like any enrolment (the embedding itself never is).
    assert (
        AuditEvent.objects.filter(action__startswith="watchlist.entry_").count()
        == enrols_before + 2
    )
    ids, matrix = watchlist_matrix(deployment.pk, sface.embedding_name, sface.dim)
    assert ids == [entry.pk, entry.pk]
    assert not np.allclose(matrix[0], old_vector)
    # Nothing stale is left, so a second call does nothing.
    assert enrol_again_if_stale(deployment.pk, sface) == {"accepted": 0, "rejected": 0}


@pytest.mark.django_db
def test_a_stale_photograph_that_no_longer_enrols_is_rejected_with_its_reason(sface, faces_root):
    deployment = DeploymentFactory()
    kept = EntryFactory(watchlist=deployment.watchlist, enrolment_state=EnrolmentState.PENDING)
    kept.reference_image.save(
        "kept.jpg", ContentFile((faces_root / "att_faces/s9/1.jpg").read_bytes()), save=True
    )
    removed = EntryFactory(watchlist=deployment.watchlist, enrolment_state=EnrolmentState.PENDING)
    removed.reference_image.save(
        "removed.jpg", ContentFile((faces_root / "att_faces/s19/1.jpg").read_bytes()), save=True
    )
    assert enrol_entry_ids([kept.pk, removed.pk]) == {"accepted": 2, "rejected": 0}
    vector = np.ones(sface.dim) / np.sqrt(sface.dim)
    _stale(WatchlistEntry.objects.filter(pk__in=[kept.pk, removed.pk]), vector)
    WatchlistEntry.objects.filter(pk=removed.pk).update(status=EntryStatus.REMOVED)
    # The stored file of the kept entry is now unreadable.
    kept.reference_image.save("kept.jpg", ContentFile(b"not an image"), save=False)
    WatchlistEntry.objects.filter(pk=kept.pk).update(reference_image=kept.reference_image.name)

    assert enrol_again_if_stale(deployment.pk, sface) == {"accepted": 0, "rejected": 1}
    kept.refresh_from_db()
    assert kept.enrolment_state == EnrolmentState.REJECTED
    assert kept.embedding is None and kept.embedding_engine == ""
    assert "not an image that can be read" in kept.enrolment_message
    # An entry taken off the list is left as it was.
    removed.refresh_from_db()
    assert removed.embedding_engine == OLD and removed.enrolment_state == EnrolmentState.ENROLLED


@pytest.mark.django_db(transaction=True)
def test_a_camera_job_enrols_an_older_embedding_again_before_it_matches(operator, video_set):
    out, truth = video_set
    video = truth["videos"][0]
    deployment, labels = builders.live_with_real_watchlist(
        operator, str(out / Path(video["file"]).name), watchlist_references(truth)[:1]
    )
    (entry_id,) = labels
    vector = np.zeros(128)
    vector[5] = 1.0
    _stale(WatchlistEntry.objects.filter(pk=entry_id), vector)

    outcome = run_camera_job(deployment.cameras.get().pk, time_budget=0.5)
    assert outcome in (JobOutcome.CONTINUE, JobOutcome.ENDED)
    entry = WatchlistEntry.objects.get(pk=entry_id)
    assert entry.embedding_engine == "opencv-sface@2"
    assert not np.allclose(np.frombuffer(bytes(entry.embedding), dtype=np.float32), vector)
    assert AuditEvent.objects.filter(
        action="watchlist.entry_enrol", object_public_id=str(entry.public_id)
    ).exists()


@pytest.mark.django_db
def test_the_enrol_again_command_brings_every_open_list_up_to_date(sface, faces_root):
    from io import StringIO

    from django.core.management import call_command

    from lfr_portal.models import DeploymentStatus

    photo = (faces_root / "att_faces/s9/1.jpg").read_bytes()
    entries = {}
    for status in (DeploymentStatus.APPROVED, DeploymentStatus.COMPLETED):
        deployment = DeploymentFactory(status=status)
        entry = EntryFactory(watchlist=deployment.watchlist, enrolment_state=EnrolmentState.PENDING)
        entry.reference_image.save("first.jpg", ContentFile(photo), save=True)
        assert enrol_entry_ids([entry.pk]) == {"accepted": 1, "rejected": 0}
        _stale(WatchlistEntry.objects.filter(pk=entry.pk), np.eye(sface.dim)[0])
        entries[status] = entry.pk

    out = StringIO()
    call_command("enrol_again", stdout=out)
    assert "Enrolled again: 1 accepted, 0 rejected." in out.getvalue()
    current = WatchlistEntry.objects.get(pk=entries[DeploymentStatus.APPROVED])
    assert current.embedding_engine == "opencv-sface@2"
    # A deployment that is over is left to retention, which destroys its embeddings.
    over = WatchlistEntry.objects.get(pk=entries[DeploymentStatus.COMPLETED])
    assert over.embedding_engine == OLD
    # Run again: nothing is stale.
    out = StringIO()
    call_command("enrol_again", stdout=out)
    assert "Enrolled again: 0 accepted, 0 rejected." in out.getvalue()
