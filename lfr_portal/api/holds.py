"""Evidence holds and an alert's evidence bundle: authorising and compliance officers."""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..models import AlertHold
from ..selectors.alerts import alerts_visible_to
from ..selectors.holds import HOLD_STATES, hold_state, holds_in_state, holds_visible_to
from ..services import holds as services
from ..services.evidence_bundle import evidence_bundle_export
from .common import (
    AO,
    COMPLIANCE,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    ListApi,
    RoleApi,
    error_responses,
)

TAGS = ["holds"]
HOLD_ROLES = (AO, COMPLIANCE)


class HoldFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(s, s) for s in HOLD_STATES],
        method="filter_state",
        help_text="active: review date not passed; due: review within the reminder period; "
        "lapsed: review date passed without extension; released.",
    )
    deployment = django_filters.UUIDFilter(
        field_name="alert__deployment__public_id", help_text="The deployment's public_id."
    )

    class Meta:
        model = AlertHold
        fields = ()

    def filter_state(self, queryset, name, value):
        return holds_in_state(queryset, value)


class HoldOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    alert = serializers.UUIDField(source="alert.public_id")
    deployment = serializers.UUIDField(source="alert.deployment.public_id")
    entry_reference = serializers.CharField(source="alert.entry_reference")
    reason = serializers.CharField()
    custody_reference = serializers.CharField()
    review_by = serializers.DateField()
    state = serializers.SerializerMethodField()
    placed_by = serializers.CharField(source="placed_by.username")
    placed_at = serializers.DateTimeField(source="created_at")
    released_by = serializers.CharField(source="released_by.username", allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)

    def get_state(self, hold) -> str:
        return hold_state(hold)


def _hold_data(request, public_id):
    hold = holds_visible_to(request.user).get(public_id=public_id)
    return HoldOutputSerializer(hold, context={"request": request}).data


class HoldListApi(ListApi):
    allowed_roles = HOLD_ROLES
    queryset = AlertHold.objects.none()
    filterset_class = HoldFilter

    def get_queryset(self):
        return holds_visible_to(self.request.user)

    @extend_schema(
        tags=TAGS,
        responses={200: HoldOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.list_response(self.get_queryset(), HoldOutputSerializer)


class HoldDetailApi(RoleApi):
    allowed_roles = HOLD_ROLES

    @extend_schema(
        tags=TAGS, responses={200: HoldOutputSerializer, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, public_id):
        return Response(_hold_data(request, public_id))


class AlertHoldPlaceApi(RoleApi):
    """Keep an alert's image for proceedings until the review date (authorising officers)."""

    allowed_roles = (AO,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        reason = serializers.CharField(max_length=TEXT_MAX)
        review_by = serializers.DateField()
        custody_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: HoldOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        alert = alerts_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        hold = services.alert_hold_place(
            actor=request.user, alert=alert, **serializer.validated_data
        )
        return Response(_hold_data(request, hold.public_id), status=201)


def _on_hold(request, public_id, service, input_serializer):
    """Run one service on a visible hold with the checked body; answer the hold."""
    hold = holds_visible_to(request.user).get(public_id=public_id)
    serializer = input_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    service(actor=request.user, hold=hold, **serializer.validated_data)
    return Response(_hold_data(request, public_id))


class HoldExtendApi(RoleApi):
    """Move a hold's review date later, with a reason."""

    allowed_roles = HOLD_ROLES
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        review_by = serializers.DateField()
        reason = serializers.CharField(max_length=TEXT_MAX)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: HoldOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        return _on_hold(request, public_id, services.alert_hold_extend, self.InputSerializer)


class HoldReleaseApi(RoleApi):
    """End a hold, with a reason: the image then goes under the normal retention rule."""

    allowed_roles = HOLD_ROLES
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        reason = serializers.CharField(max_length=TEXT_MAX)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: HoldOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        return _on_hold(request, public_id, services.alert_hold_release, self.InputSerializer)


class AlertEvidenceBundleApi(RoleApi):
    """The alert's signed evidence bundle (ZIP); verify it with `python -m
    lfr_portal.audit_verify --bundle FILE --public-key KEY`. The export is audited."""

    allowed_roles = HOLD_ROLES

    @extend_schema(
        tags=TAGS,
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The signed evidence bundle."
            ),
            **error_responses(*READ_ERRORS),
        },
    )
    def get(self, request, public_id):
        alert = alerts_visible_to(request.user).get(public_id=public_id)
        data = evidence_bundle_export(actor=request.user, alert=alert)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="evidence-{alert.public_id}.zip"'
        response["Cache-Control"] = "private, no-store"
        return response
