"""Actions on a whole watchlist: finalising it, enrolling what waits, copying entries in."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from ..datetime_inputs import storable_datetime
from ..selectors.watchlists import watchlists_visible_to
from ..services import entry_photos
from ..services import watchlists as services
from .common import (
    MANAGER,
    WRITE_ERRORS,
    ApiInputSerializer,
    ApiSerializer,
    RoleApi,
    error_responses,
)
from .watchlists import TAGS, WATCHLIST, watchlist_detail

CONFIRMATION = (
    "I confirm every entry is still wanted, still missing or still a risk as of still_wanted_as_of."
)


def _action_schema(request=None, output=WATCHLIST):
    return extend_schema(
        tags=TAGS, request=request, responses={200: output, **error_responses(*WRITE_ERRORS)}
    )


class WatchlistFinaliseApi(RoleApi):
    """Freezes the authorised list. Accepted only within LFR_WATCHLIST_FINALISE_MAX_AGE
    (24 hours by default) before the deployment's window starts, so it is valid at the start.
    The caller confirms every entry is still sought as of `still_wanted_as_of`, which lies
    within the same period before now and not in the future."""

    allowed_roles = (MANAGER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        still_wanted_as_of = serializers.DateTimeField(
            help_text="When every entry was last checked as still wanted, missing or a risk."
        )
        confirm = serializers.BooleanField(help_text=f"Must be true: “{CONFIRMATION}”")

        def validate_still_wanted_as_of(self, value):
            try:
                return storable_datetime(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.messages) from None

        def validate_confirm(self, value):
            if value is not True:
                raise serializers.ValidationError(
                    "Finalising needs your confirmation that every entry is still wanted, "
                    "missing or a risk: send true."
                )
            return value

    @_action_schema(request=InputSerializer, output=WATCHLIST)
    def post(self, request, public_id):
        watchlist = watchlists_visible_to(request.user).get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.watchlist_finalise(
            actor=request.user,
            watchlist=watchlist,
            still_wanted_as_of=serializer.validated_data["still_wanted_as_of"],
        )
        return Response(watchlist_detail(request, watchlist.public_id))


class WatchlistEnrolPendingApi(RoleApi):
    """Asks the recognition workers to enrol every entry still waiting for its embedding."""

    allowed_roles = (MANAGER,)

    class OutputSerializer(ApiSerializer):
        queued = serializers.IntegerField(help_text="Entries sent for enrolment.")

    @_action_schema(output=OutputSerializer)
    def post(self, request, public_id):
        watchlist = watchlists_visible_to(request.user).get(public_id=public_id)
        queued = entry_photos.watchlist_enrol_pending(actor=request.user, watchlist=watchlist)
        return Response(self.OutputSerializer({"queued": queued}).data)


class WatchlistCopyEntriesApi(RoleApi):
    """Copies another watchlist's approved entries here; each needs approval again."""

    allowed_roles = (MANAGER,)
    parser_classes = (JSONParser,)

    class InputSerializer(ApiInputSerializer):
        source = serializers.UUIDField(help_text="The public_id of the watchlist to copy from.")

    class OutputSerializer(ApiSerializer):
        copied = serializers.IntegerField()

    @_action_schema(request=InputSerializer, output=OutputSerializer)
    def post(self, request, public_id):
        visible = watchlists_visible_to(request.user)
        target = visible.get(public_id=public_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        source = visible.filter(public_id=serializer.validated_data["source"]).first()
        if source is None:
            raise serializers.ValidationError({"source": ["No such watchlist exists."]})
        copies = services.watchlist_copy_entries(actor=request.user, source=source, target=target)
        return Response(self.OutputSerializer({"copied": len(copies)}).data)
