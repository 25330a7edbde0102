"""The token endpoint: API tokens for service accounts only.

Kept apart from authentication.py, which DRF imports while it loads its settings.
"""

from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..selectors.accounts import second_factor_required
from .common import DepthLimitedJSONParser


class ServiceTokenObtainApi(ObtainAuthToken):
    """Issues a service account's API token for its user name and password.

    Accounts whose role needs a one-time password are refused here, at issue: the token
    would be refused on every request anyway, and issuing it would suggest otherwise.
    """

    parser_classes = (FormParser, MultiPartParser, DepthLimitedJSONParser)

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if second_factor_required(user):
            raise PermissionDenied(
                "Your role needs a one-time password, so no API token is issued to this "
                "account; use the API from a verified session. Tokens are for service accounts."
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
