"""Post-deployment reviews: authorising and compliance officers read them; an authorising
officer who did not draft the deployment signs one off."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..models import PostDeploymentReview, ReviewStatus
from ..selectors.reviews import REVIEW_STATES, review_state, reviews_in_state, reviews_visible_to
from ..services.reviews import PUBLIC_SUMMARY_MAX, review_sign_off
from .common import (
    AO,
    COMPLIANCE,
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

TAGS = ["reviews"]
REVIEW_ROLES = (AO, COMPLIANCE)


class ReviewFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[(s, s) for s in REVIEW_STATES],
        method="filter_state",
        help_text="open: not signed off, not yet due; overdue: not signed off and past its "
        "due date; signed_off.",
    )
    deployment = django_filters.UUIDFilter(
        field_name="deployment__public_id", help_text="The deployment's public_id."
    )

    class Meta:
        model = PostDeploymentReview
        fields = ()

    def filter_state(self, queryset, name, value):
        return reviews_in_state(queryset, value)


class ReviewOutputSerializer(ApiSerializer):
    public_id = serializers.UUIDField()
    deployment = serializers.UUIDField(source="deployment.public_id")
    deployment_title = serializers.CharField(source="deployment.title")
    status = EnumField(ReviewStatus)
    state = serializers.SerializerMethodField(help_text="open, overdue or signed_off.")
    opened_at = serializers.DateTimeField()
    due_by = serializers.DateTimeField()
    figures = serializers.DictField(
        help_text="The deployment's figures (counts only) when it opened, or at sign-off."
    )
    findings = serializers.CharField()
    lessons = serializers.CharField()
    public_summary = serializers.CharField()
    signed_off_by = serializers.CharField(source="signed_off_by.username", allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)

    def get_state(self, review) -> str:
        return review_state(review)


def _review_data(request, public_id):
    review = reviews_visible_to(request.user).get(public_id=public_id)
    return ReviewOutputSerializer(review, context={"request": request}).data


class ReviewListApi(ListApi):
    allowed_roles = REVIEW_ROLES
    queryset = PostDeploymentReview.objects.none()
    filterset_class = ReviewFilter

    def get_queryset(self):
        return reviews_visible_to(self.request.user).order_by("due_by")

    @extend_schema(
        tags=TAGS,
        responses={200: ReviewOutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        return self.list_response(self.get_queryset(), ReviewOutputSerializer)


class ReviewDetailApi(RoleApi):
    allowed_roles = REVIEW_ROLES

    @extend_schema(
        tags=TAGS, responses={200: ReviewOutputSerializer, **error_responses(*READ_ERRORS)}
    )
    def get(self, request, public_id):
        return Response(_review_data(request, public_id))


class ReviewSignOffApi(RoleApi):
    """Sign the review off: findings, lessons and the summary published for the public."""

    allowed_roles = (AO,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        findings = serializers.CharField(max_length=TEXT_MAX)
        lessons = serializers.CharField(max_length=TEXT_MAX)
        public_summary = serializers.CharField(
            max_length=TEXT_MAX,
            help_text=f"Plain words, at most {PUBLIC_SUMMARY_MAX} characters; published once "
            "signed off.",
        )

    @extend_schema(
        tags=TAGS,
        request=InputSerializer,
        responses={200: ReviewOutputSerializer, **error_responses(*WRITE_ERRORS)},
    )
    def post(self, request, public_id):
        review = reviews_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review_sign_off(actor=request.user, review=review, **serializer.validated_data)
        return Response(_review_data(request, public_id))
