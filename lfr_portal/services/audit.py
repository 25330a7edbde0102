"""Writing the audit trail. Every service calls `audit_record` inside its own transaction."""

from django.db import transaction
from django.utils import timezone

from ..middleware import current_client_address
from ..models import AuditEvent


def _deployment_public_id(obj, deployment):
    if deployment is not None:
        return str(deployment.public_id)
    from ..models import Deployment

    if isinstance(obj, Deployment):
        return str(obj.public_id)
    for attr in ("deployment", "watchlist"):
        related = getattr(obj, attr, None)
        if related is None:
            continue
        if isinstance(related, Deployment):
            return str(related.public_id)
        inner = getattr(related, "deployment", None)
        if inner is not None:
            return str(inner.public_id)
    return ""


def audit_record(*, actor, action, obj=None, reason="", changes=None, deployment=None):
    """Append one row to the audit trail. Must run inside the caller's transaction."""
    from ..permissions import role_label

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the service's transaction")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        occurred_at=timezone.now(),
        actor=user,
        actor_username=user.get_username() if user else "system",
        actor_role=role_label(user) if user else "system",
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_public_id=str(getattr(obj, "public_id", "") or getattr(obj, "pk", "") or "")
        if obj is not None
        else "",
        object_repr=str(obj)[:300] if obj is not None else "",
        deployment_public_id=_deployment_public_id(obj, deployment),
        client_address=current_client_address(),
        reason=reason or "",
        changes=changes or {},
    )
