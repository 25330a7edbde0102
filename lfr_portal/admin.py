from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from guardian.admin import GuardedModelAdmin

from . import models
from .errors import GovernanceError
from .services.accounts import account_unlock
from .services.audit import audit_read_record
from .services.webhooks import (
    webhook_subscription_clean,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)


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


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=models.WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = models.WebhookSubscription
        fields = ("name", "url", "events", "active")

    def clean(self):
        data = super().clean()
        try:
            webhook_subscription_clean(
                data.get("name", ""), data.get("url", ""), list(data.get("events") or [])
            )
        except GovernanceError as exc:
            raise ValidationError({exc.field or None: exc.message}) from exc
        return data


@admin.register(models.WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Administrators only, every change through the audited services. The secret is shown
    once, when the subscription is made, and never again."""

    form = WebhookSubscriptionForm
    list_display = ("name", "url", "active", "created_by")
    readonly_fields = ("public_id",)

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {"name": data["name"], "url": data["url"], "events": list(data["events"])}
        if change:
            webhook_subscription_update(
                actor=request.user, subscription=obj, active=data["active"], **fields
            )
            return
        made, secret = webhook_subscription_create(
            actor=request.user, active=data["active"], **fields
        )
        obj.pk, obj.public_id = made.pk, made.public_id
        obj._new_secret = secret  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        """The secret on this one page (never cached, never in a message cookie), then gone."""
        secret = getattr(obj, "_new_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/lfr_portal/webhook_secret.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Signing secret for {obj.name}",
                "subscription": obj,
                "secret": secret,
                "opts": self.model._meta,
            },
        )
        add_never_cache_headers(response)
        return response

    def delete_model(self, request, obj):
        webhook_subscription_delete(actor=request.user, subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_delete(actor=request.user, subscription=subscription)
