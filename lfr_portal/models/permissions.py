from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .deployments import Deployment


# Direct foreign keys rather than guardian's generic tables: faster joins, and the
# rows go with the deployment instead of lingering as orphans.
class DeploymentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Deployment, on_delete=models.CASCADE)


class DeploymentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Deployment, on_delete=models.CASCADE)
