"""Alerts: operators see and adjudicate their own deployment's; AOs and compliance read all."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..errors import RuleViolation
from ..models import Adjudication, Alert, Outcome
from ..selectors.alerts import alerts_visible_to
from ..services import alerts as services
from .common import (
    AO,
    COMPLIANCE,
    OPERATOR,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    BiometricOutputMixin,
    EnumField,
    ListApi,
    PresenceField,
    RoleApi,
    error_responses,
)
from .filters import AlertFilter

TAGS = ["alerts"]
READERS = (AO, OPERATOR, COMPLIANCE)
HAS_CROP_HELP = (
    "Whether the face crop is still held. Left out for roles that may not see biometric data."
)


class AlertListApi(ListApi):
    allowed_roles = READERS
    queryset = Alert.objects.none()
    filterset_class = AlertFilter

    class OutputSerializer(BiometricOutputMixin, ApiSerializer):
        biometric_fields = ("has_crop",)

        public_id = serializers.UUIDField()
        deployment = serializers.UUIDField(source="deployment.public_id")
        camera = serializers.CharField(source="camera.camera.name")
        entry_reference = serializers.CharField()
        score = serializers.DecimalField(max_digits=5, decimal_places=4)
        captured_at = serializers.DateTimeField()
        adjudication = EnumField(Adjudication)
        outcome = EnumField(Outcome)
        has_crop = PresenceField(source="crop", required=False, help_text=HAS_CROP_HELP)

    def get_queryset(self):
        return alerts_visible_to(self.request.user)

    @extend_schema(
        tags=TAGS,
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.list_response(self.get_queryset(), self.OutputSerializer)


class AlertDetailApi(RoleApi):
    allowed_roles = READERS

    class OutputSerializer(BiometricOutputMixin, ApiSerializer):
        biometric_fields = ("has_crop",)

        public_id = serializers.UUIDField()
        deployment = serializers.UUIDField(source="deployment.public_id")
        deployment_title = serializers.CharField(source="deployment.title")
        camera = serializers.CharField(source="camera.camera.name")
        entry = serializers.UUIDField(source="entry.public_id", allow_null=True)
        entry_reference = serializers.CharField()
        score = serializers.DecimalField(max_digits=5, decimal_places=4)
        captured_at = serializers.DateTimeField()
        adjudication = EnumField(Adjudication)
        outcome = EnumField(Outcome)
        outcome_detail = serializers.CharField()
        adjudicated_by = serializers.CharField(source="adjudicated_by.username", allow_null=True)
        adjudicated_at = serializers.DateTimeField(allow_null=True)
        has_crop = PresenceField(source="crop", required=False, help_text=HAS_CROP_HELP)

    @extend_schema(tags=TAGS, responses={200: OutputSerializer, **error_responses(*READ_ERRORS)})
    def get(self, request, public_id):
        return Response(alert_detail(request, public_id))


def alert_detail(request, public_id):
    alert = (
        alerts_visible_to(request.user).select_related("adjudicated_by").get(public_id=public_id)
    )
    return AlertDetailApi.OutputSerializer(alert, context={"request": request}).data


class AlertAdjudicateApi(RoleApi):
    """The operator's decision; no decision rests on the system's output alone."""

    allowed_roles = (OPERATOR,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        adjudication = serializers.ChoiceField(
            choices=[
                (Adjudication.CONFIRMED.value, Adjudication.CONFIRMED.label),
                (Adjudication.FALSE_ALERT.value, Adjudication.FALSE_ALERT.label),
                (Adjudication.UNRESOLVED.value, Adjudication.UNRESOLVED.label),
            ]
        )
        outcome = EnumField(
            Outcome,
            required=False,
            allow_blank=True,
            help_text="Required. Blank only for a false or unresolved alert with no outcome.",
        )
        outcome_detail = serializers.CharField(
            max_length=TEXT_MAX, required=False, allow_blank=True
        )

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: AlertDetailApi.OutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        alert = alerts_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A client records a whole decision or nothing: the outcome is never left to a default.
        if "outcome" not in serializer.validated_data:
            raise RuleViolation(
                "Send the outcome with every adjudication (no_action, words_of_advice, arrest "
                "or other), so each decision is recorded whole and on purpose.",
                field="outcome",
                code="outcome_required",
            )
        services.alert_adjudicate(actor=request.user, alert=alert, **serializer.validated_data)
        return Response(alert_detail(request, alert.public_id))
