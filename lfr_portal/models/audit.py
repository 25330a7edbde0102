from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One action, who did it, on what, when and from where. Never edited, never deleted."""

    occurred_at = models.DateTimeField(db_index=True)
    # SET_NULL plus the copied username: the record outlives the account.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_public_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(max_length=300, blank=True)
    deployment_public_id = models.CharField(max_length=64, blank=True, db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username or 'system'} {self.action}"
        )
