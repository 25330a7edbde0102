"""The policy library over the API: documents and their versions (every role reads),
uploads and publication (authorising and compliance officers), and the versions a
deployment pins (its planner or an authorising officer)."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from ..models import PolicyDocument, PolicyKind, PolicyVersion
from ..selectors.deployments import deployments_visible_to
from ..selectors.policies import deployment_pins, policy_documents, retention_differences
from ..services import policies as services
from .common import (
    ALL_ROLES,
    AO,
    COMPLIANCE,
    PLANNER,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    EnumField,
    ListApi,
    PublicIdField,
    RoleApi,
    error_responses,
)

TAGS = ["policies"]
MANAGERS = (AO, COMPLIANCE)
PINNERS = (AO, PLANNER)


class PolicyVersionOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    number = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    issued_on = serializers.DateField()
    review_by = serializers.DateField()
    change_summary = serializers.CharField()
    stated_retention = serializers.DictField(child=serializers.FloatField())
    retention_differences = serializers.SerializerMethodField()
    publishable = serializers.BooleanField()
    publishable_marked_at = serializers.DateTimeField(allow_null=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    uploaded_at = serializers.DateTimeField(source="created_at")

    def get_retention_differences(self, version) -> list[str]:
        return [d.sentence for d in retention_differences(version.stated_retention)]


class PolicyDocumentOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    kind = EnumField(PolicyKind)
    title = serializers.CharField()
    versions = PolicyVersionOutputSerializer(many=True, source="versions.all")


def _document_data(request, public_id):
    document = policy_documents().get(public_id=public_id)
    return PolicyDocumentOutputSerializer(document, context={"request": request}).data


class PolicyDocumentListApi(ListApi):
    """Every document in the library, each with its versions newest first."""

    allowed_roles = ALL_ROLES
    queryset = PolicyDocument.objects.none()

    def get_queryset(self):
        return policy_documents()

    @extend_schema(
        tags=TAGS,
        responses={200: PolicyDocumentOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return self.list_response(self.get_queryset(), PolicyDocumentOutputSerializer)


class PolicyDocumentDetailApi(RoleApi):
    allowed_roles = ALL_ROLES

    @extend_schema(
        tags=TAGS, responses={200: PolicyDocumentOutputSerializer, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, public_id):
        return Response(_document_data(request, public_id))


class PolicyDocumentCreateApi(RoleApi):
    """Add a document to the library; its versions are uploaded one by one."""

    allowed_roles = MANAGERS
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        kind = EnumField(PolicyKind)
        title = serializers.CharField(max_length=200)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: PolicyDocumentOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.policy_document_create(actor=request.user, **serializer.validated_data)
        return Response(_document_data(request, document.public_id), status=201)


class PolicyVersionUploadApi(RoleApi):
    """Upload the next version of a document: a PDF, ODT, DOCX or plain-text file (told by
    its content), at most LFR_POLICY_MAX_UPLOAD_MB. Its SHA-256 is computed by the server
    and written into the audit chain. `stated_retention` is a JSON object of the periods
    the document states, in days, keyed by retention rule; periods that differ from the
    rules in force are answered in `retention_differences`, as a warning."""

    allowed_roles = MANAGERS
    parser_classes = (MultiPartParser,)

    class InputSerializer(ApiInputSerializer):
        file = serializers.FileField()
        issued_on = serializers.DateField()
        review_by = serializers.DateField()
        change_summary = serializers.CharField(max_length=TEXT_MAX)
        stated_retention = serializers.JSONField(binary=True, required=False)

        def validate_file(self, upload):
            limit = settings.LFR_POLICY_MAX_UPLOAD_BYTES
            if upload.size > limit:
                raise serializers.ValidationError(
                    f"The document is larger than {limit // (1024 * 1024)} MB."
                )
            return upload

    @extend_schema(
        tags=TAGS,
        request={"multipart/form-data": InputSerializer},
        responses={201: PolicyVersionOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        document = PolicyDocument.objects.get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = services.policy_version_upload(
            actor=request.user, document=document, upload=data.pop("file"), **data
        )
        return Response(PolicyVersionOutputSerializer(version).data, status=201)


class PolicyVersionPublishableApi(RoleApi):
    """Mark a version for the public transparency page, or take it off (with a reason)."""

    allowed_roles = MANAGERS
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        publishable = serializers.BooleanField()
        reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: PolicyVersionOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        version = PolicyVersion.objects.select_related("uploaded_by").get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = services.policy_version_set_publishable(
            actor=request.user, version=version, **serializer.validated_data
        )
        return Response(PolicyVersionOutputSerializer(version).data)


class PolicyPinOutputSerializer(ApiSerializer):
    version = serializers.UUIDField(source="version.public_id")
    document = serializers.CharField(source="version.document.title")
    kind = EnumField(PolicyKind, source="version.document.kind")
    number = serializers.IntegerField(source="version.number")
    sha256 = serializers.CharField(source="version.sha256")
    review_by = serializers.DateField(source="version.review_by")
    pinned_by = serializers.CharField(source="pinned_by.username")
    pinned_at = serializers.DateTimeField()


class PinInputSerializer(ApiInputSerializer):
    version = PublicIdField(queryset=PolicyVersion.objects.all())


def _on_pin(request, public_id, service):
    deployment = deployments_visible_to(request.user).get(public_id=public_id)
    serializer = PinInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    service(actor=request.user, deployment=deployment, **serializer.validated_data)
    pins = deployment_pins(deployment)
    return Response(PolicyPinOutputSerializer(pins, many=True).data)


PIN_SCHEMA = extend_schema(
    tags=TAGS,
    request=PinInputSerializer,
    responses={200: PolicyPinOutputSerializer(many=True), **error_responses(*WRITE_ERRORS)},
)


class DeploymentPolicyPinApi(RoleApi):
    """Pin a policy version to a draft or submitted deployment (replacing a version of the
    same document pinned before). The approval records the pinned versions' hashes."""

    allowed_roles = PINNERS
    parser_classes = (JSONParser,)

    @PIN_SCHEMA
    def post(self, request, public_id):
        return _on_pin(request, public_id, services.deployment_policy_pin)


class DeploymentPolicyUnpinApi(RoleApi):
    """Unpin a policy version from a draft or submitted deployment."""

    allowed_roles = PINNERS
    parser_classes = (JSONParser,)

    @PIN_SCHEMA
    def post(self, request, public_id):
        return _on_pin(request, public_id, services.deployment_policy_unpin)
