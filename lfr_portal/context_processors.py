from django.conf import settings

from .models import Role
from .permissions import user_roles
from .selectors.audit import can_read_audit


def portal(request):
    roles = []
    role_names = []
    audit_reader = False
    if request.user.is_authenticated:
        roles = sorted(user_roles(request.user))
        # Headers show the roles as people say them, not the codes the groups are named by.
        role_names = [Role(code).label for code in roles]
        audit_reader = can_read_audit(request.user)
    return {
        "user_roles": roles,
        "user_role_names": role_names,
        "can_read_audit": audit_reader,
        "eu_mode": settings.LFR_EU_AI_ACT_MODE,
        "map_tile_url": settings.LFR_MAP_TILE_URL,
        "map_tile_attribution": settings.LFR_MAP_TILE_ATTRIBUTION,
    }
