from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from .base import PublicModel
from .deployments import Deployment


class WatchlistStatus(models.TextChoices):
    DRAFT = "draft", "Being built"
    APPROVED = "approved", "Authorised"
    FINALISED = "finalised", "Finalised"
    DESTROYED = "destroyed", "Images and embeddings destroyed"


class Watchlist(PublicModel):
    """The watchlist built for one deployment's purpose and authorised for it alone."""

    deployment = models.OneToOneField(
        Deployment, on_delete=models.PROTECT, related_name="watchlist"
    )
    status = models.CharField(
        max_length=20, choices=WatchlistStatus.choices, default=WatchlistStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="watchlists_created"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="watchlists_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="watchlists_finalised",
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # At finalisation someone confirms that every entry is still wanted (or still missing,
    # or still a risk) as of this time.
    still_wanted_as_of = models.DateTimeField(null=True, blank=True)
    still_wanted_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="watchlists_confirmed_wanted",
    )

    def __str__(self):
        return f"Watchlist for {self.deployment.title}"


class EntryCategory(models.TextChoices):
    # A closed list: "persons where intelligence is required" is deliberately absent
    # (R (Bridges) v Chief Constable of South Wales Police, 2020).
    WANTED = "wanted", "Wanted by police or courts"
    SUSPECT = "suspect", "Suspected of an offence"
    MISSING_OR_VULNERABLE = "missing_or_vulnerable", "Missing or vulnerable person"
    RISK = "risk", "May pose a risk to themselves or others"


class EntryResponse(models.TextChoices):
    """What officers on the street are to do when the person is found; approved with the
    entry, and shown on the engagement officer's phone."""

    ARREST_ON_WARRANT = "arrest_on_warrant", "Arrest on warrant"
    ARREST_ON_SUSPICION = "arrest_on_suspicion", "Arrest if grounds are confirmed"
    SAFEGUARD = "safeguard", "Safeguard the person"
    LOCATE_AND_INFORM = "locate_and_inform", "Locate and inform the case officer"


# Used when an entry is added without a stated response.
DEFAULT_RESPONSE = {
    "wanted": EntryResponse.ARREST_ON_WARRANT,
    "suspect": EntryResponse.ARREST_ON_SUSPICION,
    "missing_or_vulnerable": EntryResponse.SAFEGUARD,
    "risk": EntryResponse.LOCATE_AND_INFORM,
}


class EntryStatus(models.TextChoices):
    PENDING = "pending", "Awaiting a second approver"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REMOVED = "removed", "Removed"


class EnrolmentState(models.TextChoices):
    PENDING = "pending", "Waiting to enrol"
    ENROLLED = "enrolled", "Enrolled"
    REJECTED = "rejected", "Image rejected"


class WatchlistEntry(PublicModel):
    watchlist = models.ForeignKey(Watchlist, on_delete=models.PROTECT, related_name="entries")
    status = models.CharField(
        max_length=20, choices=EntryStatus.choices, default=EntryStatus.PENDING
    )
    display_name = models.CharField(max_length=200)
    category = models.CharField(max_length=30, choices=EntryCategory.choices)
    reason = models.TextField(help_text="The offence, or why the person is sought.")
    legal_basis = models.CharField(max_length=300)
    # The "who" case: how serious the offence is, for "suspected of an offence" entries.
    # The longest custodial sentence the offence carries, in years (life: 99); the least
    # a suspect entry may carry is LFR_SUSPECT_OFFENCE_MIN_YEARS.
    offence_max_sentence_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(99)],
        help_text="Maximum custodial sentence for the offence, in years (life: 99).",
    )
    reference_number = models.CharField(
        max_length=100, help_text="Custody or case reference number."
    )
    image_source = models.CharField(
        max_length=200, help_text="Where the lawfully held image came from (e.g. custody record)."
    )
    image_date = models.DateField()
    under_18 = models.BooleanField(default=False)
    under_18_justification = models.TextField(blank=True)
    response = models.CharField(max_length=30, choices=EntryResponse.choices, blank=True)

    reference_image = models.FileField(upload_to="watchlist/%Y/%m/", blank=True)
    enrolment_state = models.CharField(
        max_length=20, choices=EnrolmentState.choices, default=EnrolmentState.PENDING
    )
    enrolment_message = models.CharField(max_length=500, blank=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_engine = models.CharField(max_length=30, blank=True)
    biometrics_destroyed_at = models.DateTimeField(null=True, blank=True)

    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entries_added"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries_approved",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "watchlist entries"
        indexes = [models.Index(fields=["watchlist", "status"])]

    def __str__(self):
        return f"{self.reference_number} ({self.get_category_display()})"


class EntryReference(PublicModel):
    """A further reference photograph of an entry's person; the entry's own image is the first.

    Each is checked and enrolled on its own, and the matcher takes the best score over all
    of an entry's enrolled photographs.
    """

    entry = models.ForeignKey(WatchlistEntry, on_delete=models.PROTECT, related_name="references")
    image = models.FileField(upload_to="watchlist/%Y/%m/", blank=True)
    enrolment_state = models.CharField(
        max_length=20, choices=EnrolmentState.choices, default=EnrolmentState.PENDING
    )
    enrolment_message = models.CharField(max_length=500, blank=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_engine = models.CharField(max_length=30, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entry_references_added"
    )
    biometrics_destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["entry", "enrolment_state"])]

    def __str__(self):
        return f"Further photograph of {self.entry.reference_number}"


class WatchlistReferenceRecord(models.Model):
    """Which reference numbers were on a destroyed watchlist: no images, no embeddings.

    Kept so that a person can later be told whether they were on it.
    """

    deployment = models.ForeignKey(
        Deployment, on_delete=models.PROTECT, related_name="watchlist_references"
    )
    reference_number = models.CharField(max_length=100)
    category = models.CharField(max_length=30, choices=EntryCategory.choices)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["reference_number"])]

    def __str__(self):
        return f"{self.reference_number} on {self.deployment_id}"
