"""Single sign-on with the force's identity provider (OpenID Connect, mozilla-django-oidc).

Off unless LFR_OIDC_ENABLED. The provider's groups claim decides the portal roles
through LFR_OIDC_ROLE_MAP; someone in none of the mapped groups is not signed in.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import Role
from .services.accounts import account_sync_from_provider


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, str):
        # Some providers send one space- or comma-separated string instead of a list.
        return [part for part in value.replace(",", " ").split() if part]
    return [str(item) for item in value]


def roles_from_claims(claims, *, role_map=None, groups_claim=None):
    """The portal roles the provider's groups claim grants, ignoring unmapped groups."""
    role_map = settings.LFR_OIDC_ROLE_MAP if role_map is None else role_map
    groups_claim = groups_claim or settings.LFR_OIDC_GROUPS_CLAIM
    roles = set()
    for group in _as_list(claims.get(groups_claim)):
        for role in _as_list(role_map.get(group)):
            if role in Role.values:
                roles.add(role)
    return roles


def check_role_map(role_map):
    unknown = sorted({r for roles in role_map.values() for r in _as_list(roles)} - set(Role.values))
    if unknown:
        raise ImproperlyConfigured(
            f"LFR_OIDC_ROLE_MAP names roles the portal does not have: {', '.join(unknown)}. "
            f"Roles are: {', '.join(Role.values)}."
        )


class PortalOIDCBackend(OIDCAuthenticationBackend):
    """Matches the provider's username claim to an account and keeps its roles in step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        check_role_map(settings.LFR_OIDC_ROLE_MAP)

    @staticmethod
    def _username(claims):
        return (claims.get(settings.LFR_OIDC_USERNAME_CLAIM) or "").strip()

    def verify_claims(self, claims):
        return bool(self._username(claims)) and bool(roles_from_claims(claims))

    def filter_users_by_claims(self, claims):
        username = self._username(claims)
        if not username:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(username=username)

    def create_user(self, claims):
        return self._sync(claims)

    def update_user(self, user, claims):
        return self._sync(claims)

    def _sync(self, claims):
        return account_sync_from_provider(
            username=self._username(claims),
            roles=roles_from_claims(claims),
            email=claims.get("email") or "",
            first_name=claims.get("given_name") or "",
            last_name=claims.get("family_name") or "",
            rank=claims.get(settings.LFR_OIDC_RANK_CLAIM) or "",
        )
