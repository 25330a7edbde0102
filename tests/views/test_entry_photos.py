"""The watchlist page shows each entry's photographs, takes new ones and removes extra ones;
their thumbnails go only to those who may see the entry's own image."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from lfr_portal.models import EnrolmentState, EntryReference, Role
from tests import builders
from tests.factories import (
    AlertFactory,
    DeploymentFactory,
    EntryFactory,
    EntryReferenceFactory,
    user_with_role,
)
from tests.security.images import jpeg_bytes

pytestmark = pytest.mark.django_db


def page_url(deployment):
    return f"/deployments/{deployment.public_id}/watchlist/"


def photo_url(reference):
    return f"/images/entry-photos/{reference.public_id}.jpg"


def entry_with_photos(watchlist, **kwargs):
    entry = EntryFactory(watchlist=watchlist, **kwargs)
    entry.reference_image.save("first.jpg", ContentFile(jpeg_bytes()), save=True)
    enrolled = EntryReferenceFactory(entry=entry, enrolment_state=EnrolmentState.ENROLLED)
    enrolled.image.save("second.jpg", ContentFile(jpeg_bytes()), save=True)
    rejected = EntryReferenceFactory(
        entry=entry,
        enrolment_state=EnrolmentState.REJECTED,
        enrolment_message="The image shows 2 faces. Crop it to the one person.",
    )
    rejected.image.save("third.jpg", ContentFile(jpeg_bytes()), save=True)
    return entry, enrolled, rejected


def test_the_page_shows_each_photograph_with_its_state_and_reason(client, manager):
    deployment = DeploymentFactory()
    entry, enrolled, rejected = entry_with_photos(deployment.watchlist)
    client.force_login(manager)
    page = client.get(page_url(deployment)).content.decode()
    assert photo_url(enrolled) in page and photo_url(rejected) in page
    assert "The image shows 2 faces. Crop it to the one person." in page
    assert "3 of at most 5 photographs" in page
    assert f"/entry-photos/{rejected.public_id}/remove/" in page
    assert f"/entries/{entry.public_id}/photos/add/" in page


def test_a_compliance_officer_sees_states_but_no_thumbnails(client, compliance):
    deployment = DeploymentFactory()
    _, enrolled, rejected = entry_with_photos(deployment.watchlist)
    client.force_login(compliance)
    page = client.get(page_url(deployment)).content.decode()
    assert "The image shows 2 faces" in page
    assert photo_url(enrolled) not in page
    assert "/photos/add/" not in page and "/remove/" not in page
    assert client.get(photo_url(enrolled)).status_code == 404


def test_a_manager_adds_a_photograph_from_the_page(client, manager, monkeypatch):
    from lfr_portal.celery import app

    monkeypatch.setattr(app, "send_task", lambda *args, **kwargs: None)
    deployment = DeploymentFactory()
    entry = EntryFactory(watchlist=deployment.watchlist)
    entry.reference_image.save("first.jpg", ContentFile(jpeg_bytes()), save=True)
    client.force_login(manager)
    response = client.post(
        f"/entries/{entry.public_id}/photos/add/",
        {"photo-image": SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#entry-{entry.public_id}")
    (reference,) = entry.references.all()
    assert reference.added_by == manager and reference.enrolment_state == "pending"


@override_settings(LFR_MAX_REFERENCES_PER_ENTRY=3)
def test_a_refusal_is_a_sentence_naming_the_rule(client, manager):
    deployment = DeploymentFactory()
    entry, _, _ = entry_with_photos(deployment.watchlist)
    client.force_login(manager)
    response = client.post(
        f"/entries/{entry.public_id}/photos/add/",
        {"photo-image": SimpleUploadedFile("p.jpg", jpeg_bytes(), "image/jpeg")},
        follow=True,
    )
    shown = [str(m) for m in response.context["messages"]]
    assert any("at most 3 reference photographs" in m for m in shown), shown
    assert entry.references.count() == 2
    # The page offers no add form once the cap is reached.
    assert f"/entries/{entry.public_id}/photos/add/" not in response.content.decode()


def test_a_manager_removes_a_photograph_from_the_page(client, manager):
    deployment = DeploymentFactory()
    entry, _, rejected = entry_with_photos(deployment.watchlist)
    client.force_login(manager)
    response = client.post(f"/entry-photos/{rejected.public_id}/remove/")
    assert response.status_code == 302
    assert not EntryReference.objects.filter(pk=rejected.pk).exists()


def test_an_authorising_officer_may_not_add_or_remove(client, ao):
    deployment = DeploymentFactory()
    entry, enrolled, _ = entry_with_photos(deployment.watchlist)
    client.force_login(ao)
    response = client.post(f"/entry-photos/{enrolled.public_id}/remove/", follow=True)
    assert any("watchlist manager" in str(m) for m in response.context["messages"])
    assert EntryReference.objects.filter(pk=enrolled.pk).exists()


def test_others_cannot_reach_the_forms(client, planner, operator):
    deployment = DeploymentFactory()
    entry, enrolled, _ = entry_with_photos(deployment.watchlist)
    for user in (planner, operator):
        client.force_login(user)
        assert client.post(f"/entry-photos/{enrolled.public_id}/remove/").status_code == 404
        assert client.post(f"/entries/{entry.public_id}/photos/add/").status_code == 404
    assert EntryReference.objects.filter(pk=enrolled.pk).exists()


def test_thumbnails_go_to_whoever_may_see_the_entrys_own_image(client, manager, ao, planner):
    deployment = DeploymentFactory()
    _, enrolled, _ = entry_with_photos(deployment.watchlist)
    for user in (manager, ao):
        client.force_login(user)
        response = client.get(photo_url(enrolled))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == enrolled.image.open("rb").read()
    client.force_login(planner)
    assert client.get(photo_url(enrolled)).status_code == 404
    client.logout()
    assert client.get(photo_url(enrolled)).status_code == 302  # to the login page


def test_an_operator_sees_them_only_beside_an_alert_of_their_deployment(client, operator):
    deployment = builders.live(operator)
    entry = deployment.watchlist.entries.first()
    reference = EntryReferenceFactory(entry=entry, enrolment_state=EnrolmentState.ENROLLED)
    reference.image.save("second.jpg", ContentFile(jpeg_bytes()), save=True)
    client.force_login(operator)
    assert client.get(photo_url(reference)).status_code == 404
    AlertFactory(deployment=deployment, camera=deployment.cameras.first(), entry=entry)
    assert client.get(photo_url(reference)).status_code == 200
    other = user_with_role(Role.OPERATOR)
    client.force_login(other)
    assert client.get(photo_url(reference)).status_code == 404


def test_a_destroyed_photograph_is_not_served(client, manager):
    deployment = DeploymentFactory()
    _, enrolled, _ = entry_with_photos(deployment.watchlist)
    EntryReference.objects.filter(pk=enrolled.pk).update(biometrics_destroyed_at=timezone.now())
    client.force_login(manager)
    assert client.get(photo_url(enrolled)).status_code == 404


def test_photographs_cost_one_query_however_many(client, manager, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deployment = DeploymentFactory()
    for _ in range(3):
        EntryFactory(watchlist=deployment.watchlist)
    client.force_login(manager)
    client.get(page_url(deployment))  # the first request fills per-user caches
    with CaptureQueriesContext(connection) as without:
        assert client.get(page_url(deployment)).status_code == 200
    for _ in range(20):
        entry_with_photos(deployment.watchlist)
    with django_assert_num_queries(len(without.captured_queries)):
        assert client.get(page_url(deployment)).status_code == 200
