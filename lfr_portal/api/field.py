"""Field evidence: signage and leaflets, recorded by field officers on the ground."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from ..models import LeafletRecord, SignageRecord
from ..selectors.deployments import deployment_get, deployments_visible_to
from ..selectors.field import signage_visible_to
from ..services import field as services
from ..services import publication
from .common import (
    ALL_ROLES,
    AO,
    COMPLIANCE,
    DB_INT_MAX,
    FIELD_OFFICER,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    ListApi,
    PresenceField,
    ReasonInputSerializer,
    RoleApi,
    error_responses,
)

TAGS = ["field evidence"]


def _latitude(**kwargs):
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, min_value=-90, max_value=90, **kwargs
    )


def _longitude(**kwargs):
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, min_value=-180, max_value=180, **kwargs
    )


class PhotoPublishedField(serializers.BooleanField):
    """Whether the public page shows the photo now: approved, and the photo still held."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, record):
        return bool(record.photo and record.photo_deleted_at is None and record.photo_published_at)


class SignageOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    deployment = serializers.UUIDField(source="deployment.public_id")
    description = serializers.CharField()
    location_name = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    placed_at = serializers.DateTimeField()
    removed_at = serializers.DateTimeField(allow_null=True)
    has_photo = PresenceField(source="photo")
    photo_published = PhotoPublishedField(
        help_text="Whether the public transparency page shows the photo now."
    )
    photo_published_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the photo was approved for the public page; null while it is not.",
    )
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        ref_name = "Signage"


class LeafletOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    deployment = serializers.UUIDField(source="deployment.public_id")
    quantity = serializers.IntegerField()
    location_name = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    distributed_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(source="recorded_by.username")

    class Meta:
        ref_name = "Leaflet"


def _record_schema(request, output, ok=201):
    return extend_schema(
        tags=TAGS, request=request, responses={ok: output, **error_responses(*WRITE_ERRORS)}
    )


class SignageListApi(ListApi):
    allowed_roles = ALL_ROLES
    queryset = SignageRecord.objects.none()

    @extend_schema(
        tags=TAGS,
        responses={200: SignageOutputSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def get(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        records = deployment.signage.select_related("deployment", "recorded_by")
        return self.list_response(records, SignageOutputSerializer)


class SignageRecordApi(RoleApi):
    """Records a sign put up at the location; signs must be up before the first frame."""

    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (MultiPartParser, JSONParser)

    class InputSerializer(ApiInputSerializer):
        description = serializers.CharField(max_length=300)
        location_name = serializers.CharField(max_length=200)
        latitude = _latitude(required=False, allow_null=True)
        longitude = _longitude(required=False, allow_null=True)
        placed_at = serializers.DateTimeField()
        removed_at = serializers.DateTimeField(required=False, allow_null=True)
        photo = serializers.ImageField(required=False)

        def validate_photo(self, photo):
            # Refused before Pillow reads it; the service checks the content.
            limit = settings.LFR_UPLOAD_MAX_BYTES
            if photo.size > limit:
                raise serializers.ValidationError(
                    f"The photo is larger than {limit // (1024 * 1024)} MB."
                )
            return photo

    @_record_schema(InputSerializer, SignageOutputSerializer)
    def post(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.signage_record(
            actor=request.user, deployment=deployment, **serializer.validated_data
        )
        return Response(SignageOutputSerializer(record).data, status=status.HTTP_201_CREATED)


class SignageRemoveApi(RoleApi):
    """Records that a sign was taken down."""

    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        removed_at = serializers.DateTimeField()

    @_record_schema(InputSerializer, SignageOutputSerializer, ok=200)
    def post(self, request, public_id):
        record = SignageRecord.objects.select_related("deployment").get(
            public_id=public_id,
            deployment__in=deployments_visible_to(request.user).values("pk"),
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.signage_mark_removed(
            actor=request.user, record=record, **serializer.validated_data
        )
        return Response(SignageOutputSerializer(record).data)


class SignagePhotoPublishApi(RoleApi):
    """Approves the sign's photo for the public transparency page.

    An authorising officer or a compliance officer who did not record the sign (four eyes),
    for an approved, live or ended deployment. The photo itself is never in the API.
    """

    allowed_roles = (AO, COMPLIANCE)

    @_record_schema(None, SignageOutputSerializer, ok=200)
    def post(self, request, public_id):
        record = signage_visible_to(request.user).get(public_id=public_id)
        record = publication.signage_photo_publish(actor=request.user, record=record)
        return Response(SignageOutputSerializer(record).data)


class SignagePhotoWithdrawApi(RoleApi):
    """Takes the sign's photo off the public transparency page at once, with the reason."""

    allowed_roles = (AO, COMPLIANCE)
    parser_classes = (JSONParser,)

    class InputSerializer(ReasonInputSerializer):
        pass

    @_record_schema(InputSerializer, SignageOutputSerializer, ok=200)
    def post(self, request, public_id):
        record = signage_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = publication.signage_photo_withdraw(
            actor=request.user, record=record, **serializer.validated_data
        )
        return Response(SignageOutputSerializer(record).data)


class LeafletListApi(ListApi):
    allowed_roles = ALL_ROLES
    queryset = LeafletRecord.objects.none()

    @extend_schema(
        tags=TAGS,
        responses={200: LeafletOutputSerializer(many=True), **error_responses(*READ_ERRORS)},
    )
    def get(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        records = deployment.leaflets.select_related("deployment", "recorded_by")
        return self.list_response(records, LeafletOutputSerializer)


class LeafletRecordApi(RoleApi):
    allowed_roles = (FIELD_OFFICER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        quantity = serializers.IntegerField(min_value=1, max_value=DB_INT_MAX)
        location_name = serializers.CharField(max_length=200)
        latitude = _latitude(required=False, allow_null=True)
        longitude = _longitude(required=False, allow_null=True)
        distributed_at = serializers.DateTimeField()

    @_record_schema(InputSerializer, LeafletOutputSerializer)
    def post(self, request, public_id):
        deployment = deployment_get(request.user, public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.leaflet_record(
            actor=request.user, deployment=deployment, **serializer.validated_data
        )
        return Response(LeafletOutputSerializer(record).data, status=status.HTTP_201_CREATED)
