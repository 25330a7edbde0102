"""HTML forms. They check shapes; the services check the rules and say which one broke."""

from django import forms
from django.utils import timezone

from .datetime_inputs import StorableDateTimeField
from .engines import ENGINE_PROFILES
from .models import Adjudication, DocumentKind, EntryCategory, Outcome, UseCase

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeploymentForm(forms.Form):
    title = forms.CharField(max_length=200)
    use_case = forms.ChoiceField(choices=UseCase.choices)
    use_case_other = forms.CharField(
        max_length=200, required=False, label="If other, what", help_text="Required for 'Other'."
    )
    purpose = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    justification = forms.CharField(
        label="Necessity and proportionality",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Why LFR is necessary here, and why it is proportionate to the purpose.",
    )
    location_name = forms.CharField(max_length=200, label="Location")
    borough = forms.CharField(max_length=100)
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180)
    radius_m = forms.IntegerField(min_value=1, max_value=5000, label="Radius (metres)")
    starts_at = StorableDateTimeField(widget=DATETIME, label="Window starts")
    ends_at = StorableDateTimeField(widget=DATETIME, label="Window ends")
    engine = forms.ChoiceField(
        choices=[(name, profile.label) for name, profile in ENGINE_PROFILES.items()]
    )
    threshold = forms.DecimalField(max_digits=4, decimal_places=3, min_value=0, max_value=1)
    threshold_override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for a threshold below the engine's floor",
    )
    expected_faces = forms.IntegerField(
        min_value=0, label="Faces expected to pass the cameras (estimate)"
    )
    calibration_override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason to proceed although the engine's calibration is missing or old",
    )
    false_alert_ceiling = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=8,
        min_value=0,
        label="False-alert ceiling per face (optional, only stricter than the force's)",
    )
    critical_threat_exempt = forms.BooleanField(
        required=False, label="Do not announce in advance (critical threat)"
    )
    critical_threat_reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="The critical threat"
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices, label="Document")
    reference = forms.CharField(max_length=200)
    issued_on = forms.DateField(widget=DATE)
    review_by = forms.DateField(widget=DATE, label="In date until")


class CameraAddForm(forms.Form):
    camera = forms.ChoiceField(choices=())
    position = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, cameras=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["camera"].choices = [(str(c.public_id), c.name) for c in cameras]


class OperatorForm(forms.Form):
    operator = forms.ChoiceField(choices=())

    def __init__(self, *args, operators=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [
            (u.username, u.get_full_name() or u.username) for u in operators
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class EntryForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Name")
    category = forms.ChoiceField(choices=EntryCategory.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Offence or reason")
    legal_basis = forms.CharField(max_length=300)
    reference_number = forms.CharField(max_length=100, label="Custody or case reference")
    image_source = forms.CharField(max_length=200, label="Where the image came from")
    image_date = forms.DateField(widget=DATE, label="Date of the image")
    reference_image = forms.ImageField(label="Reference photograph")
    under_18 = forms.BooleanField(required=False, label="The person is under 18")
    under_18_justification = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Extra justification for a person under 18",
    )


class EntryReferenceForm(forms.Form):
    """A further reference photograph of an entry's person."""

    image = forms.ImageField(
        label="Further photograph",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class SignageForm(forms.Form):
    description = forms.CharField(max_length=300)
    location_name = forms.CharField(max_length=200, label="Where")
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    placed_at = StorableDateTimeField(widget=DATETIME, label="Put up at", initial=timezone.now)
    photo = forms.ImageField(
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text="Photograph the sign, not the people around it.",
    )


class LeafletForm(forms.Form):
    quantity = forms.IntegerField(min_value=1)
    location_name = forms.CharField(max_length=200, label="Where")
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False)
    distributed_at = StorableDateTimeField(
        widget=DATETIME, label="Handed out at", initial=timezone.now
    )


class AdjudicationForm(forms.Form):
    adjudication = forms.ChoiceField(
        choices=[c for c in Adjudication.choices if c[0] != Adjudication.PENDING]
    )
    outcome = forms.ChoiceField(choices=Outcome.choices, required=False)
    outcome_detail = forms.CharField(required=False, max_length=500)


class ScheduleFilterForm(forms.Form):
    borough = forms.CharField(required=False)
    status = forms.ChoiceField(required=False, choices=())

    def __init__(self, *args, **kwargs):
        from .models import DeploymentStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any")] + list(DeploymentStatus.choices)
