"""The API for an entry's further photographs: add, list, remove, and who may."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from lfr_portal.models import AuditEvent, EnrolmentState, EntryReference, EntryStatus, Role
from tests.factories import (
    DeploymentFactory,
    EntryFactory,
    EntryReferenceFactory,
    user_with_role,
)
from tests.security.images import jpeg_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    from lfr_portal.celery import app

    monkeypatch.setattr(app, "send_task", lambda *args, **kwargs: None)


def entry_with_image(**kwargs):
    entry = EntryFactory(**kwargs)
    entry.reference_image.save("first.jpg", ContentFile(jpeg_bytes()), save=True)
    return entry


def upload():
    return SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")


def add(api, user, entry):
    api.force_authenticate(user)
    return api.post(
        f"/api/watchlist-entries/{entry.public_id}/photos/add/",
        {"image": upload()},
        format="multipart",
    )


def test_a_manager_adds_lists_and_removes_a_photograph(api, manager):
    entry = entry_with_image()
    response = add(api, manager, entry)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["entry"] == str(entry.public_id)
    assert body["enrolment_state"] == "pending" and body["has_image"] is True
    assert body["added_by"] == manager.username
    # Never the file's name or path.
    assert not any("jpg" in str(value) for value in body.values())

    listed = api.get(f"/api/watchlist-entries/{entry.public_id}/photos/").json()
    assert [item["public_id"] for item in listed["results"]] == [body["public_id"]]

    removed = api.post(f"/api/watchlist-entry-photos/{body['public_id']}/remove/")
    assert removed.status_code == 200
    assert removed.json()["public_id"] == str(entry.public_id)
    assert not EntryReference.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"watchlist.entry_reference_add", "watchlist.entry_reference_remove"} <= actions


def test_the_list_shows_a_rejected_photographs_reason(api, ao):
    entry = entry_with_image()
    EntryReferenceFactory(
        entry=entry,
        enrolment_state=EnrolmentState.REJECTED,
        enrolment_message="No face was found in the image.",
    )
    api.force_authenticate(ao)
    (item,) = api.get(f"/api/watchlist-entries/{entry.public_id}/photos/").json()["results"]
    assert item["enrolment_state"] == "rejected"
    assert item["enrolment_message"] == "No face was found in the image."
    assert item["has_image"] is False


def test_a_compliance_officer_lists_without_the_biometric_field(api, compliance):
    entry = entry_with_image()
    EntryReferenceFactory(entry=entry)
    api.force_authenticate(compliance)
    (item,) = api.get(f"/api/watchlist-entries/{entry.public_id}/photos/").json()["results"]
    assert "has_image" not in item


@override_settings(LFR_MAX_REFERENCES_PER_ENTRY=2)
def test_refusals_are_sentences_naming_the_rule(api, manager):
    entry = entry_with_image()
    assert add(api, manager, entry).status_code == 201
    response = add(api, manager, entry)
    assert response.status_code == 400
    assert "at most 2 reference photographs" in str(response.json())

    approved = entry_with_image(status=EntryStatus.APPROVED)
    response = add(api, manager, approved)
    assert response.status_code == 409
    assert "awaiting approval" in str(response.json())


def test_roles_without_the_right_are_refused(api, ao, operator, planner):
    entry = entry_with_image()
    reference = EntryReferenceFactory(entry=entry)
    assert add(api, ao, entry).status_code == 403
    api.force_authenticate(ao)
    assert api.post(f"/api/watchlist-entry-photos/{reference.public_id}/remove/").status_code == 403
    for user in (operator, planner):
        api.force_authenticate(user)
        assert api.get(f"/api/watchlist-entries/{entry.public_id}/photos/").status_code == 403
    assert EntryReference.objects.filter(pk=reference.pk).exists()


def test_objects_the_user_may_not_see_answer_404(api, manager):
    import uuid

    api.force_authenticate(manager)
    missing = uuid.uuid4()
    assert api.get(f"/api/watchlist-entries/{missing}/photos/").status_code == 404
    assert add(api, manager, type("E", (), {"public_id": missing})).status_code == 404
    assert api.post(f"/api/watchlist-entry-photos/{missing}/remove/").status_code == 404
    # A destroyed photograph is gone for the API too.
    from django.utils import timezone

    reference = EntryReferenceFactory(
        entry=entry_with_image(), biometrics_destroyed_at=timezone.now()
    )
    assert api.post(f"/api/watchlist-entry-photos/{reference.public_id}/remove/").status_code == 404


def test_the_list_costs_the_same_queries_however_many_photographs(
    api, django_assert_max_num_queries
):
    manager = user_with_role(Role.WATCHLIST_MANAGER)
    entry = entry_with_image(watchlist=DeploymentFactory().watchlist)
    for _ in range(20):
        EntryReferenceFactory(entry=entry)
    api.force_authenticate(manager)
    api.get(f"/api/watchlist-entries/{entry.public_id}/photos/")
    with django_assert_max_num_queries(6):
        response = api.get(f"/api/watchlist-entries/{entry.public_id}/photos/")
    assert response.json()["count"] == 20
