"""The deployment page's section of pinned policy versions, with what it warns of."""

from typing import Any

from django import template
from django.utils import timezone

from ..models import Deployment
from ..permissions import can_pin_policies
from ..selectors.policies import deployment_pins, newer_version_warnings, policy_versions

register = template.Library()


@register.inclusion_tag("policies/_pins.html", takes_context=True)
def policy_pins(context: dict[str, Any], deployment: Deployment) -> dict[str, Any]:
    user = context["request"].user
    can_pin = can_pin_policies(user, deployment)
    return {
        "deployment": deployment,
        "pins": deployment_pins(deployment),
        "warnings": newer_version_warnings(deployment),
        "last_day": timezone.localdate(deployment.ends_at) if deployment.ends_at else None,
        "can_pin": can_pin,
        "versions": list(policy_versions().order_by("document__title", "-number"))
        if can_pin
        else [],
        "csrf_token": context.get("csrf_token"),
    }
