"""Reads of the audit trail. Who may read it, and the filters compliance officers use."""

import django_filters
from django.db.models import Q

from ..models import AuditEvent, Role
from ..permissions import has_role

READERS = (Role.COMPLIANCE_OFFICER,)


def can_read_audit(user):
    return user.is_authenticated and (user.is_superuser or has_role(user, *READERS))


class AuditEventFilter(django_filters.FilterSet):
    occurred_from = django_filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="gte", label="From"
    )
    occurred_to = django_filters.IsoDateTimeFilter(
        field_name="occurred_at", lookup_expr="lt", label="Before"
    )
    deployment = django_filters.UUIDFilter(field_name="deployment_public_id", label="Deployment")
    actor = django_filters.CharFilter(field_name="actor_username", label="Actor")
    action = django_filters.CharFilter(method="filter_action", label="Action")

    class Meta:
        model = AuditEvent
        fields = []

    def filter_action(self, queryset, name, value):
        # "deployment." matches every deployment action; a full name matches exactly.
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(Q(action=value))


def audit_events_for(user, params):
    """The filtered trail, or an empty one for users who may not read it."""
    if not can_read_audit(user):
        return AuditEvent.objects.none(), None
    filterset = AuditEventFilter(params, queryset=AuditEvent.objects.order_by("seq"))
    return filterset.qs, filterset
