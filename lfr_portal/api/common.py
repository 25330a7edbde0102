"""What every API view shares: the role gate, strict input, enums, biometric redaction, lists."""

import io
import re
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from ..models import Role
from ..permissions import HasAnyRole, can_see_biometrics

AO = Role.AUTHORISING_OFFICER
PLANNER = Role.DEPLOYMENT_PLANNER
MANAGER = Role.WATCHLIST_MANAGER
OPERATOR = Role.OPERATOR
FIELD_OFFICER = Role.FIELD_OFFICER
COMPLIANCE = Role.COMPLIANCE_OFFICER
ALL_ROLES = tuple(Role)

# PostgreSQL's integer column; larger values would fail in the database, not in validation.
DB_INT_MAX = 2_147_483_647
# A bound on free text so one request cannot store megabytes in a reason field.
TEXT_MAX = 20_000


# No body this API takes is nested more than a few levels; a deeper one is an attack on
# the parser (Python's json recursion limit gives a 500, and deep structures cost time).
JSON_MAX_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in this JSON text, counted without parsing it."""
    depth = deepest = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def refuse_deep_json(raw: bytes | str) -> None:
    """ParseError (a 400) when a JSON body nests deeper than JSON_MAX_DEPTH."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if json_nesting_depth(text) > JSON_MAX_DEPTH:
        raise ParseError(
            f"The JSON body is nested more than {JSON_MAX_DEPTH} levels deep; "
            "no field of this API needs that."
        )


class DepthLimitedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested deeper than JSON_MAX_DEPTH."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        refuse_deep_json(raw)
        return super().parse(io.BytesIO(raw), media_type, parser_context)


# Base classes carry comments, not docstrings: drf-spectacular would publish an
# inherited docstring as the description of every operation and component.


class ApiSerializer(serializers.Serializer):
    # Names each nested serializer's schema component after its view: every view nests
    # an InputSerializer and an OutputSerializer, which would otherwise collide.

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        parts = cls.__qualname__.split(".")
        if len(parts) > 1:
            name = "".join(p.removesuffix("Api").removesuffix("Serializer") for p in parts)
            cls.Meta = type("Meta", (getattr(cls, "Meta", object),), {"ref_name": name})


class ApiInputSerializer(ApiSerializer):
    # Refuses keys it does not know, so a misspelt or forbidden field is never dropped silently.

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: ["This field is not accepted here."] for key in unknown}
                )
            # PostgreSQL text cannot hold NUL. DRF's CharField refuses it, but lookups
            # (usernames, slugs) would reach the database with it and fail there.
            with_nul = sorted(str(key) for key, value in data.items() if _holds_nul(value))
            if with_nul:
                raise serializers.ValidationError(
                    {key: ["Null characters are not allowed."] for key in with_nul}
                )
        return super().to_internal_value(data)


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_nul(v) for v in value)
    return False


class ReasonInputSerializer(ApiInputSerializer):
    """The body of an action that must say why: rejections, cancellations, removals."""

    reason = serializers.CharField(max_length=TEXT_MAX)


class BiometricOutputMixin:
    # Leaves out the biometric fields for anyone who may not see biometric data.
    # Deny by default: without a request in the context nothing biometric is shown.

    biometric_fields: tuple[str, ...] = ()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_see_biometrics(request.user):
            for name in self.biometric_fields:
                data.pop(name, None)
        return data


class EnumField(serializers.ChoiceField):
    """A choice field whose schema is one named component per TextChoices class."""

    def __init__(self, enum, **kwargs):
        self.enum = enum
        super().__init__(choices=enum.choices, **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    # One component per enum keeps drf-spectacular's enum naming from colliding
    # on the many fields called "status" with different value sets.
    target_class = EnumField
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        enum = self.target.enum
        component = ResolvedComponent(
            name=enum.__name__,
            type=ResolvedComponent.SCHEMA,
            object=enum,
            schema={
                "type": "string",
                "enum": list(enum.values),
                "description": "\n".join(f"* `{v}` - {label}" for v, label in enum.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class PresenceField(serializers.BooleanField):
    """Whether a file is held, never its name or path."""

    def to_representation(self, value):
        return bool(value)


class PublicIdField(serializers.UUIDField):
    """An object named in the body by its public UUID, looked up in the given queryset."""

    default_error_messages = {"does_not_exist": "Nothing with this identifier exists."}

    def __init__(self, queryset, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        public_id = super().to_internal_value(data)
        try:
            return self.queryset.get(public_id=public_id)
        except ObjectDoesNotExist:
            self.fail("does_not_exist")


class ErrorOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
    rule = serializers.CharField(required=False, help_text="The governance rule refused.")
    field = serializers.CharField(required=False, help_text="The input field at fault.")


def error_responses(*codes):
    """The documented refusals of an operation, besides its success answer."""
    described = {
        400: OpenApiResponse(
            description="Bad input: {field: [messages]} from validation, or "
            "{detail, rule, field} when a governance rule refuses it."
        ),
        401: OpenApiResponse(ErrorOutputSerializer, description="Not signed in."),
        403: OpenApiResponse(
            ErrorOutputSerializer, description="The role, or a rule such as four eyes, refuses."
        ),
        404: OpenApiResponse(ErrorOutputSerializer, description="Not found, or not visible."),
        409: OpenApiResponse(
            ErrorOutputSerializer, description="The object's state does not allow this now."
        ),
    }
    return {code: described[code] for code in codes}


READ_ERRORS = (401, 403, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409)


class RoleApi(APIView):
    # Open to the roles in `allowed_roles`; the services make the finer decisions.

    permission_classes = (HasAnyRole,)
    allowed_roles: tuple[str, ...] = ()

    def check_permissions(self, request):
        # A hostile body is refused before any other work, whatever the caller's role;
        # anonymous callers get the usual 401 from the role check and nothing is read.
        if request.user.is_authenticated and request.content_type.startswith("application/json"):
            refuse_deep_json(request._request.body)
        super().check_permissions(request)


class ListApi(RoleApi):
    # A paginated, filtered list. A subclass's `queryset` only tells the schema
    # generator the model (for filter types); its rows come through a selector.

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS
    filter_backends = (DjangoFilterBackend,)
    filterset_class = None

    def get_queryset(self):
        raise NotImplementedError

    def list_response(self, queryset, serializer_class):
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request}).data
        return paginator.get_paginated_response(data)


@extend_schema(exclude=True)
class NotFoundApi(APIView):
    """Answers any unknown /api/ path, a malformed UUID included, with a JSON 404."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    def initial(self, request, *args, **kwargs):
        raise NotFound()
