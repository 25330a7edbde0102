"""Further reference photographs enrol with the real engine, and the best one decides a match."""

import cv2
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
from matcher.pipeline import match
from matcher.reference_check import enrol_reference
from matcher.watchlist_enrolment import enrol_entry_ids
from tests.factories import DeploymentFactory, EntryFactory, EntryReferenceFactory

pytestmark = [pytest.mark.models, pytest.mark.django_db]


def blank_jpeg():
    image = np.full((300, 300, 3), 180, dtype=np.uint8)
    cv2.rectangle(image, (40, 40), (260, 260), (40, 90, 160), -1)
    ok, data = cv2.imencode(".jpg", image)
    assert ok
    return data.tobytes()


def entry_with(watchlist, first: bytes, *further: bytes):
    entry = EntryFactory(watchlist=watchlist, enrolment_state=EnrolmentState.PENDING)
    entry.reference_image.save("first.jpg", ContentFile(first), save=True)
    references = []
    for data in further:
        reference = EntryReferenceFactory(entry=entry)
        reference.image.save("further.jpg", ContentFile(data), save=True)
        references.append(reference)
    return entry, references


def test_further_photographs_enrol_each_with_its_own_verdict(faces_root):
    deployment = DeploymentFactory()
    s9 = faces_root / "att_faces" / "s9"
    entry, (good, bad) = entry_with(
        deployment.watchlist, (s9 / "1.jpg").read_bytes(), (s9 / "2.jpg").read_bytes(), blank_jpeg()
    )
    outcome = enrol_entry_ids([entry.pk])
    assert outcome == {"accepted": 2, "rejected": 1}
    entry.refresh_from_db()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert entry.enrolment_state == EnrolmentState.ENROLLED
    assert good.enrolment_state == EnrolmentState.ENROLLED
    assert good.embedding_engine == "opencv-sface@2"  # the engine and its embedding version
    vector = np.frombuffer(bytes(good.embedding), dtype=np.float32)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
    # A failed further photograph says why, and does not hold back the entry.
    assert bad.enrolment_state == EnrolmentState.REJECTED and bad.embedding is None
    assert "No face was found" in bad.enrolment_message
    assert AuditEvent.objects.filter(action="watchlist.entry_reference_enrol").count() == 2
    # Run again (a retried task): nothing waiting, nothing done.
    assert enrol_entry_ids([entry.pk]) == {"accepted": 0, "rejected": 0}


def test_an_entry_already_enrolled_has_its_new_photograph_enrolled(faces_root):
    deployment = DeploymentFactory()
    s9 = faces_root / "att_faces" / "s9"
    entry, _ = entry_with(deployment.watchlist, (s9 / "1.jpg").read_bytes())
    enrol_entry_ids([entry.pk])
    reference = EntryReferenceFactory(entry=entry)
    reference.image.save("further.jpg", ContentFile((s9 / "3.jpg").read_bytes()), save=True)
    assert enrol_entry_ids([entry.pk]) == {"accepted": 1, "rejected": 0}
    reference.refresh_from_db()
    assert reference.enrolment_state == EnrolmentState.ENROLLED


def _embedding(sface, path):
    result = enrol_reference(sface, path.read_bytes())
    assert result.accepted, result.message
    return result.embedding


def test_a_probe_that_matches_only_the_second_photograph_is_found(sface, faces_root):
    """The same person's photographs differ; a face like only one of them still matches.

    s31 is the bundled subject whose photographs differ most (15 of its 45 pairs score
    under 0.5 with SFace), so a probe near one photograph and far from another exists.
    """
    threshold = sface.default_threshold
    photos = sorted((faces_root / "att_faces" / "s31").glob("*.jpg"))
    vectors = {path: _embedding(sface, path) for path in photos}
    # A (first, second, probe) of one person where the probe clears the threshold
    # against the second photograph only.
    triple = next(
        (
            (first, second, probe)
            for probe in photos
            for first in photos
            for second in photos
            if len({first, second, probe}) == 3
            and float(vectors[probe] @ vectors[first]) < threshold
            and float(vectors[probe] @ vectors[second]) >= threshold
        ),
        None,
    )
    assert triple is not None, "no such photographs of s31 in the bundled set"
    first, second, probe = triple

    deployment = DeploymentFactory()
    entry, (further,) = entry_with(deployment.watchlist, first.read_bytes(), second.read_bytes())
    assert enrol_entry_ids([entry.pk]) == {"accepted": 2, "rejected": 0}
    WatchlistEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.APPROVED)
    deployment.watchlist.status = WatchlistStatus.FINALISED
    deployment.watchlist.save(update_fields=["status"])
    probe_vector = vectors[probe][None, :].astype(np.float32)

    # Without the second photograph, no match.
    EntryReference.objects.filter(pk=further.pk).update(enrolment_state=EnrolmentState.REJECTED)
    ids, matrix = watchlist_matrix(deployment.pk, sface.embedding_name, sface.dim)
    assert ids == [entry.pk]
    assert match(probe_vector, matrix, threshold) == []

    # With it, the best score over the entry's photographs matches.
    EntryReference.objects.filter(pk=further.pk).update(enrolment_state=EnrolmentState.ENROLLED)
    ids, matrix = watchlist_matrix(deployment.pk, sface.embedding_name, sface.dim)
    assert ids == [entry.pk, entry.pk]
    (found,) = match(probe_vector, matrix, threshold)
    assert ids[found.entry_index] == entry.pk and found.entry_index == 1
    assert found.score >= threshold
