"""EU AI Act mode in the API: a deployment's authorisation state, the request to the
authority as it was made, the authority's decision, the notices to the market-surveillance
and data-protection authorities, and the second person's verification of an alert."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..datetime_inputs import storable_datetime
from ..models import Deployment, EUAuthorityKind, EURequestMethod, NotifiedAuthority
from ..selectors.alerts import alerts_visible_to
from ..selectors.deployments import deployments_visible_to
from ..selectors.eu_mode import authority_notifications_of, missing_notices, urgent_deadline
from ..services import eu_mode as services
from ..services.eu_verification import alert_verify
from .common import (
    ALL_ROLES,
    AO,
    COMPLIANCE,
    OPERATOR,
    PLANNER,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    EnumField,
    RoleApi,
    error_responses,
)

TAGS = ["eu-ai-act"]


class StorableDateTimeField(serializers.DateTimeField):
    """A date-time PostgreSQL can store, or a 400 naming the field."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return storable_datetime(super().to_internal_value(value))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class NoticeOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    authority = serializers.CharField()
    authority_name = serializers.CharField()
    notified_at = serializers.DateTimeField()
    method = serializers.CharField()
    reference = serializers.CharField()
    note = serializers.CharField()
    recorded_by = serializers.CharField(source="recorded_by.username")


class EUStateOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    eu_purpose = serializers.CharField()
    eu_urgency = serializers.BooleanField()
    eu_urgency_reason = serializers.CharField()
    decision_needed_by = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField(
        source="eu_authorisation_requested_at", allow_null=True
    )
    request_method = serializers.CharField(source="eu_request_method")
    request_reference = serializers.CharField(source="eu_request_reference")
    request_recorded_by = serializers.CharField(
        source="eu_request_recorded_by.username", allow_null=True
    )
    decision = serializers.CharField(source="eu_authorisation_decision")
    decided_at = serializers.DateTimeField(source="eu_authorisation_decided_at", allow_null=True)
    decision_authority = serializers.CharField(source="eu_decision_authority")
    decision_authority_kind = serializers.CharField(source="eu_decision_authority_kind")
    decision_reference = serializers.CharField(source="eu_decision_reference")
    decision_recorded_by = serializers.CharField(
        source="eu_decision_recorded_by.username", allow_null=True
    )
    notices = serializers.SerializerMethodField()
    notices_missing = serializers.SerializerMethodField()

    def get_decision_needed_by(self, deployment: Deployment) -> str | None:
        deadline = urgent_deadline(deployment)
        return deadline.isoformat() if deadline else None

    @extend_schema_field(NoticeOutputSerializer(many=True))
    def get_notices(self, deployment: Deployment) -> list[dict[str, Any]]:
        return NoticeOutputSerializer(authority_notifications_of(deployment), many=True).data

    def get_notices_missing(self, deployment: Deployment) -> list[str]:
        return missing_notices(deployment)


def _deployment(request: Request, public_id: UUID) -> Deployment:
    if not settings.LFR_EU_AI_ACT_MODE:
        raise Http404("EU AI Act mode is not switched on.")
    return deployments_visible_to(request.user).get(public_id=public_id)


def _state(request: Request, public_id: UUID) -> Response:
    deployment = _deployment(request, public_id)
    return Response(EUStateOutputSerializer(deployment, context={"request": request}).data)


class DeploymentEUStateApi(RoleApi):
    """The deployment's EU AI Act authorisation: purpose, urgency, request, decision,
    notices (404 outside EU AI Act mode)."""

    allowed_roles = ALL_ROLES

    @extend_schema(
        tags=TAGS, responses={200: EUStateOutputSerializer, **error_responses(*READ_ERRORS)}
    )
    def get(self, request: Request, public_id: UUID) -> Response:
        return _state(request, public_id)


def _act(request: Request, public_id: UUID, service: Any, input_serializer: Any) -> Any:
    # The body is checked first: a malformed one is a 400 naming its field in any mode.
    serializer = input_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    deployment = _deployment(request, public_id)
    return service(actor=request.user, deployment=deployment, **serializer.validated_data)


class DeploymentEURequestRecordApi(RoleApi):
    """Record when and how the authorisation was actually requested (its planner or an
    authorising officer)."""

    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        requested_at = StorableDateTimeField()
        method = EnumField(EURequestMethod)
        reference = serializers.CharField(max_length=200)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: EUStateOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        _act(request, public_id, services.deployment_eu_request_record, self.InputSerializer)
        return _state(request, public_id)


class DeploymentEUDecisionRecordApi(RoleApi):
    """Record the judicial or independent authority's decision (authorising officers).
    A refusal stops all processing at once and deletes what the deployment produced."""

    allowed_roles = (AO,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        decision = serializers.ChoiceField(choices=services.DECISIONS)
        authority = serializers.CharField(max_length=200)
        authority_kind = EnumField(EUAuthorityKind)
        decided_at = StorableDateTimeField()
        reference = serializers.CharField(max_length=200)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: EUStateOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        _act(request, public_id, services.deployment_independent_decision, self.InputSerializer)
        return _state(request, public_id)


class DeploymentAuthorityNoticeRecordApi(RoleApi):
    """Record a notice of the use to the market-surveillance or data-protection authority
    (Art. 26(10)): its planner, an authorising or a compliance officer."""

    allowed_roles = (AO, PLANNER, COMPLIANCE)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        authority = EnumField(NotifiedAuthority)
        authority_name = serializers.CharField(max_length=200)
        notified_at = StorableDateTimeField()
        method = EnumField(EURequestMethod)
        reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
        note = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: NoticeOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        notice = _act(
            request, public_id, services.authority_notification_record, self.InputSerializer
        )
        return Response(NoticeOutputSerializer(notice).data, status=201)


class AlertVerifyOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    verified_by = serializers.CharField(source="verified_by.username")
    verified_at = serializers.DateTimeField()


class AlertVerifyApi(RoleApi):
    """A second person verifies an alert before it is sent for engagement (Art. 14(5)),
    where the deployment asks for it: an operator of the deployment or an authorising
    officer, not whoever adjudicated it."""

    allowed_roles = (AO, OPERATOR)

    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: AlertVerifyOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        alert = alerts_visible_to(request.user).get(public_id=public_id)
        verified = alert_verify(actor=request.user, alert=alert)
        return Response(AlertVerifyOutputSerializer(verified).data)
