"""Reads of the audit trail. Who may read it, the filters compliance officers use, and the
readable name of each action."""

import re
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django_filters import fields as filter_fields

from ..models import AuditCheckpoint, AuditEvent, Role
from ..permissions import has_role
from .deployments import deployments_visible_to

Reader = User | AnonymousUser

READERS = (Role.COMPLIANCE_OFFICER,)

# The one place an action code becomes words. Codes not listed here (a new action not yet
# named) are shown as they are, so nothing is hidden.
ACTION_LABELS = {
    "account.created_by_sso": "Account created at single sign-on",
    "account.updated_by_sso": "Account updated at single sign-on",
    "account.locked_out": "Account locked after failed sign-ins",
    "account.unlocked": "Account unlocked",
    "account.otp_enrolled": "One-time password set up",
    "account.otp_failed": "One-time password refused",
    "account.otp_reset": "One-time password reset",
    "account.recovery_code_used": "Recovery code used",
    "alert.raise": "Alert raised",
    "alert.adjudicate": "Alert adjudicated",
    "alert.overdue": "Alert overdue for adjudication",
    "alert.crop_stored": "Alert image stored",
    "alert.crop_store_failed": "Alert image could not be stored",
    "alert.hold_place": "Alert image held for proceedings",
    "alert.hold_release": "Hold on alert image released",
    "audit.read": "Audit trail read",
    "audit.export": "Audit trail exported",
    "audit.verify": "Audit trail verified end to end",
    "audit.deployment_report": "Deployment record (PDF) produced",
    "audit.retention": "Old audit rows removed under the retention rule",
    "calibration.record": "Calibration recorded",
    "camera.create": "Camera added",
    "camera.state": "Camera state changed",
    "deployment.create": "Deployment drafted",
    "deployment.update": "Deployment edited",
    "deployment.document_set": "Document recorded",
    "deployment.camera_add": "Camera attached",
    "deployment.camera_remove": "Camera detached",
    "deployment.operator_assign": "Operator assigned",
    "deployment.operator_remove": "Operator removed",
    "deployment.submit": "Submitted for approval",
    "deployment.approve": "Deployment approved",
    "deployment.reject": "Deployment rejected",
    "deployment.independent_approve": "Independent authorisation granted",
    "deployment.independent_reject": "Independent authorisation refused",
    # What eu_mode writes (the two above are kept for any row already written under them).
    "deployment.independent_granted": "Independent authorisation granted",
    "deployment.independent_refused": "Independent authorisation refused: all processing stopped",
    "deployment.eu_request": "Request to the authorising authority recorded",
    "deployment.eu_urgency_lapsed": "Stopped: no authorisation by the end of the urgency window",
    "deployment.authority_notice": "Notice to a market-surveillance or data-protection authority",
    "alert.verify": "Alert verified by a second person",
    "deployment.start": "Deployment went live",
    "deployment.stop": "Deployment stopped",
    "deployment.suspend": "Deployment suspended",
    "deployment.resume": "Deployment resumed",
    "deployment.complete": "Deployment completed",
    "deployment.cancel": "Deployment cancelled",
    "leaflet.record": "Leaflets recorded",
    "retention.delete": "Deleted under the retention rules",
    "retention.orphan_files_removed": "Leftover files removed",
    "signage.record": "Sign recorded",
    "signage.remove": "Sign removed",
    "signage.photo_publish": "Sign photo published",
    "signage.photo_withdraw": "Sign photo withdrawn",
    "watchlist.entry_add": "Watchlist entry added",
    "watchlist.entry_image_set": "Watchlist entry photo replaced",
    "watchlist.entry_enrol": "Watchlist entry enrolled",
    "watchlist.entry_reference_add": "Watchlist entry photo added",
    "watchlist.entry_reference_remove": "Watchlist entry photo removed",
    "watchlist.entry_reference_enrol": "Watchlist entry photo enrolled",
    "watchlist.entry_approve": "Watchlist entry approved",
    "watchlist.entry_reject": "Watchlist entry rejected",
    "watchlist.entry_remove": "Watchlist entry removed",
    "watchlist.enrol": "Watchlist enrolment started",
    "watchlist.copy_entries": "Entries copied from another watchlist",
    "watchlist.approve": "Watchlist authorised",
    "watchlist.finalise": "Watchlist finalised",
    "alert.send_for_engagement": "Alert sent for engagement",
    "alert.hold_extend": "Hold on alert image extended",
    "alert.hold_remind": "Holder reminded of a hold's review date",
    "alert.evidence_bundle_export": "Evidence bundle exported",
    "engagement.acknowledge": "Engagement taken by a field officer",
    "engagement.result": "Engagement result recorded",
    "engagement.outcome": "Engagement outcome recorded",
    "engagement.later_outcome": "Later outcome recorded",
    "deployment.field_officer_assign": "Field officer assigned",
    "deployment.field_officer_remove": "Field officer removed",
    "notification.read": "Notification read",
    "webhook.give_up": "Event delivery given up",
    "webhook.subscription_create": "Webhook subscription created",
    "webhook.subscription_update": "Webhook subscription changed",
    "webhook.subscription_delete": "Webhook subscription deleted",
    "review.open": "Post-deployment review opened",
    "review.sign_off": "Post-deployment review signed off",
    "complaint.record": "Complaint recorded",
    "complaint.outcome": "Complaint outcome recorded",
    "policy.document_create": "Policy document added to the library",
    "policy.version_upload": "Policy version uploaded",
    "policy.version_publishable": "Policy version marked publishable",
    "policy.version_unpublishable": "Policy version withdrawn from publication",
    "deployment.policy_pin": "Policy version pinned to a deployment",
    "deployment.policy_unpin": "Policy version unpinned from a deployment",
    "subject_access.lookup": "Subject access lookup",
    "report.annual": "Annual report produced",
    "report.oversight_pack": "Quarterly oversight pack produced",
}
GROUP_LABELS = {
    "account": "Accounts",
    "alert": "Alerts",
    "audit": "The audit trail",
    "calibration": "Calibration",
    "camera": "Cameras",
    "deployment": "Deployments",
    "engagement": "Engagements",
    "leaflet": "Leaflets",
    "notification": "Notifications",
    "retention": "Retention",
    "signage": "Signage",
    "watchlist": "Watchlists",
    "webhook": "Events sent to other systems",
    "review": "Post-deployment reviews",
    "complaint": "Complaints",
    "policy": "The policy library",
    "subject_access": "Subject access",
    "report": "Annual reports and oversight packs",
}
# Any well-formed code is accepted as a filter, so actions added later still filter.
ACTION_CODE = re.compile(r"^[a-z_]+\.(?:[a-z_.]+)?$")


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def role_names(recorded: str) -> str:
    """The roles a row records ("operator,field_officer") as people say them."""
    labels = dict(Role.choices)
    return ", ".join(labels.get(code, code) for code in recorded.split(",") if code)


def action_choices() -> list[Any]:
    """Grouped choices: each group's "all" prefix first, then its actions by label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in ACTION_LABELS.items():
        groups.setdefault(code.split(".", 1)[0], []).append((code, label))
    choices: list[Any] = [("", "Any action")]
    for prefix in sorted(groups, key=lambda p: GROUP_LABELS.get(p, p)):
        name = GROUP_LABELS.get(prefix, prefix)
        options = [(f"{prefix}.", f"All: {name.lower()}")]
        options += sorted(groups[prefix], key=lambda option: option[1])
        choices.append((name, options))
    return choices


class ActionField(filter_fields.ChoiceField):
    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or bool(ACTION_CODE.match(value))


class ActionFilter(django_filters.ChoiceFilter):
    field_class = ActionField


def can_read_audit(user: Reader) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, *READERS))


class AuditEventFilter(django_filters.FilterSet):
    occurred_from = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__gte",
        label="From (date)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    occurred_to = django_filters.DateFilter(
        field_name="occurred_at",
        lookup_expr="date__lte",
        label="To (date, inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    deployment = django_filters.ChoiceFilter(
        field_name="deployment_public_id", label="Deployment", empty_label="Any deployment"
    )
    action = ActionFilter(method="filter_action", label="Action", empty_label=None)
    actor = django_filters.CharFilter(field_name="actor_username", label="Who (user name)")
    object = django_filters.UUIDFilter(
        field_name="object_public_id", label="Object", widget=forms.HiddenInput
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def __init__(
        self, data: Any = None, *args: Any, user: Reader | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, *args, **kwargs)
        self.filters["action"].extra["choices"] = action_choices()
        self.filters["deployment"].extra["choices"] = deployment_choices(user)

    def filter_action(
        self, queryset: QuerySet[AuditEvent], name: str, value: str
    ) -> QuerySet[AuditEvent]:
        # "deployment." matches every deployment action; a full name matches exactly.
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(Q(action=value))


def deployment_choices(user: Reader | None) -> list[tuple[str, str]]:
    """Deployments the user may see, newest first, as filter choices."""
    if user is None:
        return []
    rows = (
        deployments_visible_to(user)
        .select_related(None)
        .order_by("-starts_at", "-created_at")
        .values_list("public_id", "title", "starts_at")
    )
    return [
        (str(public_id), f"{title} ({starts:%d %b %Y})" if starts else title)
        for public_id, title, starts in rows
    ]


def audit_events_for(
    user: Reader, params: Any
) -> tuple[QuerySet[AuditEvent], AuditEventFilter | None]:
    """The filtered trail, newest first, or an empty one for users who may not read it."""
    if not can_read_audit(user):
        return AuditEvent.objects.none(), None
    filterset = AuditEventFilter(params, queryset=AuditEvent.objects.order_by("-seq"), user=user)
    return filterset.qs, filterset


def object_repr_of(object_public_id: str) -> str | None:
    """How the newest row about an object names it: it outlives the object itself."""
    return (
        AuditEvent.objects.filter(object_public_id=object_public_id)
        .order_by("-seq")
        .values_list("object_repr", flat=True)
        .first()
    )


def latest_checkpoint() -> AuditCheckpoint | None:
    return AuditCheckpoint.objects.order_by("-seq", "-id").first()
