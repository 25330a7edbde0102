"""The deployment page's EU AI Act section: the authority's decision, the urgency
deadline and the notices to the authorities, with the page that records them."""

from typing import Any

from django import template
from django.conf import settings

from ..models import Deployment
from ..selectors.eu_mode import authority_notifications_of, eu_state

register = template.Library()


@register.inclusion_tag("eu/_summary.html")
def eu_summary(deployment: Deployment) -> dict[str, Any]:
    if not settings.LFR_EU_AI_ACT_MODE:
        return {"shown": False}
    return {
        "shown": True,
        "deployment": deployment,
        "state": eu_state(deployment),
        "notices": list(authority_notifications_of(deployment)),
    }
