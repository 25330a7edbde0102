from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from ..selectors.webhooks import can_view_webhook_failures, failing_delivery_rows


@login_required
def webhook_failures(request):
    """Deliveries to command-and-control that are failing: when, where, why; no payloads."""
    if not can_view_webhook_failures(request.user):
        raise Http404("Not found")
    return render(request, "webhooks/failures.html", {"rows": failing_delivery_rows(request.user)})
