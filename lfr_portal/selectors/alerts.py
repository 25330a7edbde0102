from guardian.shortcuts import get_objects_for_user

from ..models import Alert, Deployment, Role
from ..permissions import OPERATE_DEPLOYMENT, has_role


def alerts_visible_to(user):
    base = Alert.objects.select_related("deployment", "camera__camera", "entry")
    if has_role(user, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        return base.all()
    if has_role(user, Role.OPERATOR):
        assigned = get_objects_for_user(
            user, OPERATE_DEPLOYMENT, klass=Deployment, accept_global_perms=False
        )
        return base.filter(deployment__in=assigned.values("pk"))
    return base.none()
