"""Publishing signage photos: who may, its audit row, and the view that checks the flag."""

import pytest
from django.core.files.base import ContentFile

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import AuditEvent, DeploymentStatus, Rank, Role
from lfr_portal.services.publication import signage_photo_publish, signage_photo_withdraw
from tests.factories import SignageFactory, user_with_role
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.django_db

# A sound 1 x 1 PNG: photos recorded through the services must pass the image checks.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc````\x00\x00\x00\x05\x00\x01\xa5\xf6E@"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def sign_with_photo(deployment=None, name="sign.png", content=PNG):
    record = SignageFactory(deployment=deployment or public_deployment())
    record.photo.save(name, ContentFile(content), save=True)
    return record


def photo_url(record):
    return f"/transparency/signs/{record.public_id}/photo/"


def test_an_unapproved_photo_is_never_served_nor_linked(client):
    record = sign_with_photo()
    assert client.get(photo_url(record)).status_code == 404
    page = client.get(f"/transparency/deployments/{record.deployment.public_id}/")
    assert photo_url(record) not in page.content.decode()
    assert record.photo.name not in page.content.decode()


@pytest.mark.parametrize("role", [Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER])
def test_an_authorised_person_publishes_and_the_audit_trail_records_it(client, role):
    record = sign_with_photo()
    actor = user_with_role(role)
    signage_photo_publish(actor=actor, record=record)
    record.refresh_from_db()
    assert record.photo_published_at is not None
    assert record.photo_published_by == actor
    event = AuditEvent.objects.get(action="signage.photo_publish")
    assert event.object_public_id == str(record.public_id)
    assert event.actor == actor
    assert event.deployment_public_id == str(record.deployment.public_id)

    response = client.get(photo_url(record))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG
    page = client.get(f"/transparency/deployments/{record.deployment.public_id}/")
    assert photo_url(record) in page.content.decode()
    data = client.get(f"/transparency/deployments/{record.deployment.public_id}.json").json()
    assert data["signs"][0]["photo_url"].endswith(photo_url(record))


@pytest.mark.parametrize("role", [Role.FIELD_OFFICER, Role.OPERATOR, Role.DEPLOYMENT_PLANNER])
def test_other_roles_may_not_publish(role):
    record = sign_with_photo()
    with pytest.raises(NotPermitted, match="authorising officer or a compliance officer"):
        signage_photo_publish(actor=user_with_role(role), record=record)
    assert not AuditEvent.objects.filter(action="signage.photo_publish").exists()


def test_an_authorising_officer_below_the_rank_may_not_publish():
    record = sign_with_photo()
    inspector = user_with_role(Role.AUTHORISING_OFFICER, role__rank=Rank.INSPECTOR)
    with pytest.raises(NotPermitted):
        signage_photo_publish(actor=inspector, record=record)


def test_whoever_recorded_the_sign_may_not_publish_it():
    both = user_with_role(Role.COMPLIANCE_OFFICER)
    record = sign_with_photo()
    record.recorded_by = both
    record.save(update_fields=["recorded_by"])
    with pytest.raises(NotPermitted, match="four eyes"):
        signage_photo_publish(actor=both, record=record)


def test_nothing_to_publish_twice_or_without_a_photo(compliance):
    bare = SignageFactory(deployment=public_deployment())
    with pytest.raises(InvalidTransition, match="no photo"):
        signage_photo_publish(actor=compliance, record=bare)
    record = sign_with_photo()
    signage_photo_publish(actor=compliance, record=record)
    with pytest.raises(InvalidTransition, match="already published"):
        signage_photo_publish(actor=compliance, record=record)


def test_a_draft_deployments_photo_cannot_be_published(compliance):
    record = sign_with_photo(public_deployment(DeploymentStatus.DRAFT))
    with pytest.raises(InvalidTransition, match="draft"):
        signage_photo_publish(actor=compliance, record=record)


def test_withdrawing_needs_a_reason_and_stops_serving_at_once(client, compliance):
    record = sign_with_photo()
    signage_photo_publish(actor=compliance, record=record)
    assert client.get(photo_url(record)).status_code == 200
    with pytest.raises(RuleViolation, match="reason"):
        signage_photo_withdraw(actor=compliance, record=record, reason=" ")
    signage_photo_withdraw(actor=compliance, record=record, reason="A face is visible")
    assert client.get(photo_url(record)).status_code == 404
    assert AuditEvent.objects.get(action="signage.photo_withdraw").reason == "A face is visible"


def test_a_published_photo_deleted_by_retention_is_gone(client, compliance):
    record = sign_with_photo()
    signage_photo_publish(actor=compliance, record=record)
    record.photo = ""
    record.photo_deleted_at = record.placed_at
    record.save(update_fields=["photo", "photo_deleted_at"])
    assert client.get(photo_url(record)).status_code == 404


def test_a_published_file_that_is_not_an_image_is_not_served(client, compliance):
    record = sign_with_photo(name="notes.html", content=b"<script>alert(1)</script>")
    signage_photo_publish(actor=compliance, record=record)
    assert client.get(photo_url(record)).status_code == 404


def test_a_photo_of_a_deployment_the_public_cannot_see_is_not_served(client, compliance):
    deployment = public_deployment(DeploymentStatus.APPROVED, critical_threat_exempt=True)
    record = sign_with_photo(deployment)
    signage_photo_publish(actor=compliance, record=record)
    assert client.get(photo_url(record)).status_code == 404
