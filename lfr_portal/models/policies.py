"""The force's policy library: documents under version control, each version's file
hashed into the audit chain, and the exact versions each deployment relied on."""

from django.conf import settings
from django.db import models

from .base import PublicModel
from .deployments import Deployment


class PolicyKind(models.TextChoices):
    LEGAL_MANDATE = "legal_mandate", "Legal mandate"
    POLICY = "policy", "Force policy"
    SOP = "sop", "Standard operating procedure"
    DPIA = "dpia", "Data protection impact assessment"
    EQUALITY_IMPACT = "equality_impact", "Equality impact assessment"
    APPROPRIATE_POLICY = "appropriate_policy", "Appropriate Policy Document"


class PolicyDocument(PublicModel):
    """One document the force keeps current (its policy, its SOP...), across versions."""

    kind = models.CharField(max_length=30, choices=PolicyKind.choices)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_documents"
    )

    class Meta:
        ordering = ["kind", "title"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "title"], name="policy_title_once_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"


class PolicyVersion(PublicModel):
    """One uploaded version of a document. Never changed once uploaded: a correction is a
    new version. Its SHA-256 is written into the audit chain when it is uploaded."""

    document = models.ForeignKey(PolicyDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to="policies/%Y/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    issued_on = models.DateField()
    review_by = models.DateField(help_text="The date by which this version must be reviewed.")
    change_summary = models.TextField(help_text="What changed from the previous version.")
    # The retention periods the document states, in days, keyed by the retention rule
    # they describe; checked against the rules in force.
    stated_retention = models.JSONField(default=dict, blank=True)
    publishable = models.BooleanField(default=False)
    publishable_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policy_versions_marked_publishable",
    )
    publishable_marked_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_versions"
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="policy_version_number_once"
            ),
        ]

    def __str__(self):
        return f"{self.document.title} v{self.number}"


class DeploymentPolicyPin(models.Model):
    """A policy version a deployment relied on: pinned, so a later version changes nothing
    about what was authorised."""

    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="policy_pins")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="pins")
    pinned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    pinned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version__document__kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "version"], name="policy_version_pinned_once"
            ),
        ]

    def __str__(self):
        return f"{self.version} for deployment {self.deployment_id}"
