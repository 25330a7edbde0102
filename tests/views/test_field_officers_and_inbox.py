"""The deployment page's field officer forms, and the dashboard's notifications."""

import pytest

from lfr_portal.models import AuditEvent, Notification, Role
from lfr_portal.permissions import can_engage
from lfr_portal.services.notifications import notification_send
from tests.factories import DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def test_the_planner_assigns_and_removes_a_field_officer_on_the_page(
    client, planner, field_officer
):
    deployment = DeploymentFactory(created_by=planner)
    page = f"/deployments/{deployment.public_id}/"
    client.force_login(planner)
    assert "No field officer is assigned yet" in client.get(page).content.decode()

    assigned = client.post(f"{page}field-officers/", {"fo-officer": field_officer.username})

    assert assigned.status_code == 302
    assert can_engage(_fresh(field_officer), deployment)
    shown = client.get(page).content.decode()
    assert f"Remove {field_officer.get_full_name()} as field officer" in shown

    removed = client.post(f"{page}field-officers/remove/", {"officer": field_officer.username})

    assert removed.status_code == 302
    assert not can_engage(_fresh(field_officer), deployment)
    assert AuditEvent.objects.filter(action="deployment.field_officer_remove").count() == 1


def test_only_field_officers_are_offered_and_others_are_refused(client, planner, operator):
    deployment = DeploymentFactory(created_by=planner)
    page = f"/deployments/{deployment.public_id}/"
    client.force_login(planner)

    refused = client.post(f"{page}field-officers/", {"fo-officer": operator.username})

    assert refused.status_code == 400
    assert not AuditEvent.objects.filter(action="deployment.field_officer_assign").exists()
    client.force_login(user_with_role(Role.DEPLOYMENT_PLANNER))
    officer = user_with_role(Role.FIELD_OFFICER)
    other = client.post(f"{page}field-officers/", {"fo-officer": officer.username})
    assert other.status_code == 400
    assert not can_engage(_fresh(officer), deployment)


def test_the_dashboard_lists_unread_notifications_and_marks_them_read(client, field_officer, ao):
    notification_send(
        recipients=[field_officer], kind="engagement.sent", message="A possible match", link="/x/"
    )
    notification_send(recipients=[ao], kind="test", message="For someone else")
    mine = Notification.objects.get(recipient=field_officer)
    theirs = Notification.objects.get(recipient=ao)
    client.force_login(field_officer)

    page = client.get("/dashboard/").content.decode()
    assert "A possible match" in page and "For someone else" not in page

    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post(f"/notifications/{mine.pk}/read/").status_code == 302
    assert client.get(f"/notifications/{mine.pk}/read/").status_code == 405
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert "A possible match" not in client.get("/dashboard/").content.decode()
