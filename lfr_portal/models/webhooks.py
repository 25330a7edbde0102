"""Events sent out to a force's command-and-control systems."""

from django.conf import settings
from django.db import models

from ..encryption import EncryptedTextField
from .base import PublicModel


class WebhookEvent(models.TextChoices):
    ALERT_RAISED = "alert.raised", "Alert raised"
    ALERT_SENT = "alert.sent_for_engagement", "Alert sent for engagement"
    ENGAGEMENT = "engagement.recorded", "Engagement recorded"
    OUTCOME = "engagement.outcome", "Outcome recorded"
    DEPLOYMENT_STARTED = "deployment.started", "Deployment went live"
    DEPLOYMENT_STOPPED = "deployment.stopped", "Deployment stopped or completed"
    DEPLOYMENT_SUSPENDED = "deployment.suspended", "Deployment suspended"


class WebhookSubscription(PublicModel):
    """A receiver of signed events; managed by administrators, every change audited."""

    name = models.CharField(max_length=200)
    url = models.URLField(max_length=500)
    # The HMAC key, shown once when made; encrypted at rest like camera credentials.
    secret = EncryptedTextField()
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event for one subscription, kept until delivered or out of attempts."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50, choices=WebhookEvent.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["delivered_at", "given_up_at"])]

    def __str__(self):
        return f"{self.event} to {self.subscription_id}"
