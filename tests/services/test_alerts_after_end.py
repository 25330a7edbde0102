"""A job's last chunk can commit just after a stop: what it saw before the stop still
alerts, what it saw after raises nothing and leaves no crop."""

from datetime import timedelta

import pytest

from lfr_portal.models import Alert, AlertCropPending, AuditEvent
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import recognition as svc
from tests import builders

pytestmark = pytest.mark.django_db


def test_a_face_seen_after_the_stop_raises_no_alert_one_seen_before_does(operator):
    deployment = builders.live(operator)
    booking = deployment.cameras.get()
    before_entry, after_entry = list(deployment.watchlist.entries.order_by("pk"))[:2]
    lifecycle.deployment_stop(actor=operator, deployment=deployment)
    deployment.refresh_from_db()
    stopped = deployment.ended_at
    drafts = [
        svc.AlertDraft(
            entry_id=before_entry.pk,
            score=0.61,
            captured_at=stopped - timedelta(milliseconds=300),
            track_key="before",
            crop_jpeg=b"\xff\xd8before",
        ),
        svc.AlertDraft(
            entry_id=after_entry.pk,
            score=0.62,
            captured_at=stopped + timedelta(milliseconds=300),
            track_key="after",
            crop_jpeg=b"\xff\xd8after",
        ),
    ]
    raised = svc.recognition_chunk_commit(
        booking_id=booking.pk,
        chunk_index=booking.chunk_index + 1,
        source_position=25,
        frames=25,
        faces=2,
        alerts=drafts,
    )
    assert [alert.entry_id for alert in raised] == [before_entry.pk]
    assert list(Alert.objects.values_list("entry_id", flat=True)) == [before_entry.pk]
    assert [p.jpeg for p in AlertCropPending.objects.all()] == [b"\xff\xd8before"]
    assert AuditEvent.objects.filter(action="alert.raise").count() == 1
