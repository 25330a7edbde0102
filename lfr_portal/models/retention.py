from django.conf import settings
from django.db import models

from .alerts import Alert
from .base import PublicModel
from .deployments import Deployment


class AlertHold(PublicModel):
    """An alert needed for proceedings: its image is kept past the normal period until
    the review date, unless the hold is renewed. A hold past its review date lapses."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="holds")
    reason = models.TextField()
    # The custody record the image is kept for, when the hold follows an arrest.
    custody_reference = models.CharField(max_length=100, blank=True)
    review_by = models.DateField()
    # When the holder was last reminded that the review date is near.
    reminded_at = models.DateTimeField(null=True, blank=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alert_holds_released",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Hold on {self.alert.public_id} until {self.review_by:%Y-%m-%d}"


class RetentionCategory(models.TextChoices):
    ALERT_IMAGES = "alert_images", "Alert images and captured crops"
    WATCHLIST_BIOMETRICS = "watchlist_biometrics", "Watchlist reference images and embeddings"
    SIGNAGE_PHOTOS = "signage_photos", "Signage photos"
    DEPLOYMENT_DATA = "deployment_data", "All data of a deployment refused authorisation"
    AUDIT_ROWS = "audit_rows", "Audit rows"
    WEBHOOK_DELIVERIES = "webhook_deliveries", "Records of events sent to other systems"


class DeletionRecord(models.Model):
    """What a retention run deleted, for one category and deployment. Nothing biometric:
    counts, the rule, and SHA-256 digests of what was removed."""

    deployment = models.ForeignKey(
        Deployment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deletion_records",
    )
    category = models.CharField(max_length=30, choices=RetentionCategory.choices)
    rule = models.CharField(max_length=300)
    count = models.PositiveIntegerField(default=0)
    files_removed = models.PositiveIntegerField(default=0)
    item_hashes = models.JSONField(default=list, blank=True)
    digest = models.CharField(max_length=64, blank=True)
    first_deleted_at = models.DateTimeField()
    last_deleted_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_deleted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "category"],
                name="one_deletion_record_per_category_and_deployment",
            ),
        ]

    def __str__(self):
        return f"{self.count} × {self.get_category_display()} ({self.rule})"


class PendingFileDeletion(models.Model):
    """A stored file whose row no longer points at it, waiting to be removed from storage.

    Written in the same transaction that clears the row, removed once the file is gone:
    a run killed between the two leaves this note, and the next run finishes the job.
    """

    name = models.CharField(max_length=500, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name
