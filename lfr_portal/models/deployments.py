from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models

from ..camera_sources import mask_url
from ..encryption import EncryptedTextField
from ..engines import ENGINE_CHOICES
from .base import PublicModel


class DeploymentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    LIVE = "live", "Live"
    # Stopped by the system when adjudicated false alerts pass the ceiling; only an
    # authorising officer's recorded decision makes it live again.
    SUSPENDED = "suspended", "Suspended (false-alert ceiling exceeded)"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class UseCase(models.TextChoices):
    CRIME_HOTSPOT = "crime_hotspot", "Crime hotspot"
    EVENT = "event", "Event"
    PROTECTIVE_SECURITY = "protective_security", "Protective security"
    MISSING_OR_VULNERABLE = "missing_or_vulnerable", "Missing or vulnerable person"
    OTHER = "other", "Other"


class EUPurpose(models.TextChoices):
    """The only purposes for which the EU AI Act allows real-time remote biometric
    identification in public spaces for law enforcement (Art. 5(1)(h)(i)-(iii))."""

    VICTIM_SEARCH = (
        "victim_search",
        "Targeted search for specific victims of abduction, trafficking or sexual "
        "exploitation, or for missing persons (Art. 5(1)(h)(i))",
    )
    THREAT_PREVENTION = (
        "threat_prevention",
        "Preventing a specific, substantial and imminent threat to life or safety, or a "
        "genuine and present or foreseeable terrorist attack (Art. 5(1)(h)(ii))",
    )
    SUSPECT_LOCALISATION = (
        "suspect_localisation",
        "Locating or identifying a suspect of an Annex II offence punishable by at least "
        "four years (Art. 5(1)(h)(iii))",
    )


class EURequestMethod(models.TextChoices):
    """How a request to, or a notice for, an authority was actually made."""

    ELECTRONIC = "electronic", "Electronic submission (portal or secure e-mail)"
    WRITTEN = "written", "In writing"
    TELEPHONE = "telephone", "By telephone, confirmed in writing"
    IN_PERSON = "in_person", "In person"


class EUAuthorityKind(models.TextChoices):
    JUDICIAL = "judicial", "Judicial authority (a court)"
    INDEPENDENT = "independent", "Independent administrative authority"


# The engines' names and labels come from the matcher's registry, their one declaration.
Engine = models.TextChoices(
    "Engine",
    [(name.upper().replace("-", "_"), (name, label)) for name, label in ENGINE_CHOICES],
)


class Deployment(PublicModel):
    title = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=DeploymentStatus.choices, default=DeploymentStatus.DRAFT
    )
    use_case = models.CharField(max_length=30, choices=UseCase.choices)
    use_case_other = models.CharField(max_length=200, blank=True)
    purpose = models.TextField()
    justification = models.TextField(
        help_text="Why the deployment is necessary and proportionate to its purpose."
    )

    location_name = models.CharField(max_length=200)
    borough = models.CharField(max_length=100)
    latitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    radius_m = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5000)]
    )

    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    engine = models.CharField(max_length=30, choices=Engine.choices, default=Engine.OPENCV_SFACE)
    threshold = models.DecimalField(max_digits=4, decimal_places=3)
    threshold_override_reason = models.TextField(blank=True)
    expected_faces = models.PositiveIntegerField(
        default=0, help_text="The planner's estimate of faces passing the cameras."
    )
    # Why approval may go ahead although the engine's calibration is missing or stale.
    calibration_override_reason = models.TextField(blank=True)
    # False alerts per face processed; only stricter than LFR_FALSE_ALERT_CEILING.
    false_alert_ceiling = models.DecimalField(
        max_digits=9, decimal_places=8, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    # The "where" case (Bridges v South Wales Police, 2020): why watchlisted people are
    # expected at this place and time. The authorising officer cannot approve without it.
    grounds_references = models.TextField(
        blank=True,
        help_text="Intelligence or crime references that point to this place and time.",
    )
    grounds_crime_figures = models.TextField(
        blank=True, help_text="The crime problem at this place, in figures."
    )
    grounds_alternatives = models.TextField(
        blank=True, help_text="Alternatives considered, and why they are not enough."
    )
    # Published on the transparency page once the deployment is authorised.
    why_here_summary = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(1000)],
        help_text="Why here, in plain language for the public (published once authorised).",
    )

    # A recorded critical threat exempts a planned deployment from advance announcement.
    critical_threat_exempt = models.BooleanField(default=False)
    critical_threat_reason = models.TextField(blank=True)

    # EU AI Act mode: urgency lets a deployment start before the independent
    # authority's decision, which must then follow within 24 hours.
    eu_urgency = models.BooleanField(default=False)
    eu_urgency_reason = models.TextField(blank=True)
    # The Art. 5(1)(h) purpose the use serves; required in EU AI Act mode.
    eu_purpose = models.CharField(max_length=30, choices=EUPurpose.choices, blank=True)
    # The request to the authority as it was actually made: when, how, its reference and
    # who recorded it. Never filled in by the system on anyone's behalf.
    eu_authorisation_requested_at = models.DateTimeField(null=True, blank=True)
    eu_request_method = models.CharField(max_length=20, choices=EURequestMethod.choices, blank=True)
    eu_request_reference = models.CharField(max_length=200, blank=True)
    eu_request_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="eu_requests_recorded",
    )
    # The authority's (or court's) decision: who decided, when, its reference, and what.
    eu_authorisation_decision = models.CharField(
        max_length=10,
        choices=[("granted", "Granted"), ("refused", "Refused")],
        blank=True,
    )
    eu_authorisation_decided_at = models.DateTimeField(null=True, blank=True)
    eu_decision_authority = models.CharField(max_length=200, blank=True)
    eu_decision_authority_kind = models.CharField(
        max_length=20, choices=EUAuthorityKind.choices, blank=True
    )
    eu_decision_reference = models.CharField(max_length=200, blank=True)
    eu_decision_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="eu_decisions_recorded",
    )
    # Art. 14(5): a second person verifies each alert before anyone acts on it.
    second_person_verification = models.BooleanField(default=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deployments_created"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deployments_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    # What the authorising officer approved, so that going live can prove nothing
    # changed since: window, threshold, engine, cameras and their sources, watchlist.
    authorised_snapshot = models.JSONField(default=dict, blank=True)

    went_live_at = models.DateTimeField(null=True, blank=True)
    went_live_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deployments_started",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deployments_ended",
    )
    end_reason = models.TextField(blank=True)
    stopped_early = models.BooleanField(default=False)

    faces_processed = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-starts_at", "-created_at"]
        permissions = [
            ("operate_deployment", "Operate the deployment and adjudicate its alerts"),
            ("engage_deployment", "Receive its alerts on the street and record engagements"),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__isnull=True)
                | models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="deployment_window_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.location_name})"


# What a new draft must say from the start; the rest may follow before it is submitted.
DRAFT_REQUIRED_FIELDS = (
    "title",
    "use_case",
    "purpose",
    "justification",
    "location_name",
    "borough",
    "latitude",
    "longitude",
    "radius_m",
)
# The fields a planner sets on a draft. The HTML form, the API and the service all take
# exactly these, with the limits declared on the fields above.
EDITABLE_FIELDS = (
    *DRAFT_REQUIRED_FIELDS,
    "use_case_other",
    "starts_at",
    "ends_at",
    "engine",
    "threshold",
    "threshold_override_reason",
    "expected_faces",
    "calibration_override_reason",
    "false_alert_ceiling",
    "critical_threat_exempt",
    "critical_threat_reason",
    "eu_urgency",
    "eu_urgency_reason",
    "grounds_references",
    "grounds_crime_figures",
    "grounds_alternatives",
    "why_here_summary",
    "eu_purpose",
    "second_person_verification",
)


class DocumentKind(models.TextChoices):
    DPIA = "dpia", "Data protection impact assessment"
    APPROPRIATE_POLICY = "appropriate_policy", "Appropriate Policy Document"
    EQUALITY_IMPACT = "equality_impact", "Equality impact assessment"
    FUNDAMENTAL_RIGHTS = "fundamental_rights", "Fundamental rights impact assessment (EU)"
    EU_REGISTRATION = "eu_registration", "EU database registration (EU)"
    INDEPENDENT_AUTHORISATION = (
        "independent_authorisation",
        "Judicial or independent authorisation (EU)",
    )


REQUIRED_DOCUMENTS = (
    DocumentKind.DPIA,
    DocumentKind.APPROPRIATE_POLICY,
    DocumentKind.EQUALITY_IMPACT,
)
REQUIRED_DOCUMENTS_EU = (DocumentKind.FUNDAMENTAL_RIGHTS, DocumentKind.EU_REGISTRATION)


class DeploymentDocument(PublicModel):
    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=40, choices=DocumentKind.choices)
    reference = models.CharField(max_length=200)
    issued_on = models.DateField()
    review_by = models.DateField(help_text="The date after which the document is out of date.")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(fields=["deployment", "kind"], name="one_document_per_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference}"


class Camera(PublicModel):
    """A camera the force can point at a deployment's location."""

    name = models.CharField(max_length=200, unique=True)
    # Stream URLs often carry a user name and password: encrypted at rest, checked
    # against the camera source rules (lfr_portal/camera_sources.py) when saved.
    source_url = EncryptedTextField(validators=[MaxLengthValidator(1000)])
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.CharField(max_length=300, blank=True)
    # The narrowest face, in this camera's own pixels, that recognition must find here;
    # empty means LFR_MIN_FACE_PX. It sets how far frames are scaled down for detection.
    min_face_px = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(24), MaxValueValidator(400)],
        help_text="Smallest face to find, in camera pixels (empty: the default).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def source_url_masked(self):
        """The source URL fit to show: its password, if any, replaced by ***."""
        return mask_url(self.source_url)


class CameraState(models.TextChoices):
    IDLE = "idle", "Idle"
    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    RECONNECTING = "reconnecting", "Reconnecting"
    STOPPED = "stopped", "Stopped"
    FAILED = "failed", "Failed"


class DeploymentCamera(models.Model):
    """A camera booked for one deployment's window, and its recognition job's state."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="cameras")
    camera = models.ForeignKey(Camera, on_delete=models.PROTECT, related_name="bookings")
    position = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=20, choices=CameraState.choices, default=CameraState.IDLE)
    state_detail = models.CharField(max_length=500, blank=True)
    frames_processed = models.PositiveBigIntegerField(default=0)
    faces_processed = models.PositiveBigIntegerField(default=0)
    # The recognition job's checkpoint: the last chunk committed and where the
    # source stood after it (a frame number for files; live streams just go on).
    chunk_index = models.PositiveIntegerField(default=0)
    source_position = models.PositiveBigIntegerField(default=0)
    job_heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Which job holds the camera: a second copy (a redelivered or restarted task)
    # stands aside while the holder's heartbeat is fresh.
    job_token = models.CharField(max_length=64, blank=True)
    # Health, counts and timings only (nothing biometric). frames_processed above counts
    # the frames analysed; a live source delivers more than that, and a frame that a
    # newer one replaced before the analyser took it is skipped, never queued.
    frames_read = models.PositiveBigIntegerField(default=0)
    frames_skipped = models.PositiveBigIntegerField(default=0)
    # The latest window's figures (matcher.live.HealthWindow.as_dict), shown to operators
    # and exported to Prometheus; health_at is when they were committed.
    health = models.JSONField(default=dict, blank=True)
    health_at = models.DateTimeField(null=True, blank=True)
    # People matched on this camera and possibly still in view (entry id, box, when last
    # seen): handed on with the camera, so a job that takes it over in another process
    # raises no second alert for them. Never anything about a face that did not match.
    matched_tracks = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deployment", "camera"], name="camera_once_per_deployment"
            ),
        ]

    def __str__(self):
        return f"{self.camera} for {self.deployment}"


class CameraGap(models.Model):
    """A time the camera's stream was lost while its deployment was live."""

    booking = models.ForeignKey(DeploymentCamera, on_delete=models.CASCADE, related_name="gaps")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["started_at"]

    def __str__(self):
        return f"Gap on {self.booking} from {self.started_at:%H:%M:%S}"
