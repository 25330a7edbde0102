from django.conf import settings
from django.db import models

from .alerts import Alert
from .base import PublicModel
from .deployments import Deployment, Engine


class CalibrationRecord(PublicModel):
    """One measurement of an engine's error rates on labelled photographs.

    Written by `evaluate_matcher --record`. The model files' digests say which model
    the figures describe; `rates` holds, per threshold, the false match rate (impostor
    pairs scoring at or above it) and the false non-match rate (genuine pairs below it),
    with the counts behind them so that intervals can be recomputed.
    """

    engine = models.CharField(max_length=30, choices=Engine.choices)
    description = models.TextField(help_text="The labelled data set and how it was used.")
    measured_at = models.DateTimeField()
    model_sha256 = models.JSONField(default=dict, help_text="{model file name: SHA-256}")
    identities = models.PositiveIntegerField()
    images = models.PositiveIntegerField()
    images_without_face = models.PositiveIntegerField(default=0)
    genuine_pairs = models.PositiveBigIntegerField()
    impostor_pairs = models.PositiveBigIntegerField()
    # Sorted by threshold: [{"threshold": "0.500", "fmr": 0.0, "false_matches": 0,
    #                        "fnmr": 0.0248, "false_non_matches": 50}, ...]
    rates = models.JSONField(default=list)
    # Per group rates when the run had a groups file: see evaluate_matcher --groups.
    group_rates = models.JSONField(default=list, blank=True)
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calibrations_run",
    )
    # Who ran it when no portal account was named (the operating-system login).
    ran_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-measured_at", "-id"]
        indexes = [models.Index(fields=["engine", "measured_at"])]

    def __str__(self):
        return f"Calibration of {self.engine} on {self.measured_at:%Y-%m-%d}"


class AccuracySuspension(PublicModel):
    """A deployment stopped because its adjudicated false alerts passed its ceiling,
    and the authorising officer's decision to resume it."""

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="accuracy_suspensions"
    )
    suspended_at = models.DateTimeField()
    # The monitoring window's figures when the ceiling was found exceeded.
    faces_processed = models.PositiveBigIntegerField()
    false_alerts = models.PositiveIntegerField()
    ceiling = models.DecimalField(max_digits=9, decimal_places=8)
    rate_low = models.FloatField(help_text="Lower end of the 95% interval of false alerts/face.")
    explanation = models.TextField()
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accuracy_resumptions",
    )
    resume_reason = models.TextField(blank=True)
    # The deployment's faces count at the resumption: the next window starts there.
    faces_at_resume = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-suspended_at"]

    def __str__(self):
        return f"Suspension of {self.deployment} at {self.suspended_at:%Y-%m-%d %H:%M}"


class OverdueAlertFlag(models.Model):
    """An alert left unadjudicated past LFR_ADJUDICATION_DUE_MINUTES; written once, by beat.

    It stays after the alert is adjudicated, so late adjudications remain countable.
    """

    alert = models.OneToOneField(Alert, on_delete=models.CASCADE, related_name="overdue_flag")
    flagged_at = models.DateTimeField()

    def __str__(self):
        return f"Alert {self.alert.public_id} overdue since {self.flagged_at:%H:%M}"
