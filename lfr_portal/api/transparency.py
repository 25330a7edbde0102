"""Open data: the public transparency records as JSON and CSV, for anyone, no account.

The same rows as the public pages (lfr_portal.selectors.transparency), so nothing
reaches these files that the pages do not show. Cached like the pages.
"""

import io

from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import csv_safe
from ..models import ArrestCategory, Engine, UseCase
from ..public_cache import public_cache
from ..selectors import engagement_figures as figures
from ..selectors import transparency as public
from ..selectors import transparency_evidence as evidence
from ..selectors.foi_figures import with_foi
from .common import ApiSerializer, EnumField
from .transparency_foi import FoiFields, PublishedCountField

TAGS = ["open data"]


class PeriodQuerySerializer(serializers.Serializer):
    # The filters, named as the query parameters; "from" is a keyword, hence get_fields.

    def get_fields(self):
        return {
            "from": serializers.DateField(
                required=False, help_text="First day of the period (YYYY-MM-DD), inclusive."
            ),
            "to": serializers.DateField(
                required=False, help_text="Last day of the period (YYYY-MM-DD), inclusive."
            ),
            "borough": serializers.CharField(
                required=False,
                max_length=100,
                allow_blank=True,
                help_text="Only deployments in this borough (case does not matter).",
            ),
        }

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise ValidationError({"to": ["The end of the period must not be before its start."]})
        return attrs

    def filters(self):
        data = self.validated_data
        return {
            "date_from": data.get("from"),
            "date_to": data.get("to"),
            "borough": data.get("borough", ""),
        }


def _filters(request):
    query = PeriodQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.filters()


class _PublicDeploymentFields(ApiSerializer):
    id = serializers.UUIDField(source="public_id", help_text="Stable public identifier.")
    url = serializers.SerializerMethodField(help_text="The deployment's public page.")
    status = EnumField(public.PublicStatus)
    announced_in_advance = serializers.BooleanField(
        help_text="False where a recorded critical threat exempted it from advance notice."
    )
    date = serializers.DateField(allow_null=True, help_text="Local date of the start.")
    starts_at = serializers.DateTimeField(allow_null=True, help_text="Authorised start.")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="Authorised end.")
    went_live_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    location_name = serializers.CharField()
    borough = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False)
    radius_m = serializers.IntegerField()
    use_case = EnumField(UseCase)
    use_case_label = serializers.CharField()
    watchlist_size = serializers.IntegerField(
        allow_null=True, help_text="Entries on the watchlist when the deployment was authorised."
    )
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3, coerce_to_string=False)
    engine = EnumField(Engine)
    engine_label = serializers.CharField()
    faces_processed = serializers.IntegerField()
    alerts = serializers.IntegerField()
    confirmed_matches = serializers.IntegerField()
    false_alerts = serializers.IntegerField()
    unresolved = serializers.IntegerField(help_text="Alerts the officer could not resolve.")
    awaiting_adjudication = serializers.IntegerField(
        help_text="Alerts no officer has adjudicated yet."
    )
    false_alerts_per_face_processed = serializers.FloatField(
        source="false_alerts_per_face",
        allow_null=True,
        help_text="False alerts divided by faces processed.",
    )
    false_alerts_per_alert = serializers.FloatField(
        allow_null=True, help_text="False alerts divided by alerts."
    )
    arrests = serializers.IntegerField()
    signs_recorded = serializers.IntegerField()
    leaflets_distributed = serializers.IntegerField()
    engagements = PublishedCountField(help_text="Alerts sent for engagement.")
    confirmed_after_engagement = PublishedCountField(
        help_text="Engagement confirmed the person on the watchlist."
    )
    misidentified_after_engagement = PublishedCountField(
        help_text="Engagement confirmed it was not the person (misidentified)."
    )

    def get_url(self, row) -> str:
        path = reverse("transparency-deployment", args=[row.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PublicDeploymentSerializer(_PublicDeploymentFields, FoiFields):
    """A public deployment with its figures, then its FOI figures (rows from with_foi)."""


class ArrestsByCategorySerializer(ApiSerializer):
    def get_fields(self):
        return {category: PublishedCountField() for category in ArrestCategory.values}


class EngagementFiguresSerializer(ApiSerializer):
    """What engagement found after operators' alerts; small counts suppressed."""

    engagements = PublishedCountField(help_text="Alerts sent for engagement.")
    confirmed_true = PublishedCountField(help_text="Engagement confirmed the person.")
    confirmed_false = PublishedCountField(help_text="Engagement confirmed a misidentification.")
    not_located = PublishedCountField()
    not_engaged = PublishedCountField()
    arrests = PublishedCountField()
    arrests_by_category = ArrestsByCategorySerializer()
    charged = PublishedCountField(help_text="Arrests that led to a charge.")
    cautioned = PublishedCountField(help_text="Arrests that led to a caution.")
    misidentified_not_detained = PublishedCountField()
    misidentified_under_5_minutes = PublishedCountField()
    misidentified_longer = PublishedCountField()


def _engagement(**filters):
    return figures.suppressed(figures.public_engagement_figures(**filters))


CSV_COLUMNS = [
    name for name in PublicDeploymentSerializer().fields if name not in ("use_case_label",)
]


class PublicSignSerializer(ApiSerializer):
    id = serializers.UUIDField(source="public_id")
    placed_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True)
    photo_url = serializers.SerializerMethodField(
        help_text="Set only once the photo is approved for publication."
    )

    def get_photo_url(self, sign) -> str | None:
        if not sign.photo_published:
            return None
        path = reverse("transparency-signage-photo", args=[sign.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FirstRendererNegotiation(BaseContentNegotiation):
    # A stable URL answers in its one format, whatever the client's Accept header says.

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv_safe.writer(out, lineterminator="\r\n")
        if isinstance(data, dict) and "rows" in data:
            writer.writerow(data["columns"])
            writer.writerows(data["rows"])
        else:  # an error answer: one line per message
            writer.writerow(["field", "message"])
            for key, messages in (data or {}).items():
                for message in messages if isinstance(messages, list) else [messages]:
                    writer.writerow([key, str(message)])
        return out.getvalue().encode(self.charset)


def _csv_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"  # as in the JSON
    return value


class PublicApi(APIView):
    # Open to anyone, no session or token read: the answer is the same for everyone.

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    content_negotiation_class = FirstRendererNegotiation
    renderer_classes = (JSONRenderer,)


PERIOD_ERRORS = {400: OpenApiResponse(description="A filter is not a valid date or borough.")}


@method_decorator(public_cache, name="get")
class PublicDeploymentListApi(PublicApi):
    """Every deployment the public may see (planned, live and past), with its figures."""

    class OutputSerializer(ApiSerializer):
        generated_at = serializers.DateTimeField()
        date_from = serializers.DateField(allow_null=True)
        date_to = serializers.DateField(allow_null=True)
        borough = serializers.CharField()
        count = serializers.IntegerField()
        deployments = PublicDeploymentSerializer(many=True)

    @extend_schema(
        tags=TAGS,
        operation_id="open_data_deployments_json",
        parameters=[PeriodQuerySerializer],
        responses={200: OutputSerializer, **PERIOD_ERRORS},
    )
    def get(self, request):
        filters = _filters(request)
        rows = with_foi(list(public.public_deployment_rows(**filters)))
        body = {
            "generated_at": timezone.now(),
            "date_from": filters["date_from"],
            "date_to": filters["date_to"],
            "borough": filters["borough"],
            "count": len(rows),
            "deployments": rows,
        }
        return Response(self.OutputSerializer(body, context={"request": request}).data)


@method_decorator(public_cache, name="get")
class PublicDeploymentCsvApi(PublicApi):
    """The same records as CSV, one row per deployment; the columns are the JSON fields."""

    renderer_classes = (CsvRenderer,)

    @extend_schema(
        tags=TAGS,
        operation_id="open_data_deployments_csv",
        parameters=[PeriodQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="A header row, then one row per deployment: "
                + ", ".join(CSV_COLUMNS)
                + ".",
            ),
            **PERIOD_ERRORS,
        },
    )
    def get(self, request):
        rows = with_foi(list(public.public_deployment_rows(**_filters(request))))
        data = PublicDeploymentSerializer(rows, many=True, context={"request": request}).data
        body = {
            "columns": CSV_COLUMNS,
            "rows": [[_csv_cell(item[name]) for name in CSV_COLUMNS] for item in data],
        }
        response = Response(body)
        response["Content-Disposition"] = 'inline; filename="lfr-deployments.csv"'
        return response


@method_decorator(public_cache, name="get")
class PublicDeploymentDetailApi(PublicApi):
    """One deployment's figures, its signs and what it still holds, in plain words."""

    class OutputSerializer(PublicDeploymentSerializer):
        signs = PublicSignSerializer(many=True)
        retention = serializers.ListField(
            child=serializers.CharField(), help_text="What it still holds, and until when."
        )
        watchlist_references_kept = serializers.BooleanField(
            help_text="Whether the watchlist's reference numbers are kept (without images), "
            "so a person can ask whether they were on it."
        )
        engagement = EngagementFiguresSerializer()

    @extend_schema(
        tags=TAGS,
        operation_id="open_data_deployment_json",
        responses={
            200: OutputSerializer,
            404: OpenApiResponse(description="No such deployment, or not public."),
        },
    )
    def get(self, request, public_id):
        row = public.public_deployment_get(public_id)
        if row is None:
            raise NotFound()
        row = with_foi([row])[0]
        retention = evidence.public_retention(public_id)
        context = {"request": request}
        body = {
            **PublicDeploymentSerializer(row, context=context).data,
            "signs": PublicSignSerializer(
                evidence.public_signage(public_id), many=True, context=context
            ).data,
            "retention": retention.lines,
            "watchlist_references_kept": retention.references_kept,
            "engagement": EngagementFiguresSerializer(_engagement(public_id=public_id)).data,
        }
        return Response(body)


@method_decorator(public_cache, name="get")
class PublicTotalsApi(PublicApi):
    """Figures summed over a period, with the false-alert rate per face and per alert."""

    class OutputSerializer(ApiSerializer):
        date_from = serializers.DateField(allow_null=True)
        date_to = serializers.DateField(allow_null=True)
        borough = serializers.CharField()
        deployments = serializers.IntegerField()
        faces_processed = serializers.IntegerField()
        alerts = serializers.IntegerField()
        confirmed_matches = serializers.IntegerField()
        false_alerts = serializers.IntegerField()
        unresolved = serializers.IntegerField()
        awaiting_adjudication = serializers.IntegerField()
        arrests = serializers.IntegerField()
        false_alerts_per_face_processed = serializers.FloatField(
            allow_null=True,
            help_text="False alerts divided by faces processed: how likely a passer-by is "
            "to be wrongly flagged.",
        )
        false_alerts_per_alert = serializers.FloatField(
            allow_null=True,
            help_text="False alerts divided by alerts: how often an alert turns out wrong.",
        )
        engagement = EngagementFiguresSerializer()

    @extend_schema(
        tags=TAGS,
        operation_id="open_data_totals_json",
        parameters=[PeriodQuerySerializer],
        responses={200: OutputSerializer, **PERIOD_ERRORS},
    )
    def get(self, request):
        filters = _filters(request)
        totals = public.public_totals(**filters)
        body = {
            "date_from": filters["date_from"],
            "date_to": filters["date_to"],
            "borough": filters["borough"],
            "deployments": totals.deployments,
            "faces_processed": totals.faces_processed,
            "alerts": totals.alerts,
            "confirmed_matches": totals.confirmed_matches,
            "false_alerts": totals.false_alerts,
            "unresolved": totals.unresolved,
            "awaiting_adjudication": totals.awaiting_adjudication,
            "arrests": totals.arrests,
            "false_alerts_per_face_processed": totals.false_alerts_per_face,
            "false_alerts_per_alert": totals.false_alerts_per_alert,
            "engagement": _engagement(**filters),
        }
        return Response(self.OutputSerializer(body).data)
