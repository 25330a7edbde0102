"""Engagements: the operator sends an alert, a field officer takes it and records what the
stop found and how it ended; an arrest's later outcome follows. Every rule is the
service's; these views check the body's shape and answer the engagement."""

from typing import Any
from uuid import UUID

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import (
    ArrestCategory,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    EntryCategory,
    IdentityCheck,
    LaterOutcome,
    PerceivedEthnicity,
    PerceivedSex,
)
from ..selectors.alerts import alerts_visible_to
from ..selectors.deployments import deployment_get
from ..selectors.engagements import EngagementStage, engagement_for, engagement_stage
from ..selectors.engagements import engagements_visible_to as visible
from ..services import deployment_staff as staff
from ..services import engagements as services
from .common import (
    AO,
    COMPLIANCE,
    FIELD_OFFICER,
    OPERATOR,
    PLANNER,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    EnumField,
    ListApi,
    RoleApi,
    error_responses,
)

TAGS = ["engagements"]
READERS = (OPERATOR, FIELD_OFFICER, AO, COMPLIANCE)
REFERENCE_MAX = 100
MINUTES_MAX = 24 * 60


class EngagementFilter(django_filters.FilterSet):
    deployment = django_filters.UUIDFilter(
        field_name="alert__deployment__public_id", help_text="The deployment's public_id."
    )
    result = django_filters.ChoiceFilter(choices=EngagementResult.choices)
    outcome = django_filters.ChoiceFilter(choices=EngagementOutcome.choices)

    class Meta:
        model = Engagement
        fields = ()


class StageField(EnumField):
    """The alert's stage, as selectors/engagements.py's engagement_stage states it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(EngagementStage, source="*", read_only=True, **kwargs)

    def to_representation(self, engagement: Engagement) -> str:
        return str(engagement_stage(engagement.alert).value)


class EngagementOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    alert = serializers.UUIDField(source="alert.public_id")
    deployment = serializers.UUIDField(source="alert.deployment.public_id")
    camera = serializers.UUIDField(source="alert.camera.camera.public_id")
    entry_category = EnumField(EntryCategory, source="alert.entry.category", allow_null=True)
    stage = StageField()
    dispatched_by = serializers.CharField(source="dispatched_by.username")
    dispatched_at = serializers.DateTimeField()
    officer = serializers.CharField(source="officer.username", allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    result = EnumField(EngagementResult)
    engaged_at = serializers.DateTimeField(allow_null=True)
    stop_minutes = serializers.IntegerField(allow_null=True)
    identity_check = serializers.CharField()
    not_engaged_reason = serializers.CharField()
    held_minutes = serializers.IntegerField(allow_null=True)
    explanation_given = serializers.BooleanField(allow_null=True)
    complaints_route_given = serializers.BooleanField(allow_null=True)
    perceived_sex = EnumField(PerceivedSex)
    perceived_ethnicity = EnumField(PerceivedEthnicity)
    result_recorded_at = serializers.DateTimeField(allow_null=True)
    outcome = EnumField(EngagementOutcome)
    arrest_category = serializers.CharField()
    custody_reference = serializers.CharField()
    crime_reference = serializers.CharField()
    no_hold_reason = serializers.CharField()
    outcome_recorded_at = serializers.DateTimeField(allow_null=True)
    later_outcome = EnumField(LaterOutcome)
    later_outcome_recorded_at = serializers.DateTimeField(allow_null=True)


def engagement_answer(request: Request, public_id: UUID, code: int = 200) -> Response:
    engagement = engagement_for(request.user, public_id)
    return Response(EngagementOutputSerializer(engagement).data, status=code)


class EngagementListApi(ListApi):
    allowed_roles = READERS
    queryset = Engagement.objects.none()
    filterset_class = EngagementFilter

    @extend_schema(
        tags=TAGS,
        responses={
            200: EngagementOutputSerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request: Request) -> Response:
        return self.list_response(visible(request.user), EngagementOutputSerializer)


class EngagementDetailApi(RoleApi):
    allowed_roles = READERS

    @extend_schema(
        tags=TAGS,
        responses={200: EngagementOutputSerializer, **error_responses(*READ_ERRORS)},
    )
    def get(self, request: Request, public_id: UUID) -> Response:
        return engagement_answer(request, public_id)


def _action_schema(request: Any = None, ok: int = 200) -> Any:
    return extend_schema(
        tags=TAGS,
        request=request,
        responses={ok: EngagementOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )


def act_on(
    request: Request,
    public_id: UUID,
    service: Any,
    input_serializer: type[serializers.Serializer] | None = None,
) -> Response:
    """Run one service on a visible engagement with the checked body; answer it."""
    engagement = engagement_for(request.user, public_id)
    data: dict[str, Any] = {}
    if input_serializer is not None:
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
    service(actor=request.user, engagement=engagement, **data)
    return engagement_answer(request, engagement.public_id)


class AlertSendForEngagementApi(RoleApi):
    """The operator's "possible match": the deployment's field officers are told."""

    allowed_roles = (OPERATOR,)
    parser_classes = (JSONParser,)

    @_action_schema(ok=201)
    def post(self, request: Request, public_id: UUID) -> Response:
        alert = alerts_visible_to(request.user).get(public_id=public_id)
        engagement = services.alert_send_for_engagement(actor=request.user, alert=alert)
        return engagement_answer(request, engagement.public_id, status.HTTP_201_CREATED)


class EngagementAcknowledgeApi(RoleApi):
    """A field officer assigned to the deployment takes the engagement."""

    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (JSONParser,)

    @_action_schema()
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.engagement_acknowledge)


class EngagementResultApi(RoleApi):
    """What the stop found, recorded once by the officer who has the engagement."""

    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        result = serializers.ChoiceField(
            choices=[c for c in EngagementResult.choices if c[0] != EngagementResult.PENDING]
        )
        engaged_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Needed when the person was stopped."
        )
        stop_minutes = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, max_value=MINUTES_MAX
        )
        identity_check = EnumField(IdentityCheck, required=False, allow_blank=True)
        not_engaged_reason = serializers.CharField(
            required=False, allow_blank=True, max_length=TEXT_MAX
        )
        held_minutes = serializers.IntegerField(
            required=False,
            allow_null=True,
            min_value=0,
            max_value=MINUTES_MAX,
            help_text="Not the person: how long they were held.",
        )
        explanation_given = serializers.BooleanField(required=False, allow_null=True)
        complaints_route_given = serializers.BooleanField(required=False, allow_null=True)
        perceived_sex = EnumField(
            PerceivedSex,
            required=False,
            allow_blank=True,
            help_text="Optional, a person stopped only: sex as the officer perceived it.",
        )
        perceived_ethnicity = EnumField(
            PerceivedEthnicity,
            required=False,
            allow_blank=True,
            help_text="Optional, a person stopped only: ethnic group as the officer perceived it.",
        )

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.engagement_result_record, self.InputSerializer)


class EngagementOutcomeApi(RoleApi):
    """How a stop that found the person ended; an arrest needs a hold or a reason for none."""

    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        outcome = serializers.ChoiceField(
            choices=[c for c in EngagementOutcome.choices if c[0] != EngagementOutcome.NONE]
        )
        arrest_category = EnumField(ArrestCategory, required=False, allow_blank=True)
        custody_reference = serializers.CharField(
            required=False, allow_blank=True, max_length=REFERENCE_MAX
        )
        crime_reference = serializers.CharField(
            required=False, allow_blank=True, max_length=REFERENCE_MAX
        )
        hold_review_by = serializers.DateField(
            required=False,
            allow_null=True,
            help_text="An arrest: the evidence hold's review date (or give no_hold_reason).",
        )
        no_hold_reason = serializers.CharField(
            required=False, allow_blank=True, max_length=TEXT_MAX
        )

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.engagement_outcome_record, self.InputSerializer)


class EngagementLaterOutcomeApi(RoleApi):
    """What became of an arrest; a correction is audited with what it replaced."""

    allowed_roles = (FIELD_OFFICER, AO, COMPLIANCE)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        later_outcome = serializers.ChoiceField(
            choices=[c for c in LaterOutcome.choices if c[0] != LaterOutcome.NONE]
        )

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(
            request, public_id, services.engagement_later_outcome_record, self.InputSerializer
        )


def _on_deployment(
    request: Request,
    public_id: UUID,
    service: Any,
    input_serializer: type[serializers.Serializer],
) -> Response:
    """Run one service on a visible deployment with the checked body; answer 204."""
    deployment = deployment_get(request.user, public_id)
    serializer = input_serializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    service(actor=request.user, deployment=deployment, **serializer.validated_data)
    return Response(status=status.HTTP_204_NO_CONTENT)


class DeploymentFieldOfficerAssignApi(RoleApi):
    """Puts a field officer on this deployment: its alerts sent for engagement reach them."""

    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        officer = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.filter(is_active=True),
            help_text="The field officer's username.",
        )

    @extend_schema(
        tags=["deployments"],
        request=InputSerializer,
        responses={204: None, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        return _on_deployment(
            request, public_id, staff.deployment_field_officer_assign, self.InputSerializer
        )


class DeploymentFieldOfficerRemoveApi(RoleApi):
    """Takes a field officer off this deployment: its alerts no longer reach them.

    A POST with the username in the body, as for operators: path parameters are public
    UUIDs only, and users have none.
    """

    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        officer = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.all(),
            help_text="The field officer's username.",
        )
        reason = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX)

    @extend_schema(
        tags=["deployments"],
        request=InputSerializer,
        responses={204: None, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request: Request, public_id: UUID) -> Response:
        return _on_deployment(
            request, public_id, staff.deployment_field_officer_remove, self.InputSerializer
        )
