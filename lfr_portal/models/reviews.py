"""After a deployment: its review by the authorising officer, and complaints received."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models

from .base import PublicModel
from .deployments import Deployment


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED_OFF = "signed_off", "Signed off"


class PostDeploymentReview(PublicModel):
    """Opened when a deployment ends, pre-filled with its figures; signed off by an
    authorising officer with findings and lessons; overdue after LFR_REVIEW_DUE_DAYS."""

    deployment = models.OneToOneField(Deployment, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(
        max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    opened_at = models.DateTimeField()
    due_by = models.DateTimeField()
    # The deployment's figures when the review opened: counts only, nothing personal.
    figures = models.JSONField(default=dict, blank=True)
    findings = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    # Published on the transparency page once signed off.
    public_summary = models.TextField(blank=True, validators=[MaxLengthValidator(2000)])
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviews_signed_off",
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self):
        return f"Review of {self.deployment.title}"


class ComplaintCategory(models.TextChoices):
    MISIDENTIFICATION = "misidentification", "Misidentified or wrongly stopped"
    PRIVACY = "privacy", "Privacy or data protection"
    CONDUCT = "conduct", "Officer conduct"
    SIGNAGE = "signage", "Signage or information given"
    OTHER = "other", "Other"


class ComplaintOutcome(models.TextChoices):
    OPEN = "", "Open"
    UPHELD = "upheld", "Upheld"
    NOT_UPHELD = "not_upheld", "Not upheld"
    RESOLVED = "resolved", "Resolved informally"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Complaint(PublicModel):
    """A complaint about LFR use, counted by category and outcome. The complainant's
    details stay in the force's complaints system; here only its reference."""

    deployment = models.ForeignKey(
        Deployment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    received_on = models.DateField()
    category = models.CharField(max_length=30, choices=ComplaintCategory.choices)
    reference = models.CharField(
        max_length=100, blank=True, help_text="The force's complaint reference."
    )
    summary = models.TextField(blank=True)
    outcome = models.CharField(
        max_length=20, choices=ComplaintOutcome.choices, blank=True, default=""
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints_recorded"
    )

    class Meta:
        ordering = ["-received_on", "-created_at"]

    def __str__(self):
        return f"Complaint {self.reference or self.public_id} ({self.get_category_display()})"
