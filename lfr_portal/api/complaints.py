"""Complaints about LFR use: compliance and authorising officers record them and their
outcomes. The internal summary is returned here, to them only; it is never published."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..models import Complaint, ComplaintCategory, ComplaintOutcome
from ..selectors.reviews import complaint_deployment_choices, complaints_visible_to
from ..services import complaints as services
from .common import (
    AO,
    COMPLIANCE,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    EnumField,
    ListApi,
    PublicIdField,
    RoleApi,
    error_responses,
)

TAGS = ["complaints"]
COMPLAINT_ROLES = (AO, COMPLIANCE)


class ComplaintFilter(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(choices=ComplaintCategory.choices)
    deployment = django_filters.UUIDFilter(
        field_name="deployment__public_id", help_text="The deployment's public_id."
    )

    class Meta:
        model = Complaint
        fields = ()


class ComplaintOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    deployment = serializers.UUIDField(source="deployment.public_id", allow_null=True)
    received_on = serializers.DateField()
    category = EnumField(ComplaintCategory)
    reference = serializers.CharField()
    summary = serializers.CharField(help_text="Internal only; never published.")
    outcome = EnumField(ComplaintOutcome, help_text="Empty while the complaint is open.")
    outcome_recorded_at = serializers.DateTimeField(allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by.username")
    recorded_at = serializers.DateTimeField(source="created_at")


def _complaint_data(request, public_id, status=200):
    complaint = complaints_visible_to(request.user).get(public_id=public_id)
    return Response(ComplaintOutputSerializer(complaint).data, status=status)


class ComplaintListApi(ListApi):
    allowed_roles = COMPLAINT_ROLES
    queryset = Complaint.objects.none()
    filterset_class = ComplaintFilter

    @extend_schema(
        tags=TAGS,
        responses={200: ComplaintOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.list_response(complaints_visible_to(request.user), ComplaintOutputSerializer)


class ComplaintDetailApi(RoleApi):
    allowed_roles = COMPLAINT_ROLES

    @extend_schema(
        tags=TAGS, responses={200: ComplaintOutputSerializer, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, public_id):
        return _complaint_data(request, public_id)


class ComplaintRecordApi(RoleApi):
    """Record a complaint received about LFR use, optionally about one deployment."""

    allowed_roles = COMPLAINT_ROLES
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        category = EnumField(ComplaintCategory)
        received_on = serializers.DateField()
        deployment = PublicIdField(
            complaint_deployment_choices(),
            required=False,
            allow_null=True,
            help_text="The deployment it is about (public_id), if any.",
        )
        reference = serializers.CharField(
            max_length=services.REFERENCE_MAX, required=False, allow_blank=True
        )
        summary = serializers.CharField(
            max_length=services.SUMMARY_MAX,
            required=False,
            allow_blank=True,
            help_text="Internal only; no names or contact details.",
        )

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: ComplaintOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = services.complaint_record(actor=request.user, **serializer.validated_data)
        return _complaint_data(request, complaint.public_id, status=201)


class ComplaintOutcomeApi(RoleApi):
    """Close a complaint with its outcome (once)."""

    allowed_roles = COMPLAINT_ROLES
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        outcome = serializers.ChoiceField(choices=ComplaintOutcome.choices[1:])

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: ComplaintOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        complaint = complaints_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.complaint_outcome_record(
            actor=request.user, complaint=complaint, **serializer.validated_data
        )
        return _complaint_data(request, public_id)
