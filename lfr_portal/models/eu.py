"""EU AI Act mode: notices of each use to the market-surveillance and data-protection
authorities (Art. 26(10))."""

from django.conf import settings
from django.db import models

from .base import PublicModel
from .deployments import Deployment, EURequestMethod


class NotifiedAuthority(models.TextChoices):
    MARKET_SURVEILLANCE = "market_surveillance", "Market-surveillance authority"
    DATA_PROTECTION = "data_protection", "Data-protection authority"


class AuthorityNotification(PublicModel):
    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="authority_notifications"
    )
    authority = models.CharField(max_length=30, choices=NotifiedAuthority.choices)
    authority_name = models.CharField(max_length=200)
    notified_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=EURequestMethod.choices)
    reference = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authority_notices"
    )

    class Meta:
        ordering = ["-notified_at"]

    def __str__(self):
        return f"{self.get_authority_display()} notified for deployment {self.deployment_id}"
