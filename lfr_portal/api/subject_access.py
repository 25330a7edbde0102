"""Subject access over the API: was a reference on any watchlist, and did it alert.
Compliance officers (the DPO) only; every lookup is on the audit trail."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..selectors.subject_access import REFERENCE_MAX
from ..services.subject_access import subject_access_lookup
from .common import (
    COMPLIANCE,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    RoleApi,
    error_responses,
)


class SubjectAccessAlertSerializer(ApiSerializer):
    captured_at = serializers.DateTimeField()
    adjudication = serializers.CharField()
    outcome = serializers.CharField()
    engagement_result = serializers.CharField()
    engagement_outcome = serializers.CharField()
    later_outcome = serializers.CharField()


class SubjectAccessDeploymentSerializer(ApiSerializer):
    deployment = serializers.UUIDField(source="deployment.public_id")
    title = serializers.CharField(source="deployment.title")
    location_name = serializers.CharField(source="deployment.location_name")
    starts_at = serializers.DateTimeField(source="deployment.starts_at", allow_null=True)
    ends_at = serializers.DateTimeField(source="deployment.ends_at", allow_null=True)
    category = serializers.CharField(help_text="Empty when only an alert names the reference.")
    on_the_list = serializers.BooleanField(help_text="Approved onto the watchlist.")
    entry_status = serializers.CharField()
    added_at = serializers.DateTimeField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    biometrics_destroyed_at = serializers.DateTimeField(allow_null=True)
    sources = serializers.ListField(
        child=serializers.CharField(),
        source="source_list",
        help_text="entry: the live watchlist entry; record: the reference kept after the "
        "watchlist was destroyed; alert: an alert names it.",
    )
    alerts = SubjectAccessAlertSerializer(many=True)


class SubjectAccessLookupApi(RoleApi):
    """Was this custody or case reference on any watchlist, on which deployments and when,
    in which category, and did it alert (each alert's date, adjudication and outcome).
    Never an image, an embedding or a name. The lookup is recorded on the audit trail; it
    is a POST so that the reference, itself personal data, stays out of URLs and logs."""

    allowed_roles = (COMPLIANCE,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        reference = serializers.CharField(max_length=REFERENCE_MAX)

    class OutputSerializer(ApiSerializer):
        reference = serializers.CharField()
        alert_count = serializers.IntegerField()
        deployments = SubjectAccessDeploymentSerializer(many=True)

    @extend_schema(
        tags=["subject access"],
        request=InputSerializer,
        responses={200: OutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answer = subject_access_lookup(actor=request.user, **serializer.validated_data)
        return Response(self.OutputSerializer(answer).data)
