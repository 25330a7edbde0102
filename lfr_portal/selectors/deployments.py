"""Reads of deployments, filtered by what the user may see."""

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from ..models import Camera, Deployment, DeploymentCamera, DeploymentStatus, Role
from ..permissions import OPERATE_DEPLOYMENT, has_role, user_roles

# Field officers see deployments from submission on: they put up the signs.
FIELD_VISIBLE = (
    DeploymentStatus.SUBMITTED,
    DeploymentStatus.APPROVED,
    DeploymentStatus.LIVE,
    DeploymentStatus.SUSPENDED,
    DeploymentStatus.COMPLETED,
)
# Deployments holding their cameras for their window.
BOOKING_STATES = (
    DeploymentStatus.SUBMITTED,
    DeploymentStatus.APPROVED,
    DeploymentStatus.LIVE,
    DeploymentStatus.SUSPENDED,
)
SEE_ALL = {
    Role.AUTHORISING_OFFICER,
    Role.DEPLOYMENT_PLANNER,
    Role.WATCHLIST_MANAGER,
    Role.COMPLIANCE_OFFICER,
}


def deployments_visible_to(user: Any) -> QuerySet[Deployment]:
    base = Deployment.objects.select_related("created_by", "decided_by")
    roles = user_roles(user)
    if not roles:
        return base.none()
    if roles & SEE_ALL:
        return base.all()
    visible = base.none()
    if has_role(user, Role.FIELD_OFFICER):
        visible = visible | base.filter(status__in=FIELD_VISIBLE)
    if has_role(user, Role.OPERATOR):
        assigned = get_objects_for_user(
            user, OPERATE_DEPLOYMENT, klass=Deployment, accept_global_perms=False
        )
        visible = visible | base.filter(pk__in=assigned.values("pk"))
    return visible.distinct()


def deployment_get(user: Any, public_id: Any) -> Deployment:
    """The deployment if the user may see it; Deployment.DoesNotExist otherwise."""
    return deployments_visible_to(user).get(public_id=public_id)


def deployment_operators(deployment: Deployment) -> list[User]:
    """The operators assigned to this deployment (their object permission), by name."""
    users = get_users_with_perms(
        deployment,
        only_with_perms_in=[OPERATE_DEPLOYMENT.split(".", 1)[1]],
        with_group_users=False,
    )
    return sorted(users, key=lambda u: (u.get_full_name() or u.get_username()).lower())


def overlapping_booking(camera: Camera, deployment: Deployment) -> Deployment | None:
    """Another deployment holding the camera for an overlapping window, if any."""
    if not (deployment.starts_at and deployment.ends_at):
        return None
    clash = (
        DeploymentCamera.objects.filter(
            camera=camera,
            deployment__status__in=BOOKING_STATES,
            deployment__starts_at__lt=deployment.ends_at,
            deployment__ends_at__gt=deployment.starts_at,
        )
        .exclude(deployment=deployment)
        .select_related("deployment")
        .first()
    )
    return clash.deployment if clash else None
