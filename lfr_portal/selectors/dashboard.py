"""What each role needs to act on now."""

from datetime import timedelta

from django.utils import timezone

from ..models import Adjudication, DeploymentDocument, EntryStatus, Role
from ..permissions import has_role, is_authorising_officer
from .alerts import alerts_visible_to, crops_waiting_for
from .deployments import deployments_visible_to
from .watchlists import entries_visible_to


def dashboard_for(user):
    deployments = deployments_visible_to(user)
    from .accuracy import overdue_alerts_for, suspended_deployments_for

    sections = {}
    if has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR):
        sections["suspended"] = suspended_deployments_for(user)
    if has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR, Role.COMPLIANCE_OFFICER):
        sections["crops_waiting"] = crops_waiting_for(user)
    if has_role(user, Role.OPERATOR):
        sections["overdue"] = overdue_alerts_for(user).select_related("deployment")[:20]
    if is_authorising_officer(user):
        sections["awaiting_approval"] = deployments.filter(status="submitted").exclude(
            created_by=user
        )
    sections["live"] = deployments.filter(status="live")
    if has_role(user, Role.OPERATOR):
        sections["ready"] = deployments.filter(status="approved")
    if has_role(user, Role.FIELD_OFFICER):
        sections["evidence_needed"] = deployments.filter(
            status__in=["submitted", "approved", "live"]
        ).order_by("starts_at")[:20]
    if has_role(user, Role.OPERATOR, Role.AUTHORISING_OFFICER):
        sections["alerts_pending"] = (
            alerts_visible_to(user)
            .filter(adjudication=Adjudication.PENDING)
            .order_by("captured_at")[:20]
        )
    if has_role(user, Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER):
        sections["entries_awaiting_second"] = (
            entries_visible_to(user).filter(status=EntryStatus.PENDING).exclude(added_by=user)[:20]
        )
    if has_role(user, Role.DEPLOYMENT_PLANNER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        soon = timezone.localdate() + timedelta(days=30)
        sections["documents_expiring"] = (
            DeploymentDocument.objects.filter(
                deployment__in=deployments.filter(status__in=["draft", "submitted", "approved"]),
                review_by__lte=soon,
            )
            .select_related("deployment")
            .order_by("review_by")[:20]
        )
    return sections
