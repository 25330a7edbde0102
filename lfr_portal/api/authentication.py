"""API authentication: tokens are for service accounts, not for roles that need a second factor."""

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from ..selectors.accounts import second_factor_required


class ServiceTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing the tokens of users whose role needs a one-time
    password: a token would let them skip it. They use the API from a verified session."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if second_factor_required(user):
            raise AuthenticationFailed(
                "Your role needs a one-time password, so API tokens are refused for this "
                "account; tokens are for service accounts."
            )
        return user, token
