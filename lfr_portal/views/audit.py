"""The compliance officer's audit tools: browse, export, the deployment report, the key."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from ..models import Deployment
from ..selectors.audit import (
    action_label,
    audit_events_for,
    can_read_audit,
    latest_checkpoint,
    object_repr_of,
    role_names,
)
from ..selectors.deployments import deployments_visible_to
from ..services.audit import audit_read_record, public_key_pem
from ..services.audit_export import AuditExport
from ..services.reports import deployment_report_export

PAGE_SIZE = 50


def _require_reader(request):
    if not request.user.is_authenticated:
        raise PermissionDenied
    if not can_read_audit(request.user):
        raise Http404("Not found")


def audit_list(request):
    _require_reader(request)
    events, filterset = audit_events_for(request.user, request.GET)
    valid = filterset.is_valid()
    if not valid:
        # Unreadable filters show what to correct and no rows, never a guess at the rest.
        events = events.none()
    page = Paginator(events.select_related(None), PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in filterset.form.cleaned_data.items() if v} if valid else {}
    audit_read_record(
        actor=request.user,
        changes={"filters": {k: str(v) for k, v in filters.items()}, "page": page.number},
    )
    rows = list(page)
    for event in rows:
        event.action_label = action_label(event.action)
        event.actor_role_label = role_names(event.actor_role)
    query = request.GET.copy()
    query.pop("page", None)
    object_filter = filters.get("object")
    object_repr = object_repr_of(str(object_filter)) if object_filter else None
    return render(
        request,
        "audit/list.html",
        {
            "filterset": filterset,
            "filters_valid": valid,
            "page": page,
            "rows": rows,
            "total": page.paginator.count,
            "query": query.urlencode(),
            "object_filter": object_filter,
            "object_repr": object_repr or object_filter,
            "latest_checkpoint": latest_checkpoint(),
        },
        status=200 if valid else 400,
    )


def audit_export(request, fmt):
    _require_reader(request)
    events, filterset = audit_events_for(request.user, request.GET)
    if not filterset.is_valid():
        return HttpResponse("The filters are not valid: " + filterset.errors.as_text(), status=400)
    export = AuditExport(actor=request.user, queryset=events, filters=filterset.form.cleaned_data)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "json":
        response = StreamingHttpResponse(export.iter_json(), content_type="application/json")
    else:
        response = StreamingHttpResponse(export.iter_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="lfr-audit-{stamp}.{fmt}"'
    response["X-Export-Rows"] = str(export.count())
    return response


def audit_public_key(request):
    """The public half of the signing key: anyone verifying an export needs it."""
    return HttpResponse(public_key_pem(), content_type="application/x-pem-file")


def deployment_report(request, public_id):
    _require_reader(request)
    try:
        deployment = deployments_visible_to(request.user).get(public_id=public_id)
    except Deployment.DoesNotExist:
        # Not there and not visible read the same; any other failure is a server error.
        raise Http404("Not found") from None
    pdf = deployment_report_export(actor=request.user, deployment=deployment)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="deployment-{deployment.public_id}.pdf"'
    )
    return response
