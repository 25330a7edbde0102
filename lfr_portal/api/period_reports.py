"""A report year's figures as JSON: exact for authorising and compliance officers (an
audited read, GET /api/reports/annual/), and for anyone with every small count of people
suppressed (GET /transparency/annual/<year>.json, open data, cached).

Both answers have the same shape; only a count of people differs, an integer in the
staff answer and an integer or "fewer than N" in the public one.
"""

from typing import Any

from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..public_cache import public_cache
from ..selectors.period_figures import (
    period_figures,
    published,
    report_year,
    reportable_years,
)
from ..services.period_reports import annual_report_read
from .common import AO, COMPLIANCE, READ_ERRORS, ApiSerializer, RoleApi, error_responses
from .transparency import PublicApi, PublishedCountField

TAGS = ["reports"]


def _counts(count: type[serializers.Field]) -> serializers.DictField:
    return serializers.DictField(child=count(), help_text="Counts by category code.")


class PeriodSerializer(ApiSerializer):
    label = serializers.CharField(help_text="2025, or 2025-26 for a financial year.")
    year = serializers.IntegerField()
    quarter = serializers.IntegerField(allow_null=True)
    first_day = serializers.DateField()
    last_day = serializers.DateField()


class DeploymentFiguresSerializer(ApiSerializer):
    deployments = serializers.IntegerField(help_text="Deployments that went live.")
    by_use_case = _counts(serializers.IntegerField)
    hours_live = serializers.FloatField()
    stopped_early = serializers.IntegerField()
    suspended = serializers.IntegerField(help_text="Deployments suspended for false alerts.")
    suspensions = serializers.IntegerField()
    by_month = _counts(serializers.IntegerField)


class AlertFiguresSerializer(ApiSerializer):
    faces_processed = serializers.IntegerField()
    alerts = serializers.IntegerField()
    confirmed_matches = serializers.IntegerField()
    false_alerts = serializers.IntegerField()
    unresolved = serializers.IntegerField()
    awaiting_adjudication = serializers.IntegerField()
    arrests = serializers.IntegerField(help_text="Arrests recorded as an alert's outcome.")
    false_alerts_per_face = serializers.FloatField(allow_null=True)
    false_alerts_per_alert = serializers.FloatField(allow_null=True)


class ReviewFiguresSerializer(ApiSerializer):
    ended = serializers.IntegerField()
    opened = serializers.IntegerField()
    signed_off = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    not_opened = serializers.IntegerField()


class EUFiguresSerializer(ApiSerializer):
    requested = serializers.IntegerField()
    granted = serializers.IntegerField()
    refused = serializers.IntegerField()
    awaiting_decision = serializers.IntegerField()
    urgent = serializers.IntegerField()
    by_purpose = _counts(serializers.IntegerField)


def _people_serializers(prefix: str, count: type[serializers.Field]) -> dict[str, Any]:
    """The sections counting people, with `count` as their count field."""

    def make(name: str, fields: dict[str, Any]) -> type[serializers.Serializer]:
        meta = type("Meta", (), {"ref_name": f"{prefix}{name}"})
        return type(f"{prefix}{name}", (serializers.Serializer,), {**fields, "Meta": meta})

    engagement = make(
        "EngagementFigures",
        {
            **{
                name: count()
                for name in (
                    "engagements",
                    "confirmed_true",
                    "confirmed_false",
                    "not_located",
                    "not_engaged",
                    "arrests",
                    "charged",
                    "cautioned",
                    "misidentified_not_detained",
                    "misidentified_under_5_minutes",
                    "misidentified_longer",
                )
            },
            "arrests_by_category": _counts(count),
        },
    )
    watchlists = make(
        "WatchlistFigures",
        {
            "by_category": _counts(count),
            **{
                name: count()
                for name in (
                    "entries",
                    "under_18_entries",
                    "entries_not_held",
                    "under_18_appearances",
                    "alerts_without_entry",
                )
            },
        },
    )
    complaints = make(
        "ComplaintFigures",
        {"complaints": count(), "by_category": _counts(count), "by_outcome": _counts(count)},
    )
    return {
        "engagement": engagement(),
        "later_outcomes": _counts(count),
        "perceived_sex": _counts(count),
        "perceived_ethnicity": _counts(count),
        "watchlists": watchlists(),
        "complaints": complaints(),
    }


def _figures_serializer(prefix: str, count: type[serializers.Field]) -> type:
    fields = {
        "period": PeriodSerializer(),
        "generated_at": serializers.DateTimeField(),
        "deployments": DeploymentFiguresSerializer(),
        "alerts": AlertFiguresSerializer(),
        **_people_serializers(prefix, count),
        "reviews": ReviewFiguresSerializer(),
        "eu": EUFiguresSerializer(allow_null=True, help_text="Only in EU AI Act mode."),
        "notes": serializers.ListField(child=serializers.CharField()),
    }
    meta = type("Meta", (), {"ref_name": f"{prefix}AnnualFigures"})
    return type(f"{prefix}AnnualFigures", (serializers.Serializer,), {**fields, "Meta": meta})


StaffAnnualFiguresSerializer = _figures_serializer("Staff", serializers.IntegerField)
PublicAnnualFiguresSerializer = _figures_serializer("Public", PublishedCountField)


class AnnualReportFiguresApi(RoleApi):
    """A report year's figures, exact (authorising and compliance officers). The year is
    a calendar year, or a financial year from LFR_REPORT_YEAR_START_MONTH; the read is
    audited."""

    allowed_roles = (AO, COMPLIANCE)

    class InputSerializer(ApiSerializer):
        year = serializers.IntegerField(
            required=False,
            min_value=2000,
            max_value=9999,
            help_text="The report year (its first day's year); the current one if not given.",
        )

        def validate_year(self, value: int) -> int:
            if value not in reportable_years():
                raise serializers.ValidationError("There is no report for that year yet.")
            return value

    @extend_schema(
        tags=TAGS,
        parameters=[InputSerializer],
        responses={
            200: StaffAnnualFiguresSerializer,
            **error_responses(400, *READ_ERRORS),
        },
    )
    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("year", reportable_years()[-1])
        report = annual_report_read(actor=request.user, period=report_year(year), fmt="json")
        return Response(StaffAnnualFiguresSerializer(report.data).data)


@method_decorator(public_cache, name="get")
class PublicAnnualFiguresApi(PublicApi):
    """A report year's figures for anyone: every count of people below
    LFR_PUBLIC_SUPPRESS_BELOW is published as "fewer than N"."""

    @extend_schema(
        tags=["open data"],
        operation_id="open_data_annual_json",
        responses={
            200: PublicAnnualFiguresSerializer,
            404: OpenApiResponse(description="No report for that year."),
        },
    )
    def get(self, request, year):
        if year not in reportable_years():
            raise NotFound("There is no report for that year.")
        data = published(period_figures(report_year(year)))
        return Response(PublicAnnualFiguresSerializer(data).data)
