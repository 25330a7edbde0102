"""What happens after an operator's decision: the engagement on the street and its outcome.

Words follow SWP's published definitions: an operator's "true" or "false" alert is the
operator's view in the van; "confirmed" is what engagement found.
"""

from django.conf import settings
from django.db import models

from .alerts import Alert
from .base import PublicModel


class EngagementResult(models.TextChoices):
    PENDING = "", "Not yet recorded"
    CONFIRMED_PERSON = "confirmed_person", "Confirmed: the person on the watchlist"
    NOT_THE_PERSON = "not_the_person", "Confirmed: not the person (misidentified)"
    NOT_LOCATED = "not_located", "Not located"
    NOT_ENGAGED = "not_engaged", "Not engaged"


class IdentityCheck(models.TextChoices):
    NONE = "none", "No identity check"
    DOCUMENT = "document", "Identity document"
    VERBAL = "verbal", "Verbal details checked on police systems"
    MOBILE_FINGERPRINT = "mobile_fingerprint", "Mobile fingerprint scan"
    PERSONAL_KNOWLEDGE = "personal_knowledge", "Officer's personal knowledge"
    OTHER = "other", "Other"


class EngagementOutcome(models.TextChoices):
    NONE = "", "Not recorded"
    ARREST = "arrest", "Arrest"
    WORDS_OF_ADVICE = "words_of_advice", "Words of advice"
    SAFEGUARDING = "safeguarding", "Safeguarding (missing or vulnerable person)"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class ArrestCategory(models.TextChoices):
    WANTED_BY_COURTS = "wanted_by_courts", "Wanted by the courts"
    SUSPECTED_OFFENCE = "suspected_offence", "Suspected of an offence"
    MULTI_AGENCY = "multi_agency", "Multi-agency case (e.g. sex offender conditions)"
    OTHER = "other", "Other"


class LaterOutcome(models.TextChoices):
    NONE = "", "Not yet known"
    CHARGED = "charged", "Charged"
    CAUTIONED = "cautioned", "Cautioned"
    RELEASED = "released", "Released (no charge yet, or on bail)"
    NO_FURTHER_ACTION = "no_further_action", "No further action"


class PerceivedSex(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class PerceivedEthnicity(models.TextChoices):
    """Officer-perceived ethnicity in the groups police publish for officer-defined
    ethnicity (as in stop and search statistics)."""

    NOT_RECORDED = "", "Not recorded"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black"
    WHITE = "white", "White"
    OTHER = "other", "Other ethnic group"


class Engagement(PublicModel):
    """An alert an operator sent for engagement, and everything the street then recorded.

    One per alert. The stages fill in order: dispatched (by the operator), acknowledged
    (a field officer took it), result (engaged or not), outcome, later outcome.
    """

    alert = models.OneToOneField(Alert, on_delete=models.PROTECT, related_name="engagement")
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="engagements_dispatched"
    )
    dispatched_at = models.DateTimeField()
    # The field officer who has it: set when one acknowledges it on their phone.
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="engagements",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    result = models.CharField(
        max_length=30, choices=EngagementResult.choices, blank=True, default=""
    )
    engaged_at = models.DateTimeField(null=True, blank=True)
    stop_minutes = models.PositiveIntegerField(null=True, blank=True)
    identity_check = models.CharField(max_length=30, choices=IdentityCheck.choices, blank=True)
    not_engaged_reason = models.TextField(blank=True)
    result_recorded_at = models.DateTimeField(null=True, blank=True)
    # A misidentified person: how long they were held, and what they were told.
    held_minutes = models.PositiveIntegerField(null=True, blank=True)
    explanation_given = models.BooleanField(null=True, blank=True)
    complaints_route_given = models.BooleanField(null=True, blank=True)
    # As the officer perceived the person engaged, if recorded; published only in
    # aggregate, with small numbers suppressed.
    perceived_sex = models.CharField(
        max_length=10, choices=PerceivedSex.choices, blank=True, default=""
    )
    perceived_ethnicity = models.CharField(
        max_length=10, choices=PerceivedEthnicity.choices, blank=True, default=""
    )

    outcome = models.CharField(
        max_length=30, choices=EngagementOutcome.choices, blank=True, default=""
    )
    arrest_category = models.CharField(max_length=30, choices=ArrestCategory.choices, blank=True)
    custody_reference = models.CharField(max_length=100, blank=True)
    crime_reference = models.CharField(max_length=100, blank=True)
    # An arrest without an evidence hold must say why none is needed.
    no_hold_reason = models.TextField(blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    later_outcome = models.CharField(
        max_length=30, choices=LaterOutcome.choices, blank=True, default=""
    )
    later_outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-dispatched_at"]
        indexes = [models.Index(fields=["result", "outcome"])]

    def __str__(self):
        return f"Engagement on alert {self.alert.public_id}"


class Notification(models.Model):
    """A message for one user, shown on their dashboard until read (no e-mail here)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=50)
    message = models.CharField(max_length=500)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.kind} for {self.recipient_id}"
