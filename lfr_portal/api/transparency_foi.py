"""The FOI figures of each public deployment as open-data fields: flat, so the JSON and
the CSV carry the same columns (selectors/foi_figures.py reads them)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ArrestCategory, EntryCategory
from ..selectors import engagement_figures as figures
from ..selectors.foi_figures import ETHNICITY_KEYS, ETHNICITY_LABELS, SEX_KEYS, SEX_LABELS


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "minimum": 0},
            {"type": "string", "pattern": "^fewer than [0-9]+$"},
        ],
        "description": 'A count of people, or "fewer than N" where it is small enough to '
        "single someone out (N is the setting LFR_PUBLIC_SUPPRESS_BELOW).",
    }
)
class PublishedCountField(serializers.Field):
    """A count of people as published: small ones become "fewer than N"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return figures.suppress(value)


def _declared():
    fields = {}
    for category, label in EntryCategory.choices:
        fields[f"watchlist_{category}"] = serializers.IntegerField(
            source=f"foi.watchlist_by_category.{category}",
            help_text=f"Watchlist entries for the deployment: {label.lower()}.",
        )
    fields["watchlist_under_18"] = PublishedCountField(
        source="foi.watchlist_under_18",
        help_text="Watchlist entries of people under 18 (each with an approved justification).",
    )
    for category, label in ArrestCategory.choices:
        fields[f"arrests_{category}"] = PublishedCountField(
            source=f"foi.engagement.arrests_by_category.{category}",
            help_text=f"Arrests after engagement: {label.lower()}.",
        )
    for name, text in (
        ("not_located", "Sent for engagement: the person was not located."),
        ("not_engaged", "Sent for engagement: the person was located but not engaged."),
        ("misidentified_not_detained", "Misidentified people not detained (held 0 minutes)."),
        ("misidentified_under_5_minutes", "Misidentified people held, stop under 5 minutes."),
        ("misidentified_longer", "Misidentified people held, stop of 5 minutes or longer."),
    ):
        fields[name] = PublishedCountField(source=f"foi.engagement.{name}", help_text=text)
    for key in SEX_KEYS:
        fields[f"perceived_sex_{key}"] = PublishedCountField(
            source=f"foi.perceived_sex.{key}",
            help_text=f"People engaged, sex as the officer perceived it: {SEX_LABELS[key]}.",
        )
    for key in ETHNICITY_KEYS:
        fields[f"perceived_ethnicity_{key}"] = PublishedCountField(
            source=f"foi.perceived_ethnicity.{key}",
            help_text="People engaged, ethnicity as the officer perceived it: "
            f"{ETHNICITY_LABELS[key]}.",
        )
    fields["why_here_summary"] = serializers.CharField(
        source="foi.why_here_summary",
        help_text="Why this place and time, in plain words (once authorised; else empty).",
    )
    fields["review_summary"] = serializers.CharField(
        source="foi.review_summary",
        help_text="The post-deployment review's public summary, once signed off; else empty.",
    )
    fields["review_signed_off_on"] = serializers.DateField(
        source="foi.review_signed_off_on",
        allow_null=True,
        help_text="The day the review was signed off.",
    )
    return fields


# A base for the public deployment serializer: declared fields, so the schema lists them.
FoiFields = type("FoiFields", (serializers.Serializer,), _declared())
