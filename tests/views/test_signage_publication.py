"""Publishing signage photos from the deployment page: who is offered what, and the
permission-checked photo behind the thumbnail."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.models import AuditEvent, DeploymentStatus, Rank, Role
from lfr_portal.services.publication import signage_photo_publish
from tests.factories import SignageFactory, user_with_role
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0sign"
PUBLISH = "Publish on the transparency page"


def sign_with_photo(deployment=None, **fields):
    record = SignageFactory(deployment=deployment or public_deployment(), **fields)
    record.photo.save("sign.jpg", ContentFile(JPEG), save=True)
    return record


def detail(record):
    return f"/deployments/{record.deployment.public_id}/"


def publish_url(record):
    return f"/signs/{record.public_id}/photo/publish/"


def withdraw_url(record):
    return f"/signs/{record.public_id}/photo/withdraw/"


def photo_url(record):
    return f"/images/signs/{record.public_id}.jpg"


def public_photo_url(record):
    return f"/transparency/signs/{record.public_id}/photo/"


@pytest.mark.parametrize("role", [Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER])
def test_a_reviewer_sees_the_photo_and_publishes_it(client, role):
    record = sign_with_photo()
    client.force_login(user_with_role(role))
    page = client.get(detail(record)).content.decode()
    assert f'src="{photo_url(record)}"' in page
    assert "Not published" in page and PUBLISH in page
    assert f'action="{publish_url(record)}"' in page
    assert client.get(public_photo_url(record)).status_code == 404

    response = client.post(publish_url(record), follow=True)

    assert response.redirect_chain == [(detail(record), 302)]
    assert "Photo published on the transparency page." in response.content.decode()
    record.refresh_from_db()
    assert record.photo_published_at is not None
    assert AuditEvent.objects.filter(action="signage.photo_publish").count() == 1
    assert client.get(public_photo_url(record)).status_code == 200
    page = response.content.decode()
    assert PUBLISH not in page
    # The answer to a refused withdrawal scrolls back to the sign's row.
    assert f'action="{withdraw_url(record)}#sign-{record.public_id}"' in page
    assert f'required id="id_withdraw_{record.public_id}_reason"' in page


def test_withdrawing_asks_for_the_reason_then_takes_the_photo_down(client, compliance):
    record = sign_with_photo()
    signage_photo_publish(actor=user_with_role(Role.AUTHORISING_OFFICER), record=record)
    client.force_login(compliance)

    refused = client.post(withdraw_url(record), {"reason": "  "})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert f'id="id_withdraw_{record.public_id}_reason_error"' in page
    assert "Withdrawing a photo needs a reason." in page
    record.refresh_from_db()
    assert record.photo_published_at is not None

    response = client.post(withdraw_url(record), {"reason": "A face is visible"})

    assert response.status_code == 302 and response["Location"] == detail(record)
    record.refresh_from_db()
    assert record.photo_published_at is None
    assert AuditEvent.objects.get(action="signage.photo_withdraw").reason == "A face is visible"
    assert client.get(public_photo_url(record)).status_code == 404
    page = client.get(detail(record)).content.decode()
    assert "Photo withdrawn from the transparency page." in page and PUBLISH in page


def test_the_recorder_is_not_offered_publication_and_is_refused(client):
    both = user_with_role(Role.COMPLIANCE_OFFICER)
    both.groups.add(*user_with_role(Role.FIELD_OFFICER).groups.all())
    record = sign_with_photo(recorded_by=both)
    client.force_login(both)
    page = client.get(detail(record)).content.decode()
    assert f'src="{photo_url(record)}"' in page
    assert PUBLISH not in page and "four eyes" in page

    response = client.post(publish_url(record), follow=True)

    assert "may not publish its photo (four eyes)" in response.content.decode()
    record.refresh_from_db()
    assert record.photo_published_at is None
    assert not AuditEvent.objects.filter(action="signage.photo_publish").exists()


def test_a_deployment_the_public_page_does_not_show_offers_no_publication(client, ao):
    record = sign_with_photo(public_deployment(DeploymentStatus.SUBMITTED))
    client.force_login(ao)
    page = client.get(detail(record)).content.decode()
    assert PUBLISH not in page
    assert "Photos are published for approved, live or ended deployments." in page

    response = client.post(publish_url(record), follow=True)

    assert "this one is submitted" in response.content.decode()
    record.refresh_from_db()
    assert record.photo_published_at is None


def test_a_sign_without_a_photo_offers_nothing(client, ao):
    record = SignageFactory(deployment=public_deployment())
    client.force_login(ao)
    page = client.get(detail(record)).content.decode()
    assert "No photo" in page and PUBLISH not in page
    response = client.post(publish_url(record), follow=True)
    assert "no photo to publish" in response.content.decode()


@pytest.mark.parametrize(
    "role",
    [Role.DEPLOYMENT_PLANNER, Role.WATCHLIST_MANAGER, Role.FIELD_OFFICER],
)
def test_other_roles_see_no_photo_and_are_refused(client, role):
    record = sign_with_photo()
    signage_photo_publish(actor=user_with_role(Role.AUTHORISING_OFFICER), record=record)
    events = AuditEvent.objects.count()
    client.force_login(user_with_role(role))
    page = client.get(detail(record)).content.decode()
    assert record.description in page
    assert photo_url(record) not in page and withdraw_url(record) not in page

    withdrawn = client.post(withdraw_url(record), {"reason": "Mine to decide?"}, follow=True)
    published = client.post(publish_url(record), follow=True)

    assert "authorising officer or a compliance officer" in withdrawn.content.decode()
    assert "authorising officer or a compliance officer" in published.content.decode()
    record.refresh_from_db()
    assert record.photo_published_at is not None
    assert AuditEvent.objects.count() == events


def test_an_operator_not_on_the_deployment_gets_404(client, operator):
    record = sign_with_photo()
    client.force_login(operator)
    assert client.post(publish_url(record)).status_code == 404
    assert client.post(withdraw_url(record), {"reason": "x"}).status_code == 404
    assert client.get(photo_url(record)).status_code == 404


def test_the_actions_answer_only_post(client, ao):
    record = sign_with_photo()
    client.force_login(ao)
    assert client.get(publish_url(record)).status_code == 405
    assert client.get(withdraw_url(record)).status_code == 405


def test_the_photo_is_served_only_to_those_who_decide_on_it(client, ao, compliance):
    record = sign_with_photo()
    for reviewer in (ao, compliance):
        client.force_login(reviewer)
        response = client.get(photo_url(record))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == JPEG
    inspector = user_with_role(Role.AUTHORISING_OFFICER, role__rank=Rank.INSPECTOR)
    others = [inspector, record.recorded_by] + [
        user_with_role(role)
        for role in (Role.DEPLOYMENT_PLANNER, Role.WATCHLIST_MANAGER, Role.OPERATOR)
    ]
    for user in others:
        client.force_login(user)
        assert client.get(photo_url(record)).status_code == 404, user.groups.all()
    client.force_login(ao)
    record.photo_deleted_at = timezone.now()
    record.save(update_fields=["photo_deleted_at"])
    assert client.get(photo_url(record)).status_code == 404
    assert client.get(f"/images/signs/{record.deployment.public_id}.jpg").status_code == 404
    client.logout()
    assert client.get(photo_url(record)).status_code == 302


def test_the_detail_page_costs_the_same_for_one_sign_or_twenty(client, ao):
    deployment = public_deployment()
    sign_with_photo(deployment)

    def queries():
        # A fresh user object each time: roles are cached on the instance for one request.
        client.force_login(get_user_model().objects.get(pk=ao.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/deployments/{deployment.public_id}/").status_code == 200
        return len(captured)

    queries()  # warms process-wide caches (content types, permissions)
    one = queries()
    for _ in range(19):
        sign_with_photo(deployment)
    assert queries() == one
