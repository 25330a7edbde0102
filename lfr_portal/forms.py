"""HTML forms. They check shapes; the services check the rules and say which one broke."""

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from .datetime_inputs import StorableDateTimeField
from .engines import ENGINE_PROFILES
from .models import (
    Adjudication,
    ArrestCategory,
    Deployment,
    DeploymentStatus,
    DocumentKind,
    EngagementOutcome,
    EngagementResult,
    EntryCategory,
    EntryResponse,
    IdentityCheck,
    Outcome,
    PerceivedEthnicity,
    PerceivedSex,
    UseCase,
)
from .models.deployments import EDITABLE_FIELDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


EU_FIELDS = ("eu_urgency", "eu_urgency_reason", "eu_purpose")


def _limited_formfield(model_field: Any, **kwargs: Any) -> forms.Field | None:
    """The model field's form field, with its min and max as the HTML limits too."""
    lows = [v.limit_value for v in model_field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in model_field.validators if isinstance(v, MaxValueValidator)]
    if lows:
        kwargs.setdefault("min_value", max(lows))
    if highs:
        kwargs.setdefault("max_value", min(highs))
    return model_field.formfield(**kwargs)


class DeploymentForm(forms.ModelForm):
    """A draft's fields, as the model declares them and their limits (EDITABLE_FIELDS)."""

    use_case = forms.ChoiceField(choices=UseCase.choices)
    starts_at = StorableDateTimeField(widget=DATETIME, label="Window starts")
    ends_at = StorableDateTimeField(widget=DATETIME, label="Window ends")
    engine = forms.ChoiceField(
        choices=[(name, profile.label) for name, profile in ENGINE_PROFILES.items()]
    )

    class Meta:
        model = Deployment
        fields = EDITABLE_FIELDS
        formfield_callback = _limited_formfield
        labels = {
            "use_case_other": "If other, what",
            "justification": "Necessity and proportionality",
            "location_name": "Location",
            "radius_m": "Radius (metres)",
            "threshold_override_reason": "Reason for a threshold below the engine's floor",
            "expected_faces": "Faces expected to pass the cameras (estimate)",
            "calibration_override_reason": (
                "Reason to proceed although the engine's calibration is missing or old"
            ),
            "false_alert_ceiling": (
                "False-alert ceiling per face (optional, only stricter than the force's)"
            ),
            "critical_threat_exempt": "Do not announce in advance (critical threat)",
            "critical_threat_reason": "The critical threat",
            "eu_urgency": "Urgency declared (EU AI Act: start before the independent decision)",
            "eu_urgency_reason": "The urgency",
            "eu_purpose": "EU AI Act purpose (Art. 5(1)(h))",
            # Offered in every mode: a safeguard a force may choose wherever it operates.
            "second_person_verification": (
                "A second person verifies each alert before it is sent for engagement"
            ),
            "grounds_references": "Intelligence or crime references",
            "grounds_crime_figures": "The crime problem, in figures",
            "grounds_alternatives": "Alternatives considered",
            "why_here_summary": "Why here, for the public",
        }
        help_texts = {
            "use_case_other": "Required for 'Other'.",
            "justification": (
                "Why LFR is necessary here, and why it is proportionate to the purpose."
            ),
            # The "where" case (Bridges v South Wales Police, 2020); approval needs all four.
            "grounds_references": (
                "The intelligence reports or crime references that point to this place and time."
            ),
            "grounds_crime_figures": (
                "The crime problem here in figures: offences, period and source."
            ),
            "grounds_alternatives": (
                "What else was considered (patrols, CCTV, targeted arrests) and why it is not "
                "enough."
            ),
            "why_here_summary": (
                "In plain language, at most 1000 characters; published on the public page "
                "once the deployment is authorised. Nothing that identifies anyone."
            ),
        }
        widgets = {
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "justification": forms.Textarea(attrs={"rows": 5}),
            "threshold_override_reason": forms.Textarea(attrs={"rows": 2}),
            "calibration_override_reason": forms.Textarea(attrs={"rows": 2}),
            "critical_threat_reason": forms.Textarea(attrs={"rows": 2}),
            "eu_urgency_reason": forms.Textarea(attrs={"rows": 2}),
            "grounds_references": forms.Textarea(attrs={"rows": 3}),
            "grounds_crime_figures": forms.Textarea(attrs={"rows": 3}),
            "grounds_alternatives": forms.Textarea(attrs={"rows": 3}),
            "why_here_summary": forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Outside EU AI Act mode urgency means nothing; left off the form, it stays as it is.
        if not settings.LFR_EU_AI_ACT_MODE:
            for name in EU_FIELDS:
                del self.fields[name]

    def validate_unique(self) -> None:
        # The services judge the whole deployment and name the rule; the form checks shapes.
        return None


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


class FieldOfficerForm(forms.Form):
    officer = forms.ChoiceField(choices=(), label="Field officer")

    def __init__(self, *args, officers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].choices = [
            (u.username, u.get_full_name() or u.username) for u in officers
        ]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class EntryForm(forms.Form):
    display_name = forms.CharField(max_length=200, label="Name")
    category = forms.ChoiceField(choices=EntryCategory.choices)
    response = forms.ChoiceField(
        choices=[("", "The category's usual response"), *EntryResponse.choices],
        required=False,
        label="What officers are to do when the person is found",
        help_text="Shown to the engagement officer; approved with the entry.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Offence or reason")
    legal_basis = forms.CharField(max_length=300)
    offence_max_sentence_years = forms.IntegerField(
        min_value=0,
        max_value=99,
        required=False,
        label="Maximum sentence for the offence (years)",
        help_text="Required for 'Suspected of an offence': the longest custodial sentence the "
        f"offence carries (life: 99), at least {settings.LFR_SUSPECT_OFFENCE_MIN_YEARS} years.",
    )
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


class WatchlistFinaliseForm(forms.Form):
    """Finalising: the manager confirms every entry is still sought as of a stated time."""

    still_wanted_as_of = StorableDateTimeField(
        widget=DATETIME,
        label="Checked as of",
        help_text="When you last checked each entry against the force's records.",
    )
    confirm = forms.BooleanField(
        label="I confirm every entry is still wanted, still missing or still a risk as of "
        "the time above.",
        error_messages={
            "required": "Finalising needs your confirmation that every entry is "
            "still wanted, missing or a risk."
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "finalise")
        super().__init__(*args, **kwargs)
        self.fields["still_wanted_as_of"].initial = timezone.localtime().replace(
            second=0, microsecond=0
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
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", "Any")] + list(DeploymentStatus.choices)


YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label=label,
    )


class EngagementResultForm(forms.Form):
    """What the engagement officer found; the service says which answers each result needs."""

    result = forms.ChoiceField(choices=[c for c in EngagementResult.choices if c[0]])
    engaged_at = StorableDateTimeField(
        widget=DATETIME, required=False, label="When you engaged (blank: now)"
    )
    stop_minutes = forms.IntegerField(
        min_value=0, max_value=24 * 60, required=False, label="Stop length (minutes)"
    )
    identity_check = forms.ChoiceField(
        choices=[("", "Choose…"), *IdentityCheck.choices], required=False
    )
    held_minutes = forms.IntegerField(
        min_value=0, max_value=24 * 60, required=False, label="How long they were held (minutes)"
    )
    explanation_given = _yes_no("Given the explanation of what happened")
    complaints_route_given = _yes_no("Told how to complain")
    not_engaged_reason = forms.CharField(
        max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why not"
    )
    # Optional; published only in aggregate, small numbers suppressed.
    perceived_sex = forms.ChoiceField(
        choices=PerceivedSex.choices, required=False, label="Sex, as you perceived it"
    )
    perceived_ethnicity = forms.ChoiceField(
        choices=PerceivedEthnicity.choices,
        required=False,
        label="Ethnic group, as you perceived it",
    )


class EngagementOutcomeForm(forms.Form):
    """The outcome of a stop; an arrest makes the officer choose a hold or a reason for none."""

    HOLD = "hold"
    NO_HOLD = "no_hold"

    outcome = forms.ChoiceField(choices=[c for c in EngagementOutcome.choices if c[0]])
    arrest_category = forms.ChoiceField(
        choices=[("", "Choose…"), *ArrestCategory.choices], required=False
    )
    custody_reference = forms.CharField(max_length=100, required=False)
    crime_reference = forms.CharField(max_length=100, required=False)
    hold = forms.ChoiceField(
        choices=[
            (HOLD, "Keep the image: place an evidence hold"),
            (NO_HOLD, "No hold is needed"),
        ],
        required=False,
        widget=forms.RadioSelect,
        label="The alert's image",
    )
    hold_review_by = forms.DateField(widget=DATE, required=False, label="Review the hold by")
    no_hold_reason = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why no hold is needed",
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == EngagementOutcome.ARREST and not data.get("hold"):
            # The officer must choose: the image is otherwise deleted with the others.
            self.add_error(
                "hold",
                "After an arrest, place an evidence hold with a review date, "
                "or record why none is needed.",
            )
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        hold = data.get("hold")
        return {
            "outcome": data["outcome"],
            "arrest_category": data.get("arrest_category") or "",
            "custody_reference": data.get("custody_reference") or "",
            "crime_reference": data.get("crime_reference") or "",
            "hold_review_by": data.get("hold_review_by") if hold == self.HOLD else None,
            "no_hold_reason": data.get("no_hold_reason", "") if hold == self.NO_HOLD else "",
        }
