"""The force's camera register. Stream URLs often carry credentials: they are shown only
with the password masked."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..models import Camera
from ..services import cameras as services
from .common import (
    AO,
    COMPLIANCE,
    PLANNER,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    ListApi,
    RoleApi,
    error_responses,
)

TAGS = ["cameras"]


class CameraOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    description = serializers.CharField()
    source_url_masked = serializers.CharField(
        help_text="Where the recognition job reads frames from, with any password as ***."
    )
    min_face_px = serializers.IntegerField(
        allow_null=True,
        help_text="The narrowest face recognition must find here, in camera pixels "
        "(null: the installation's default, LFR_MIN_FACE_PX).",
    )

    class Meta:
        ref_name = "Camera"


class CameraListApi(ListApi):
    allowed_roles = (AO, PLANNER, COMPLIANCE)
    queryset = Camera.objects.none()

    @extend_schema(
        tags=TAGS,
        responses={200: CameraOutputSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        # The register is not permission-filtered: every camera is listed to these roles.
        return self.list_response(Camera.objects.all(), CameraOutputSerializer)


class CameraCreateApi(RoleApi):
    allowed_roles = (PLANNER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        name = serializers.CharField(max_length=200)
        source_url = serializers.CharField(
            max_length=1000, help_text="Where the recognition job reads frames from."
        )
        latitude = serializers.DecimalField(
            max_digits=9,
            decimal_places=6,
            min_value=-90,
            max_value=90,
            required=False,
            allow_null=True,
        )
        longitude = serializers.DecimalField(
            max_digits=9,
            decimal_places=6,
            min_value=-180,
            max_value=180,
            required=False,
            allow_null=True,
        )
        description = serializers.CharField(max_length=300, required=False, allow_blank=True)
        min_face_px = serializers.IntegerField(
            min_value=24,
            max_value=400,
            required=False,
            allow_null=True,
            help_text="The narrowest face to find, in camera pixels; it sets how far frames "
            "are scaled down for detection. Leave out for the default.",
        )

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={201: CameraOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        camera = services.camera_create(actor=request.user, **serializer.validated_data)
        return Response(CameraOutputSerializer(camera).data, status=status.HTTP_201_CREATED)
