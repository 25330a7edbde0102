from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from ..models import Deployment, Role
from ..permissions import can_manage_holds, has_role
from ..selectors.alerts import alerts_visible_to
from ..selectors.deployments import deployments_visible_to
from ..selectors.retention import recent_deletion_records, retention_state
from ..services.retention import rule_statements


@login_required
def retention_rules(request):
    if not has_role(request.user, Role.COMPLIANCE_OFFICER, Role.AUTHORISING_OFFICER):
        raise Http404("Not found")
    return render(
        request,
        "retention/rules.html",
        {
            "rules": rule_statements(),
            "records": recent_deletion_records(),
        },
    )


@login_required
def deployment_retention(request, public_id):
    try:
        deployment = deployments_visible_to(request.user).get(public_id=public_id)
    except Deployment.DoesNotExist:
        raise Http404("Not found") from None
    return render(
        request,
        "retention/deployment.html",
        {
            "deployment": deployment,
            "state": retention_state(deployment),
            "records": deployment.deletion_records.all(),
            "references_kept": deployment.watchlist_references.count(),
            # Each alert's evidence page: holds, "Place hold" and the evidence bundle.
            "alerts": (
                alerts_visible_to(request.user).filter(deployment=deployment)[:500]
                if can_manage_holds(request.user)
                else []
            ),
        },
    )
