"""Roles, object permissions and the DRF permission classes built on them."""

from django.conf import settings
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.permissions import BasePermission

from .models import Role

OPERATE_DEPLOYMENT = "lfr_portal.operate_deployment"


def user_roles(user):
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_lfr_roles", None)
    if cached is None:
        valid = set(Role.values)
        cached = {name for name in user.groups.values_list("name", flat=True) if name in valid}
        user._lfr_roles = cached
    return cached


def has_role(user, *roles):
    return bool(user_roles(user) & set(roles))


def role_label(user):
    """The user's roles as the audit trail records them."""
    return ",".join(sorted(user_roles(user)))


def rank_at_least(user, minimum):
    ranks = settings.LFR_RANKS
    officer = getattr(user, "officer", None)
    if officer is None or officer.rank not in ranks or minimum not in ranks:
        return False
    return ranks.index(officer.rank) >= ranks.index(minimum)


def is_authorising_officer(user):
    """Holds the role and the minimum rank the force has set for it."""
    return has_role(user, Role.AUTHORISING_OFFICER) and rank_at_least(
        user, settings.LFR_AO_MIN_RANK
    )


def can_operate(user, deployment):
    return has_role(user, Role.OPERATOR) and user.has_perm(OPERATE_DEPLOYMENT, deployment)


def grant_operator(user, deployment):
    assign_perm(OPERATE_DEPLOYMENT, user, deployment)


def revoke_operator(user, deployment):
    remove_perm(OPERATE_DEPLOYMENT, user, deployment)


def can_publish_signage_photos(user):
    """Authorising and compliance officers decide which signage photos the public sees."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_see_biometrics(user):
    """Compliance officers read everything except biometric images."""
    return has_role(user, Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER, Role.OPERATOR)


class HasAnyRole(BasePermission):
    """Allow users who hold at least one of the view's `allowed_roles`."""

    message = "Your role does not allow this."

    def has_permission(self, request, view):
        allowed = getattr(view, "allowed_roles", ())
        return has_role(request.user, *allowed)
