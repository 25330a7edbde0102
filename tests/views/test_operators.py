"""The deployment page lists its assigned operators, and the planner or an authorising
officer can take one off, on the server's say-so and on the record."""

import pytest

from lfr_portal.models import AuditEvent, Role
from lfr_portal.permissions import can_operate
from lfr_portal.services.deployment_staff import deployment_operator_assign
from tests import builders
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db


def page(deployment, suffix=""):
    return f"/deployments/{deployment.public_id}/{suffix}"


@pytest.fixture
def assigned(operator):
    deployment = builders.approved()
    operator.first_name, operator.last_name = "Morgan", "Hale"
    operator.save(update_fields=["first_name", "last_name"])
    deployment_operator_assign(
        actor=deployment.created_by, deployment=deployment, operator=operator
    )
    return deployment


def test_the_page_lists_who_is_assigned(client, assigned, operator):
    other = user_with_role(Role.OPERATOR)
    client.force_login(assigned.created_by)
    html = client.get(page(assigned)).content.decode()
    assert "Assigned operators" in html
    assert "Morgan Hale" in html
    assert f'value="{operator.username}"' in html  # its Remove button
    assert f'value="{other.username}"><button' not in html  # not assigned: no Remove


def test_a_deployment_without_operators_says_so(client, planner):
    deployment = builders.approved()
    client.force_login(deployment.created_by)
    html = client.get(page(deployment)).content.decode()
    assert "No operator is assigned yet" in html


def test_the_planner_removes_an_operator_and_it_is_audited(client, assigned, operator):
    client.force_login(assigned.created_by)
    response = client.post(page(assigned, "operators/remove/"), {"operator": operator.username})
    assert response.status_code == 302
    assert not can_operate(operator, assigned)
    event = AuditEvent.objects.filter(action="deployment.operator_remove").get()
    assert event.changes == {"operator": operator.username}
    assert event.actor_username == assigned.created_by.username
    # The operator no longer sees the deployment at all.
    client.force_login(operator)
    assert client.get(page(assigned, "operate/")).status_code == 404


def test_someone_elses_planner_may_not_remove_an_operator(client, assigned, operator):
    stranger = user_with_role(Role.DEPLOYMENT_PLANNER)
    client.force_login(stranger)
    response = client.post(
        page(assigned, "operators/remove/"), {"operator": operator.username}, follow=True
    )
    assert "Only its planner or an authorising officer may assign operators." in (
        response.content.decode()
    )
    assert can_operate(operator, assigned)
    assert not AuditEvent.objects.filter(action="deployment.operator_remove").exists()


def test_removing_someone_not_assigned_says_so(client, assigned):
    other = user_with_role(Role.OPERATOR)
    client.force_login(assigned.created_by)
    response = client.post(
        page(assigned, "operators/remove/"), {"operator": other.username}, follow=True
    )
    assert "is not assigned to this deployment" in response.content.decode()
    assert not AuditEvent.objects.filter(action="deployment.operator_remove").exists()


def test_an_operator_cannot_remove_themselves_or_others(client, assigned, operator):
    client.force_login(operator)
    client.post(page(assigned, "operators/remove/"), {"operator": operator.username})
    assert can_operate(operator, assigned)
