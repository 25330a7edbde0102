"""Watchlists and their entries: building, second approval, authorisation and finalising."""

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from ..models import (
    EnrolmentState,
    EntryCategory,
    EntryReference,
    EntryResponse,
    EntryStatus,
    WatchlistEntry,
    WatchlistStatus,
)
from ..selectors.legality import entry_flags
from ..selectors.recognition import enrolment_progress
from ..selectors.watchlists import (
    entries_visible_to,
    references_visible_to,
    watchlists_visible_to,
)
from ..services import entry_photos
from ..services import watchlists as services
from .common import (
    AO,
    COMPLIANCE,
    MANAGER,
    READ_ERRORS,
    TEXT_MAX,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    BiometricOutputMixin,
    EnumField,
    ListApi,
    PresenceField,
    ReasonInputSerializer,
    RoleApi,
    error_responses,
)
from .filters import EntryFilter

TAGS = ["watchlists"]
READERS = (AO, MANAGER, COMPLIANCE)


def _bounded_image(image):
    # Refused before Pillow reads it; the service checks the content (services/uploads.py).
    limit = settings.LFR_UPLOAD_MAX_BYTES
    if image.size > limit:
        raise serializers.ValidationError(f"The image is larger than {limit // (1024 * 1024)} MB.")
    return image


class EnrolmentProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Enrolled plus rejected.")
    pending = serializers.IntegerField()
    enrolled = serializers.IntegerField()
    rejected = serializers.IntegerField()


class WatchlistDetailApi(RoleApi):
    allowed_roles = READERS

    class OutputSerializer(ApiSerializer):
        public_id = serializers.UUIDField()
        deployment = serializers.UUIDField(source="deployment.public_id")
        deployment_title = serializers.CharField(source="deployment.title")
        status = EnumField(WatchlistStatus)
        created_by = serializers.CharField(source="created_by.username")
        approved_by = serializers.CharField(source="approved_by.username", allow_null=True)
        approved_at = serializers.DateTimeField(allow_null=True)
        finalised_by = serializers.CharField(source="finalised_by.username", allow_null=True)
        finalised_at = serializers.DateTimeField(allow_null=True)
        still_wanted_as_of = serializers.DateTimeField(allow_null=True)
        still_wanted_confirmed_by = serializers.CharField(
            source="still_wanted_confirmed_by.username", allow_null=True
        )
        destroyed_at = serializers.DateTimeField(allow_null=True)
        enrolment = EnrolmentProgressSerializer(
            help_text="How many entries' reference images have been checked and enrolled."
        )

    @extend_schema(tags=TAGS, responses={200: OutputSerializer, **error_responses(*READ_ERRORS)})
    def get(self, request, public_id):
        return Response(watchlist_detail(request, public_id))


def watchlist_detail(request, public_id):
    watchlist = (
        watchlists_visible_to(request.user).select_related("finalised_by").get(public_id=public_id)
    )
    watchlist.enrolment = enrolment_progress(watchlist)
    return WatchlistDetailApi.OutputSerializer(watchlist, context={"request": request}).data


RESPONSES = ", ".join(EntryResponse.values)


class EntryFlagSerializer(ApiSerializer):
    code = serializers.CharField()
    message = serializers.CharField()


class EntryOutputSerializer(BiometricOutputMixin, ApiSerializer):
    """One watchlist entry: never its image or embedding, and `has_image` only for some roles."""

    biometric_fields = ("has_image",)

    public_id = serializers.UUIDField()
    watchlist = serializers.UUIDField(source="watchlist.public_id")
    status = EnumField(EntryStatus)
    display_name = serializers.CharField()
    category = EnumField(EntryCategory)
    reason = serializers.CharField()
    legal_basis = serializers.CharField()
    offence_max_sentence_years = serializers.IntegerField(allow_null=True)
    reference_number = serializers.CharField()
    image_source = serializers.CharField()
    image_date = serializers.DateField()
    under_18 = serializers.BooleanField()
    under_18_justification = serializers.CharField()
    response = serializers.CharField(help_text=f"On finding the person: {RESPONSES}, or blank.")
    enrolment_state = EnumField(EnrolmentState)
    enrolment_message = serializers.CharField()
    added_by = serializers.CharField(source="added_by.username")
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    flags = serializers.SerializerMethodField(
        help_text="What to check: added too long ago, or an image too old."
    )
    has_image = PresenceField(
        source="reference_image",
        required=False,
        help_text="Whether a reference image is held. Left out for roles that may not see "
        "biometric data.",
    )

    class Meta:
        ref_name = "WatchlistEntry"

    @extend_schema_field(EntryFlagSerializer(many=True))
    def get_flags(self, entry):
        return EntryFlagSerializer(entry_flags(entry), many=True).data


def entry_output(request, public_id):
    entry = entries_visible_to(request.user).get(public_id=public_id)
    return EntryOutputSerializer(entry, context={"request": request}).data


def _action_schema(request=None, ok=200, output=EntryOutputSerializer):
    return extend_schema(
        tags=TAGS, request=request, responses={ok: output, **error_responses(*WRITE_ERRORS)}
    )


class WatchlistEntryListApi(ListApi):
    allowed_roles = READERS
    queryset = WatchlistEntry.objects.none()
    filterset_class = EntryFilter

    def get_queryset(self):
        return entries_visible_to(self.request.user).filter(
            watchlist__public_id=self.kwargs.get("public_id")
        )

    @extend_schema(
        tags=TAGS,
        responses={200: EntryOutputSerializer(many=True), **error_responses(400, *READ_ERRORS)},
    )
    def get(self, request, public_id):
        # Answer 404 for a watchlist the user cannot see, rather than an empty page.
        watchlists_visible_to(request.user).get(public_id=public_id)
        return self.list_response(self.get_queryset(), EntryOutputSerializer)


class WatchlistEntryAddApi(RoleApi):
    """Adds an entry awaiting a second person's approval; the reference image is optional."""

    allowed_roles = (MANAGER,)
    parser_classes = (MultiPartParser, JSONParser)

    class InputSerializer(ApiInputSerializer):
        display_name = serializers.CharField(max_length=200)
        category = EnumField(
            EntryCategory,
            error_messages={
                "invalid_choice": "'{input}' is not a watchlist category. The categories are: "
                + ", ".join(EntryCategory.values)
                + "."
            },
        )
        reason = serializers.CharField(
            max_length=TEXT_MAX, help_text="The offence, or why the person is sought."
        )
        legal_basis = serializers.CharField(max_length=300)
        offence_max_sentence_years = serializers.IntegerField(
            min_value=0,
            max_value=99,
            required=False,
            allow_null=True,
            help_text="The longest custodial sentence the offence carries, in years (life: 99). "
            "Required for 'suspect', and at least LFR_SUSPECT_OFFENCE_MIN_YEARS.",
        )
        reference_number = serializers.CharField(
            max_length=100, help_text="Custody or case reference number."
        )
        image_source = serializers.CharField(
            max_length=200, help_text="Where the lawfully held image came from."
        )
        image_date = serializers.DateField()
        under_18 = serializers.BooleanField(required=False)
        under_18_justification = serializers.CharField(
            max_length=TEXT_MAX, required=False, allow_blank=True
        )
        response = EnumField(
            EntryResponse, required=False, help_text="Left out: the category's usual response."
        )
        reference_image = serializers.ImageField(required=False)

        def validate_reference_image(self, image):
            return _bounded_image(image)

    @_action_schema(request=InputSerializer, ok=201)
    def post(self, request, public_id):
        watchlist = watchlists_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.watchlist_entry_add(
            actor=request.user, watchlist=watchlist, **serializer.validated_data
        )
        return Response(entry_output(request, entry.public_id), status=status.HTTP_201_CREATED)


class ReferenceImageInputSerializer(ApiInputSerializer):
    reference_image = serializers.ImageField()

    def validate_reference_image(self, image):
        return _bounded_image(image)


class WatchlistEntryImageSetApi(RoleApi):
    """Replaces a pending entry's reference image; the entry must then enrol again."""

    allowed_roles = (MANAGER,)
    parser_classes = (MultiPartParser,)

    class InputSerializer(ReferenceImageInputSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request, public_id):
        entry = entries_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry_photos.watchlist_entry_image_set(
            actor=request.user, entry=entry, **serializer.validated_data
        )
        return Response(entry_output(request, entry.public_id))


class WatchlistEntryApproveApi(RoleApi):
    allowed_roles = (AO, MANAGER)

    @_action_schema()
    def post(self, request, public_id):
        entry = entries_visible_to(request.user).get(public_id=public_id)
        services.watchlist_entry_approve(actor=request.user, entry=entry)
        return Response(entry_output(request, entry.public_id))


class WatchlistEntryRejectApi(RoleApi):
    allowed_roles = (AO, MANAGER)
    parser_classes = (JSONParser,)

    class InputSerializer(ReasonInputSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request, public_id):
        entry = entries_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.watchlist_entry_reject(
            actor=request.user, entry=entry, **serializer.validated_data
        )
        return Response(entry_output(request, entry.public_id))


class WatchlistEntryRemoveApi(RoleApi):
    allowed_roles = (MANAGER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ReasonInputSerializer):
        pass

    @_action_schema(request=InputSerializer)
    def post(self, request, public_id):
        entry = entries_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.watchlist_entry_remove(
            actor=request.user, entry=entry, **serializer.validated_data
        )
        return Response(entry_output(request, entry.public_id))


class EntryReferenceOutputSerializer(BiometricOutputMixin, ApiSerializer):
    """A further reference photograph of an entry: its enrolment verdict, never the image."""

    biometric_fields = ("has_image",)

    public_id = serializers.UUIDField()
    entry = serializers.UUIDField(source="entry.public_id")
    enrolment_state = EnumField(EnrolmentState)
    enrolment_message = serializers.CharField(
        help_text="Why the photograph was rejected, when it was."
    )
    added_by = serializers.CharField(source="added_by.username")
    created_at = serializers.DateTimeField()
    has_image = PresenceField(
        source="image",
        required=False,
        help_text="Whether the photograph is held. Left out for roles that may not see "
        "biometric data.",
    )

    class Meta:
        ref_name = "WatchlistEntryReference"


class WatchlistEntryReferenceListApi(ListApi):
    """An entry's further reference photographs; its own image (`has_image` on the entry)
    is its first, not listed here."""

    allowed_roles = READERS
    queryset = EntryReference.objects.none()

    def get_queryset(self):
        return (
            references_visible_to(self.request.user)
            .filter(entry__public_id=self.kwargs.get("public_id"))
            .order_by("created_at", "pk")
        )

    @extend_schema(
        tags=TAGS,
        responses={
            200: EntryReferenceOutputSerializer(many=True),
            **error_responses(400, *READ_ERRORS),
        },
    )
    def get(self, request, public_id):
        # Answer 404 for an entry the user cannot see, rather than an empty page.
        entries_visible_to(request.user).get(public_id=public_id)
        return self.list_response(self.get_queryset(), EntryReferenceOutputSerializer)


class WatchlistEntryReferenceAddApi(RoleApi):
    """Adds a further reference photograph to an entry awaiting approval; it is checked and
    enrolled on its own, and the matcher takes the best score over all the entry's photographs.
    At most LFR_MAX_REFERENCES_PER_ENTRY photographs in all, the entry's own image counted."""

    allowed_roles = (MANAGER,)
    parser_classes = (MultiPartParser,)

    class InputSerializer(ApiInputSerializer):
        image = serializers.ImageField()

        def validate_image(self, image):
            return _bounded_image(image)

    @_action_schema(request=InputSerializer, ok=201, output=EntryReferenceOutputSerializer)
    def post(self, request, public_id):
        entry = entries_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reference = entry_photos.watchlist_entry_reference_add(
            actor=request.user, entry=entry, **serializer.validated_data
        )
        output = EntryReferenceOutputSerializer(
            references_visible_to(request.user).get(pk=reference.pk),
            context={"request": request},
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class WatchlistEntryReferenceRemoveApi(RoleApi):
    """Removes one of an entry's further photographs, with its embedding, while the entry
    awaits approval. Answers with the entry."""

    allowed_roles = (MANAGER,)

    @_action_schema()
    def post(self, request, public_id):
        reference = references_visible_to(request.user).get(public_id=public_id)
        entry = entry_photos.watchlist_entry_reference_remove(
            actor=request.user, reference=reference
        )
        return Response(entry_output(request, entry.public_id))


WATCHLIST = WatchlistDetailApi.OutputSerializer


class WatchlistApproveApi(RoleApi):
    """The authorising officer authorises the watchlist for its deployment."""

    allowed_roles = (AO,)

    @_action_schema(output=WATCHLIST)
    def post(self, request, public_id):
        watchlist = watchlists_visible_to(request.user).get(public_id=public_id)
        services.watchlist_approve(actor=request.user, watchlist=watchlist)
        return Response(watchlist_detail(request, watchlist.public_id))
