"""Publishing signage photos through the API: the refusals, and what the output says."""

import pytest
from django.core.files.base import ContentFile

from lfr_portal.models import AuditEvent, DeploymentStatus, Role
from tests.factories import DeploymentFactory, SignageFactory, user_with_role

pytestmark = pytest.mark.django_db


def sign(status=DeploymentStatus.APPROVED, photo=True, **fields):
    record = SignageFactory(deployment=DeploymentFactory(status=status), **fields)
    if photo:
        record.photo.save("sign.jpg", ContentFile(b"\xff\xd8sign"), save=True)
    return record


def publish(api, user, record):
    api.force_authenticate(user)
    return api.post(f"/api/signage/{record.public_id}/publish/")


def withdraw(api, user, record, body):
    api.force_authenticate(user)
    return api.post(f"/api/signage/{record.public_id}/withdraw/", body, format="json")


def test_publishing_says_when_and_never_shows_the_photo(api, compliance):
    record = sign()

    response = publish(api, compliance, record)

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["public_id"] == str(record.public_id)
    assert data["has_photo"] is True and data["photo_published"] is True
    assert data["photo_published_at"]
    assert not {"photo", "photo_url"} & set(data)
    assert record.photo.name not in response.content.decode()
    listed = api.get(f"/api/deployments/{record.deployment.public_id}/signage/").json()
    assert listed["results"][0]["photo_published"] is True


def test_the_recorder_may_not_publish(api):
    both = user_with_role(Role.AUTHORISING_OFFICER)
    both.groups.add(*user_with_role(Role.FIELD_OFFICER).groups.all())
    record = sign(recorded_by=both)

    response = publish(api, both, record)

    assert response.status_code == 403
    assert response.json()["rule"] == "four_eyes"
    assert not AuditEvent.objects.filter(action="signage.photo_publish").exists()


@pytest.mark.parametrize(
    ("record_kwargs", "words"),
    [
        ({"photo": False}, "no photo"),
        ({"status": DeploymentStatus.DRAFT}, "this one is draft"),
        ({"status": DeploymentStatus.REJECTED}, "this one is rejected"),
    ],
)
def test_a_photo_the_public_page_cannot_show_is_refused(api, ao, record_kwargs, words):
    response = publish(api, ao, sign(**record_kwargs))

    assert response.status_code == 409
    assert words in response.json()["detail"]


def test_publishing_twice_is_refused(api, ao, compliance):
    record = sign()
    assert publish(api, ao, record).status_code == 200
    response = publish(api, compliance, record)
    assert response.status_code == 409
    assert "already published" in response.json()["detail"]


def test_an_unknown_sign_answers_404(api, ao):
    record = sign()
    record.public_id = "00000000-0000-4000-8000-000000000000"
    assert publish(api, ao, record).status_code == 404
    assert withdraw(api, ao, record, {"reason": "x"}).status_code == 404


def test_withdrawing_needs_a_reason_and_a_published_photo(api, ao, compliance):
    record = sign()
    assert withdraw(api, compliance, record, {"reason": "Face"}).status_code == 409
    publish(api, ao, record)

    missing = withdraw(api, compliance, record, {})
    blank = withdraw(api, compliance, record, {"reason": "   "})
    unknown = withdraw(api, compliance, record, {"reason": "Face", "publish": True})

    assert missing.status_code == blank.status_code == unknown.status_code == 400
    assert "reason" in missing.json() and "reason" in blank.json()
    assert "publish" in unknown.json()
    response = withdraw(api, compliance, record, {"reason": "A face is visible"})
    assert response.status_code == 200
    assert response.json()["photo_published"] is False
    assert response.json()["photo_published_at"] is None
    assert AuditEvent.objects.get(action="signage.photo_withdraw").reason == "A face is visible"
