from axes.models import AccessAttempt
from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from . import models
from .errors import GovernanceError
from .services.accounts import account_unlock
from .services.audit import audit_read_record


@admin.register(models.Deployment)
class DeploymentAdmin(GuardedModelAdmin):
    list_display = ("title", "status", "borough", "starts_at", "ends_at", "engine", "threshold")
    list_filter = ("status", "borough", "use_case")
    search_fields = ("title", "location_name")
    readonly_fields = ("public_id", "authorised_snapshot")


for model in (
    models.DeploymentDocument,
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


@admin.register(models.Camera)
class CameraAdmin(admin.ModelAdmin):
    """Never shows a source URL in full, and registers none: camera_create checks them."""

    list_display = ("name", "source_url_masked", "latitude", "longitude")
    exclude = ("source_url",)
    readonly_fields = ("public_id", "source_url_masked")

    def has_add_permission(self, request):
        return False


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
        audit_read_record(actor=request.user, changes=changes)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class AccessAttemptAdmin(admin.ModelAdmin):
    """Failed log-ins, read-only. Unlocking goes through the audited service, never a delete."""

    list_display = ("username", "ip_address", "failures_since_start", "attempt_time")
    search_fields = ("username", "ip_address")
    readonly_fields = ("username", "ip_address", "failures_since_start", "attempt_time")
    exclude = ("get_data", "post_data")
    actions = ["unlock"]

    @admin.action(description="Unlock the selected accounts", permissions=["unlock"])
    def unlock(self, request, queryset):
        for username in sorted(set(queryset.values_list("username", flat=True)) - {None}):
            try:
                account_unlock(
                    actor=request.user, username=username, reason="unlocked from the admin site"
                )
            except GovernanceError as exc:
                self.message_user(request, exc.message, level="warning")
            else:
                self.message_user(request, f"Unlocked {username}.")

    def has_unlock_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
