"""Reads of deployments, filtered by what the user may see."""

from guardian.shortcuts import get_objects_for_user

from ..models import Deployment, DeploymentStatus, Role
from ..permissions import OPERATE_DEPLOYMENT, has_role, user_roles

# Field officers see deployments from submission on: they put up the signs.
FIELD_VISIBLE = (
    DeploymentStatus.SUBMITTED,
    DeploymentStatus.APPROVED,
    DeploymentStatus.LIVE,
    DeploymentStatus.SUSPENDED,
    DeploymentStatus.COMPLETED,
)
SEE_ALL = {
    Role.AUTHORISING_OFFICER,
    Role.DEPLOYMENT_PLANNER,
    Role.WATCHLIST_MANAGER,
    Role.COMPLIANCE_OFFICER,
}


def deployments_visible_to(user):
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


def deployment_get(user, public_id):
    """The deployment if the user may see it; Deployment.DoesNotExist otherwise."""
    return deployments_visible_to(user).get(public_id=public_id)
