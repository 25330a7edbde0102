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

    def changelist_view(self, request, extra_context=None):
        self._record_read(request, {"admin": "changelist", "query": request.GET.urlencode()})
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._record_read(request, {"admin": "detail", "id": object_id})
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _record_read(request, changes):
        # Reading the trail is on the trail, through the admin as anywhere else.
        from django.db import transaction

        from .services.audit import audit_record

        with transaction.atomic():
            audit_record(actor=request.user, action="audit.read", changes=changes)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
