"""Accuracy, read-only: engine calibrations, expected false alerts, live monitoring."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..models import DeploymentStatus, Engine
from ..selectors import accuracy as selectors
from ..selectors.calibrations import engine_calibrations
from ..selectors.deployments import deployment_get
from .common import (
    AO,
    COMPLIANCE,
    OPERATOR,
    PLANNER,
    READ_ERRORS,
    ApiSerializer,
    EnumField,
    RoleApi,
)
from .common import error_responses as errors

TAGS = ["accuracy"]


class ProportionSerializer(ApiSerializer):
    count = serializers.IntegerField()
    total = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="count / total; null when total is 0.")
    low = serializers.FloatField(help_text="Lower end of the Wilson score interval.")
    high = serializers.FloatField(help_text="Upper end of the Wilson score interval.")
    confidence = serializers.FloatField()


class RatePointSerializer(ApiSerializer):
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
    fmr = serializers.FloatField(help_text="Share of impostor pairs at or above the threshold.")
    false_matches = serializers.IntegerField()
    fnmr = serializers.FloatField(help_text="Share of genuine pairs below the threshold.")
    false_non_matches = serializers.IntegerField()


class CalibrationSummarySerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    engine = EnumField(Engine)
    description = serializers.CharField()
    measured_at = serializers.DateTimeField()
    age_days = serializers.IntegerField()
    stale = serializers.BooleanField()
    identities = serializers.IntegerField()
    images = serializers.IntegerField()
    images_without_face = serializers.IntegerField()
    genuine_pairs = serializers.IntegerField()
    impostor_pairs = serializers.IntegerField()
    model_sha256 = serializers.DictField(child=serializers.CharField())
    ran_by = serializers.CharField()
    rates = RatePointSerializer(many=True)
    sentence = serializers.CharField()


class OperatingPointSerializer(ApiSerializer):
    threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
    fmr_threshold = serializers.DecimalField(
        max_digits=4, decimal_places=3, help_text="The recorded threshold the FMR was read at."
    )
    fmr = ProportionSerializer()
    fnmr_threshold = serializers.DecimalField(max_digits=4, decimal_places=3, allow_null=True)
    fnmr = ProportionSerializer(allow_null=True)
    sentence = serializers.CharField()


class EngineCalibrationListApi(RoleApi):
    allowed_roles = (AO, PLANNER, COMPLIANCE)

    class OutputSerializer(ApiSerializer):
        engine = EnumField(Engine)
        label = serializers.CharField()
        floor = serializers.DecimalField(max_digits=4, decimal_places=3)
        default_threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
        calibration_note = serializers.CharField()
        latest = CalibrationSummarySerializer(allow_null=True)
        at_default = OperatingPointSerializer(allow_null=True)
        at_floor = OperatingPointSerializer(allow_null=True)
        sentence = serializers.CharField()

    @extend_schema(tags=TAGS, responses={200: OutputSerializer(many=True), **errors(401, 403)})
    def get(self, request):
        rows = engine_calibrations()
        return Response(self.OutputSerializer(rows, many=True).data)


class DeploymentExpectedFalseAlertsApi(RoleApi):
    allowed_roles = (AO, PLANNER, COMPLIANCE)

    class OutputSerializer(ApiSerializer):
        deployment = serializers.UUIDField(source="deployment_public_id")
        engine = EnumField(Engine)
        threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
        watchlist_size = serializers.IntegerField()
        expected_faces = serializers.IntegerField()
        calibration = CalibrationSummarySerializer(allow_null=True)
        operating_point = OperatingPointSerializer(allow_null=True)
        expected = serializers.FloatField(
            allow_null=True, help_text="False match rate x watchlist size x expected faces."
        )
        expected_low = serializers.FloatField(allow_null=True)
        expected_high = serializers.FloatField(allow_null=True)
        calibration_problem = serializers.CharField(
            help_text="Why approval needs a calibration override; empty when it does not."
        )
        override_reason = serializers.CharField()
        sentence = serializers.CharField()

    @extend_schema(tags=TAGS, responses={200: OutputSerializer, **errors(*READ_ERRORS)})
    def get(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        return Response(self.OutputSerializer(selectors.expected_false_alerts(deployment)).data)


class DeploymentAccuracyApi(RoleApi):
    allowed_roles = (AO, PLANNER, OPERATOR, COMPLIANCE)

    class OutputSerializer(ApiSerializer):
        class WindowSerializer(ApiSerializer):
            since = serializers.DateTimeField(allow_null=True)
            faces = serializers.IntegerField()
            false_alerts = serializers.IntegerField()
            per_face = ProportionSerializer()
            ceiling = serializers.DecimalField(max_digits=9, decimal_places=8)
            exceeded = serializers.BooleanField()
            sentence = serializers.CharField()

        deployment = serializers.UUIDField(source="deployment_public_id")
        status = EnumField(DeploymentStatus)
        engine = EnumField(Engine)
        threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
        faces_processed = serializers.IntegerField()
        alerts = serializers.IntegerField()
        confirmed = serializers.IntegerField()
        false_alerts = serializers.IntegerField()
        unresolved = serializers.IntegerField()
        pending = serializers.IntegerField()
        overdue = serializers.IntegerField(
            help_text="Pending alerts older than adjudication_due_minutes (counted in pending)."
        )
        flagged_overdue = serializers.IntegerField(
            help_text="Alerts ever flagged as overdue, adjudicated since or not."
        )
        adjudication_due_minutes = serializers.IntegerField()
        false_per_face = ProportionSerializer()
        false_per_alert = ProportionSerializer(
            help_text="False alerts among alerts adjudicated as confirmed or false."
        )
        ceiling = serializers.DecimalField(
            max_digits=9, decimal_places=8, help_text="False alerts per face processed."
        )
        ceiling_words = serializers.CharField()
        ceiling_is_own = serializers.BooleanField()
        window = WindowSerializer(help_text="The monitoring window the ceiling rule judges.")
        exceeded = serializers.BooleanField()
        suspended = serializers.BooleanField()
        rule = serializers.CharField()
        sentence = serializers.CharField()

    @extend_schema(tags=TAGS, responses={200: OutputSerializer, **errors(*READ_ERRORS)})
    def get(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        return Response(self.OutputSerializer(selectors.deployment_accuracy(deployment)).data)
