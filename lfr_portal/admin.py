from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from . import models


@admin.register(models.Deployment)
class DeploymentAdmin(GuardedModelAdmin):
    list_display = ("title", "status", "borough", "starts_at", "ends_at", "engine", "threshold")
    list_filter = ("status", "borough", "use_case")
    search_fields = ("title", "location_name")
    readonly_fields = ("public_id", "authorised_snapshot")


for model in (
    models.DeploymentDocument,
    models.Camera,
    models.DeploymentCamera,
    models.Watchlist,
    models.WatchlistEntry,
    models.SignageRecord,
    models.LeafletRecord,
    models.Alert,
    models.OfficerProfile,
    models.WatchlistReferenceRecord,
    models.WorkerHeartbeat,
):
    admin.site.register(model)


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is changed by nobody, superusers included."""

    list_display = ("occurred_at", "actor_username", "action", "object_repr", "client_address")
    list_filter = ("action",)
    search_fields = ("actor_username", "object_repr", "object_public_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
