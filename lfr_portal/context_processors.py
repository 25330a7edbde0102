from django.conf import settings


def portal(request):
    roles = []
    if request.user.is_authenticated:
        from .permissions import user_roles

        roles = sorted(user_roles(request.user))
    return {
        "user_roles": roles,
        "eu_mode": settings.LFR_EU_AI_ACT_MODE,
    }
