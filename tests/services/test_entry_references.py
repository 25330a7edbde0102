"""Further reference photographs of an entry: who may add or remove them, and when."""

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    AuditEvent,
    EnrolmentState,
    EntryReference,
    EntryStatus,
    Role,
    WatchlistStatus,
)
from lfr_portal.selectors.recognition import watchlist_matrix
from lfr_portal.services import entry_photos as photos
from lfr_portal.services import watchlist_guards as guards
from lfr_portal.services import watchlists as wl
from tests.factories import (
    DeploymentFactory,
    EntryFactory,
    EntryReferenceFactory,
    user_with_role,
)
from tests.security.images import jpeg_bytes, phone_photo

pytestmark = pytest.mark.django_db


def photo(name="extra.jpg"):
    return SimpleUploadedFile(name, jpeg_bytes(), "image/jpeg")


def entry_with_image(**kwargs):
    entry = EntryFactory(**kwargs)
    entry.reference_image.save("first.jpg", ContentFile(jpeg_bytes()), save=True)
    return entry


@pytest.fixture
def sent(monkeypatch):
    """The tasks sent after commit, as (name, args)."""
    from lfr_portal.celery import app

    calls = []
    monkeypatch.setattr(app, "send_task", lambda name, args, **options: calls.append((name, args)))
    return calls


def test_a_manager_adds_a_photograph_cleaned_audited_and_sent_for_enrolment(
    manager, sent, django_capture_on_commit_callbacks
):
    entry = entry_with_image()
    with django_capture_on_commit_callbacks(execute=True):
        reference = photos.watchlist_entry_reference_add(
            actor=manager, entry=entry, image=phone_photo()
        )
    reference.refresh_from_db()
    assert reference.entry_id == entry.pk and reference.added_by == manager
    assert reference.enrolment_state == EnrolmentState.PENDING
    # Stored re-encoded under a random name, not the uploader's file.
    assert reference.image.name.endswith(".jpg") and "IMG_0001" not in reference.image.name
    with default_storage.open(reference.image.name, "rb") as handle:
        assert b"Acme PhonePro" not in handle.read()
    row = AuditEvent.objects.get(action="watchlist.entry_reference_add")
    assert row.object_public_id == str(entry.public_id)
    assert row.changes == {"reference": str(reference.public_id)}
    assert sent == [("matcher.enrol_entries", [[entry.pk]])]


def test_adding_a_photograph_makes_its_adder_an_author_who_may_not_approve(manager):
    entry = entry_with_image()
    photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    assert manager.pk in guards.entry_author_ids(entry)
    with pytest.raises(NotPermitted) as err:
        wl.watchlist_entry_approve(actor=manager, entry=entry)
    assert err.value.code == "four_eyes"
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING


def test_removing_a_photograph_also_makes_an_author(manager):
    entry = entry_with_image()
    reference = EntryReferenceFactory(entry=entry)
    other = user_with_role(Role.WATCHLIST_MANAGER)
    photos.watchlist_entry_reference_remove(actor=other, reference=reference)
    assert other.pk in guards.entry_author_ids(entry)


def test_only_a_watchlist_manager_may_add_a_photograph():
    entry = entry_with_image()
    with pytest.raises(NotPermitted):
        photos.watchlist_entry_reference_add(
            actor=user_with_role(Role.AUTHORISING_OFFICER), entry=entry, image=photo()
        )
    assert not EntryReference.objects.exists()
    assert not AuditEvent.objects.filter(action="watchlist.entry_reference_add").exists()


def test_an_approved_entry_keeps_its_photographs_as_for_its_image(manager):
    entry = entry_with_image(status=EntryStatus.APPROVED)
    reference = EntryReferenceFactory(entry=entry)
    with pytest.raises(InvalidTransition) as added:
        photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    with pytest.raises(InvalidTransition) as removed:
        photos.watchlist_entry_reference_remove(actor=manager, reference=reference)
    with pytest.raises(InvalidTransition) as replaced:
        photos.watchlist_entry_image_set(actor=manager, entry=entry, reference_image=photo())
    # One rule, one sentence, whichever photograph is changed.
    assert str(added.value) == str(removed.value) == str(replaced.value)
    assert "awaiting approval" in str(added.value)
    assert EntryReference.objects.filter(pk=reference.pk).exists()


def test_a_closed_watchlist_takes_no_photographs(manager):
    deployment = DeploymentFactory()
    deployment.watchlist.status = WatchlistStatus.APPROVED
    deployment.watchlist.save()
    entry = entry_with_image(watchlist=deployment.watchlist)
    with pytest.raises(InvalidTransition) as err:
        photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    assert "being built" in str(err.value)


def test_the_first_photograph_is_the_entrys_own_image(manager):
    entry = EntryFactory()
    with pytest.raises(RuleViolation) as err:
        photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    assert err.value.code == "no_reference_image"


@override_settings(LFR_MAX_REFERENCES_PER_ENTRY=3)
def test_the_cap_counts_the_entrys_own_image(manager):
    entry = entry_with_image()
    photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    with pytest.raises(RuleViolation) as err:
        photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    assert err.value.code == "too_many_references"
    assert "at most 3 reference photographs" in str(err.value)
    assert entry.references.count() == 2


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_kept(manager):
    entry = entry_with_image()
    fake = SimpleUploadedFile("face.jpg", b"%PDF-1.7 not a photograph", "image/jpeg")
    with pytest.raises(RuleViolation) as err:
        photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=fake)
    assert err.value.code == "upload_not_an_image"
    assert not EntryReference.objects.exists()


def test_removing_a_photograph_deletes_its_row_embedding_and_file(
    manager, django_capture_on_commit_callbacks
):
    entry = entry_with_image()
    reference = photos.watchlist_entry_reference_add(actor=manager, entry=entry, image=photo())
    name = reference.image.name
    assert default_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        photos.watchlist_entry_reference_remove(actor=manager, reference=reference)
    assert not EntryReference.objects.filter(pk=reference.pk).exists()
    assert not default_storage.exists(name)
    row = AuditEvent.objects.get(action="watchlist.entry_reference_remove")
    assert row.changes == {"reference": str(reference.public_id)}
    # The entry's own image is untouched.
    entry.refresh_from_db()
    assert default_storage.exists(entry.reference_image.name)


def test_a_verdict_is_recorded_per_photograph_and_audited_without_the_embedding():
    entry = entry_with_image()
    good = EntryReferenceFactory(entry=entry)
    bad = EntryReferenceFactory(entry=entry)
    vector = np.ones(4, dtype=np.float32) / 2
    photos.watchlist_entry_reference_enrolment_record(
        reference_id=good.pk,
        accepted=True,
        message="Enrolled.",
        embedding=vector.tobytes(),
        engine="opencv_sface",
    )
    photos.watchlist_entry_reference_enrolment_record(
        reference_id=bad.pk,
        accepted=False,
        message="The image shows 2 faces.",
        embedding=None,
        engine="opencv_sface",
    )
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.enrolment_state == EnrolmentState.ENROLLED and bytes(good.embedding)
    assert bad.enrolment_state == EnrolmentState.REJECTED and bad.embedding is None
    assert bad.enrolment_message == "The image shows 2 faces."
    rows = AuditEvent.objects.filter(action="watchlist.entry_reference_enrol")
    assert rows.count() == 2
    assert all(set(r.changes) == {"reference", "state", "message"} for r in rows)


def test_enrol_pending_sends_entries_whose_further_photographs_wait(
    manager, sent, django_capture_on_commit_callbacks
):
    deployment = DeploymentFactory()
    waiting_extra = entry_with_image(watchlist=deployment.watchlist)
    EntryReferenceFactory(entry=waiting_extra)
    done = entry_with_image(watchlist=deployment.watchlist)
    EntryReferenceFactory(entry=done, enrolment_state=EnrolmentState.ENROLLED)
    with django_capture_on_commit_callbacks(execute=True):
        queued = photos.watchlist_enrol_pending(actor=manager, watchlist=deployment.watchlist)
    assert queued == 1
    assert sent == [("matcher.enrol_entries", [[waiting_extra.pk]])]


def test_copying_a_watchlist_brings_further_photographs_to_enrol_again(manager):
    source = DeploymentFactory()
    entry = entry_with_image(watchlist=source.watchlist, status=EntryStatus.APPROVED)
    reference = EntryReferenceFactory(
        entry=entry, enrolment_state=EnrolmentState.ENROLLED, embedding=b"x" * 16
    )
    reference.image.save("second.jpg", ContentFile(jpeg_bytes()), save=True)
    target = DeploymentFactory()
    (copy,) = wl.watchlist_copy_entries(
        actor=manager, source=source.watchlist, target=target.watchlist
    )
    (copied,) = copy.references.all()
    assert copied.enrolment_state == EnrolmentState.PENDING and copied.embedding is None
    assert copied.image.name != reference.image.name and default_storage.exists(copied.image.name)


# --- the matrix the recognition job loads -------------------------------------------


def unit(*values):
    vector = np.array(values, dtype=np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def finalised_entry(deployment, vector, **kwargs):
    return EntryFactory(
        watchlist=deployment.watchlist,
        status=EntryStatus.APPROVED,
        enrolment_state=EnrolmentState.ENROLLED,
        embedding=vector.tobytes(),
        embedding_engine="opencv_sface",
        **kwargs,
    )


def test_the_matrix_has_a_row_per_enrolled_photograph_with_the_entry_repeated(
    django_assert_num_queries,
):
    deployment = DeploymentFactory()
    deployment.watchlist.status = WatchlistStatus.FINALISED
    deployment.watchlist.save()
    first = finalised_entry(deployment, unit(1, 0, 0))
    second = finalised_entry(deployment, unit(0, 1, 0))

    def reference(entry, vector, **kwargs):
        fields = {
            "enrolment_state": EnrolmentState.ENROLLED,
            "embedding": vector.tobytes(),
            "embedding_engine": "opencv_sface",
        }
        fields.update(kwargs)
        return EntryReferenceFactory(entry=entry, **fields)

    reference(first, unit(0, 0, 1))
    reference(first, unit(1, 1, 0))
    # Left out: rejected, another engine's, destroyed.
    reference(first, unit(1, 1, 1), enrolment_state=EnrolmentState.REJECTED)
    reference(second, unit(1, 0, 1), embedding_engine="insightface")
    from django.utils import timezone

    reference(second, unit(0, 1, 1), biometrics_destroyed_at=timezone.now())
    # An entry not approved brings none of its photographs.
    pending = finalised_entry(deployment, unit(1, 0, 0))
    pending.status = EntryStatus.PENDING
    pending.save()
    reference(pending, unit(0, 0, 1))
    for _ in range(5):  # more photographs cost no more queries
        reference(second, unit(0, 1, 0))

    with django_assert_num_queries(2):
        ids, matrix = watchlist_matrix(deployment.pk, "opencv_sface", 3)
    assert ids == [first.pk] * 3 + [second.pk] * 6
    assert matrix.shape == (9, 3) and matrix.dtype == np.float32
    np.testing.assert_allclose(matrix[0], unit(1, 0, 0))
    np.testing.assert_allclose(matrix[1], unit(0, 0, 1))
    np.testing.assert_allclose(matrix[2], unit(1, 1, 0))
    np.testing.assert_allclose(matrix[3], unit(0, 1, 0))


def test_the_best_photograph_decides_the_match():
    from matcher.pipeline import match

    deployment = DeploymentFactory()
    deployment.watchlist.status = WatchlistStatus.FINALISED
    deployment.watchlist.save()
    entry = finalised_entry(deployment, unit(1, 0, 0))
    other = finalised_entry(deployment, unit(0.6, 0.8, 0))
    probe = unit(0, 1, 0.05)[None, :]
    ids, matrix = watchlist_matrix(deployment.pk, "opencv_sface", 3)
    # With one photograph each, the probe matches the other entry.
    (found,) = match(probe, matrix, 0.5)
    assert ids[found.entry_index] == other.pk
    EntryReferenceFactory(
        entry=entry,
        enrolment_state=EnrolmentState.ENROLLED,
        embedding=unit(0, 1, 0).tobytes(),
        embedding_engine="opencv_sface",
    )
    ids, matrix = watchlist_matrix(deployment.pk, "opencv_sface", 3)
    (found,) = match(probe, matrix, 0.5)
    assert ids[found.entry_index] == entry.pk and found.score > 0.99
