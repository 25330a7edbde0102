from django.conf import settings
from django.db import models

from .base import PublicModel
from .deployments import Deployment, DeploymentCamera
from .watchlists import WatchlistEntry


class Adjudication(models.TextChoices):
    PENDING = "pending", "Awaiting adjudication"
    CONFIRMED = "confirmed", "Confirmed match"
    FALSE_ALERT = "false_alert", "False alert"
    UNRESOLVED = "unresolved", "Not resolved"


class Outcome(models.TextChoices):
    NONE = "", "Not recorded"
    NO_ACTION = "no_action", "No action"
    WORDS_OF_ADVICE = "words_of_advice", "Words of advice"
    ARREST = "arrest", "Arrest"
    OTHER = "other", "Other"


class Alert(PublicModel):
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="alerts")
    camera = models.ForeignKey(DeploymentCamera, on_delete=models.PROTECT, related_name="alerts")
    # Nullable: the entry is destroyed with the watchlist; the alert's statistics remain.
    entry = models.ForeignKey(
        WatchlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    entry_reference = models.CharField(max_length=100)
    score = models.DecimalField(max_digits=5, decimal_places=4)
    captured_at = models.DateTimeField()
    # When the camera first saw the person of the track that raised it (the source's
    # time); created_at minus this is the alert's latency.
    first_seen_at = models.DateTimeField(null=True, blank=True)
    crop = models.FileField(upload_to="alerts/%Y/%m/", blank=True)
    crop_deleted_at = models.DateTimeField(null=True, blank=True)
    # Identifies the track and chunk that raised it, so a retried chunk cannot raise it twice.
    dedup_key = models.CharField(max_length=200, unique=True)

    adjudication = models.CharField(
        max_length=20, choices=Adjudication.choices, default=Adjudication.PENDING
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True, default="")
    outcome_detail = models.TextField(blank=True)
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    adjudicated_at = models.DateTimeField(null=True, blank=True)
    # Art. 14(5) EU AI Act, where the deployment asks for it: a second person, not the
    # adjudicating operator, verifies the match before it is sent for engagement.
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_verified",
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-captured_at"]
        indexes = [models.Index(fields=["deployment", "adjudication"])]

    def __str__(self):
        return f"Alert {self.public_id} ({self.entry_reference}, {self.score})"


class AlertCropPending(models.Model):
    """A raised alert's captured face, held in the database until the media store takes it.

    The crop is written here in the same transaction as its alert, so an alert is never
    raised without its image, and a media store that is full or failing delays the file
    instead of losing it. The row is removed once the file is stored; until then the
    image is served from here and every failed attempt is on the row.
    """

    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="pending_crop")
    jpeg = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    def __str__(self):
        return f"Crop of alert {self.alert_id} waiting for storage ({self.attempts} attempts)"
