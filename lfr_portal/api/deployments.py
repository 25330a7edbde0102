"""Deployments: drafting, documents, cameras, operators, and the lifecycle actions."""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import TextField
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import (
    Camera,
    CameraState,
    Deployment,
    DeploymentStatus,
    DocumentKind,
    Engine,
    UseCase,
    WatchlistStatus,
)
from ..models.deployments import DRAFT_REQUIRED_FIELDS, EDITABLE_FIELDS
from ..selectors.deployments import deployment_get, deployments_visible_to
from ..services import deployment_lifecycle as lifecycle
from ..services import deployment_staff as staff
from ..services import deployments as services
from .common import (
    ALL_ROLES,
    AO,
    OPERATOR,
    PLANNER,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    EnumField,
    ListApi,
    PublicIdField,
    ReasonInputSerializer,
    RoleApi,
    error_responses,
)
from .filters import DeploymentFilter

TAGS = ["deployments"]


class DeploymentFieldsSerializer(ApiInputSerializer, serializers.ModelSerializer):
    # The fields a planner may set on a draft, with the model's limits; optional unless
    # `required_fields` names them.

    required_fields: tuple[str, ...] = ()

    use_case = EnumField(UseCase, required=False)
    engine = EnumField(Engine, required=False)

    class Meta:
        model = Deployment
        fields = EDITABLE_FIELDS
        extra_kwargs = {
            # Any precision is accepted; the service rounds to the six places stored.
            "latitude": {"max_digits": None, "decimal_places": None},
            "longitude": {"max_digits": None, "decimal_places": None},
            "justification": {"help_text": Deployment._meta.get_field("justification").help_text},
            **{
                name: {"max_length": TEXT_MAX}
                for name in EDITABLE_FIELDS
                if isinstance(Deployment._meta.get_field(name), TextField)
            },
        }

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for name, field in fields.items():
            field.required = name in self.required_fields
        return fields


class DeploymentListApi(ListApi):
    allowed_roles = ALL_ROLES
    queryset = Deployment.objects.none()
    filterset_class = DeploymentFilter

    class OutputSerializer(ApiSerializer):
        public_id = serializers.UUIDField()
        title = serializers.CharField()
        status = EnumField(DeploymentStatus)
        use_case = EnumField(UseCase)
        location_name = serializers.CharField()
        borough = serializers.CharField()
        starts_at = serializers.DateTimeField(allow_null=True)
        ends_at = serializers.DateTimeField(allow_null=True)
        created_by = serializers.CharField(source="created_by.username")
        updated_at = serializers.DateTimeField()

    def get_queryset(self):
        return deployments_visible_to(self.request.user)

    @extend_schema(
        tags=TAGS,
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.list_response(self.get_queryset(), self.OutputSerializer)


class DeploymentDetailApi(RoleApi):
    allowed_roles = ALL_ROLES

    class OutputSerializer(ApiSerializer):
        class DocumentSerializer(ApiSerializer):
            public_id = serializers.UUIDField()
            kind = EnumField(DocumentKind)
            reference = serializers.CharField()
            issued_on = serializers.DateField()
            review_by = serializers.DateField()

        class CameraSerializer(ApiSerializer):
            camera = serializers.UUIDField(source="camera.public_id")
            name = serializers.CharField(source="camera.name")
            position = serializers.CharField()
            state = EnumField(CameraState)
            faces_processed = serializers.IntegerField()

        class WatchlistSerializer(ApiSerializer):
            public_id = serializers.UUIDField()
            status = EnumField(WatchlistStatus)
            finalised_at = serializers.DateTimeField(allow_null=True)

        public_id = serializers.UUIDField()
        title = serializers.CharField()
        status = EnumField(DeploymentStatus)
        use_case = EnumField(UseCase)
        use_case_other = serializers.CharField()
        purpose = serializers.CharField()
        justification = serializers.CharField()
        location_name = serializers.CharField()
        borough = serializers.CharField()
        latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
        longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
        radius_m = serializers.IntegerField()
        grounds_references = serializers.CharField()
        grounds_crime_figures = serializers.CharField()
        grounds_alternatives = serializers.CharField()
        why_here_summary = serializers.CharField()
        starts_at = serializers.DateTimeField(allow_null=True)
        ends_at = serializers.DateTimeField(allow_null=True)
        engine = EnumField(Engine)
        threshold = serializers.DecimalField(max_digits=4, decimal_places=3)
        threshold_override_reason = serializers.CharField()
        expected_faces = serializers.IntegerField()
        critical_threat_exempt = serializers.BooleanField()
        critical_threat_reason = serializers.CharField()
        eu_urgency = serializers.BooleanField()
        eu_urgency_reason = serializers.CharField()
        eu_authorisation_requested_at = serializers.DateTimeField(allow_null=True)
        eu_authorisation_decision = serializers.CharField()
        eu_authorisation_decided_at = serializers.DateTimeField(allow_null=True)
        created_by = serializers.CharField(source="created_by.username")
        submitted_at = serializers.DateTimeField(allow_null=True)
        decided_by = serializers.CharField(source="decided_by.username", allow_null=True)
        decided_at = serializers.DateTimeField(allow_null=True)
        rejection_reason = serializers.CharField()
        went_live_at = serializers.DateTimeField(allow_null=True)
        went_live_by = serializers.CharField(source="went_live_by.username", allow_null=True)
        ended_at = serializers.DateTimeField(allow_null=True)
        ended_by = serializers.CharField(source="ended_by.username", allow_null=True)
        end_reason = serializers.CharField()
        stopped_early = serializers.BooleanField()
        faces_processed = serializers.IntegerField()
        documents = DocumentSerializer(many=True, source="documents.all")
        cameras = CameraSerializer(many=True, source="cameras.all")
        watchlist = WatchlistSerializer(allow_null=True)
        created_at = serializers.DateTimeField()
        updated_at = serializers.DateTimeField()

    @extend_schema(tags=TAGS, responses={200: OutputSerializer, **error_responses(*READ_ERRORS)})
    def get(self, request, public_id):
        return Response(deployment_detail(request, public_id))


def deployment_detail(request, public_id):
    """The full deployment, as its detail and every action on it answer."""
    deployment = (
        deployments_visible_to(request.user)
        .select_related("watchlist", "went_live_by", "ended_by")
        .prefetch_related("documents", "cameras__camera")
        .get(public_id=public_id)
    )
    return DeploymentDetailApi.OutputSerializer(deployment, context={"request": request}).data


DETAIL = DeploymentDetailApi.OutputSerializer


def act_on(
    request: Request,
    public_id: UUID,
    service: Callable[..., Any],
    input_serializer: type[serializers.Serializer] | None = None,
) -> Response:
    """Run one service on the deployment with the checked body; answer the deployment."""
    deployment = deployment_get(request.user, public_id)
    data: dict[str, Any] = {}
    if input_serializer is not None:
        serializer = input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
    service(actor=request.user, deployment=deployment, **data)
    return Response(deployment_detail(request, deployment.public_id))


def _action_schema(request=None, ok=200, output=DETAIL):
    return extend_schema(
        tags=TAGS, request=request, responses={ok: output, **error_responses(*WRITE_ERRORS)}
    )


class DeploymentCreateApi(RoleApi):
    allowed_roles = (PLANNER,)
    parser_classes = (JSONParser,)

    class InputSerializer(DeploymentFieldsSerializer):
        required_fields = DRAFT_REQUIRED_FIELDS

    @_action_schema(request=InputSerializer, ok=201)
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        deployment = services.deployment_create(actor=request.user, **serializer.validated_data)
        return Response(
            deployment_detail(request, deployment.public_id), status=status.HTTP_201_CREATED
        )


class DeploymentUpdateApi(RoleApi):
    allowed_roles = (PLANNER,)
    parser_classes = (JSONParser,)

    class InputSerializer(DeploymentFieldsSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.deployment_update, self.InputSerializer)


class DeploymentSubmitApi(RoleApi):
    allowed_roles = (PLANNER,)

    @_action_schema()
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.deployment_submit)


class DeploymentApproveApi(RoleApi):
    allowed_roles = (AO,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.deployment_approve, self.InputSerializer)


class DeploymentRejectApi(RoleApi):
    allowed_roles = (AO,)
    parser_classes = (JSONParser,)

    class InputSerializer(ReasonInputSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.deployment_reject, self.InputSerializer)


class DeploymentStartApi(RoleApi):
    allowed_roles = (AO, OPERATOR)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        advisory_reason = serializers.CharField(
            max_length=TEXT_MAX,
            required=False,
            allow_blank=True,
            help_text="Why going live is right although an advisory (a camera that does not "
            "answer) is unmet. Required only then.",
        )

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, lifecycle.deployment_start, self.InputSerializer)


class DeploymentStopApi(RoleApi):
    """The kill switch: stops a live deployment at once."""

    allowed_roles = (AO, OPERATOR)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, lifecycle.deployment_stop, self.InputSerializer)


class DeploymentCancelApi(RoleApi):
    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ReasonInputSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, lifecycle.deployment_cancel, self.InputSerializer)


class DeploymentDocumentSetApi(RoleApi):
    """Records or replaces the deployment's document of one kind."""

    allowed_roles = (PLANNER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        kind = EnumField(DocumentKind)
        reference = serializers.CharField(max_length=200)
        issued_on = serializers.DateField()
        review_by = serializers.DateField()

    class OutputSerializer(ApiSerializer):
        public_id = serializers.UUIDField()
        deployment = serializers.UUIDField(source="deployment.public_id")
        kind = EnumField(DocumentKind)
        reference = serializers.CharField()
        issued_on = serializers.DateField()
        review_by = serializers.DateField()
        added_by = serializers.CharField(source="added_by.username")

    @_action_schema(request=InputSerializer, output=OutputSerializer)
    def post(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.deployment_document_set(
            actor=request.user, deployment=deployment, **serializer.validated_data
        )
        return Response(self.OutputSerializer(document).data)


class DeploymentCameraAddApi(RoleApi):
    allowed_roles = (PLANNER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        camera = PublicIdField(Camera.objects.all(), help_text="The camera's public_id.")
        position = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, services.deployment_camera_add, self.InputSerializer)


class DeploymentCameraRemoveApi(RoleApi):
    allowed_roles = (PLANNER,)

    @_action_schema()
    def post(self, request, public_id, camera_id):
        deployment = deployment_get(request.user, public_id)
        camera = Camera.objects.get(public_id=camera_id)
        services.deployment_camera_remove(actor=request.user, deployment=deployment, camera=camera)
        return Response(deployment_detail(request, deployment.public_id))


class DeploymentOperatorAssignApi(RoleApi):
    """Lets an operator see and run this deployment and adjudicate its alerts."""

    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        operator = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.filter(is_active=True),
            help_text="The operator's username.",
        )

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, staff.deployment_operator_assign, self.InputSerializer)


class DeploymentOperatorRemoveApi(RoleApi):
    """Takes an operator off this deployment: they no longer see it or its alerts."""

    allowed_roles = (AO, PLANNER)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        operator = serializers.SlugRelatedField(
            slug_field="username",
            queryset=get_user_model().objects.all(),
            help_text="The operator's username.",
        )
        reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @_action_schema(request=InputSerializer)
    def post(self, request: Request, public_id: UUID) -> Response:
        return act_on(request, public_id, staff.deployment_operator_remove, self.InputSerializer)
