"""What each role needs to act on now.

Every section is a list evaluated here, with its related rows joined or counted in the
same query, so the dashboard costs a fixed number of queries however much is pending.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from ..models import (
    Adjudication,
    AlertHold,
    AuditCheckpoint,
    AuditEvent,
    Deployment,
    DeploymentDocument,
    DeploymentStatus,
    EntryStatus,
    PendingFileDeletion,
    Role,
    Watchlist,
    WatchlistEntry,
    WatchlistStatus,
)
from ..permissions import has_role, is_authorising_officer
from .accuracy import overdue_alerts_for, suspended_deployments_for
from .alerts import alerts_visible_to, crops_waiting_for
from .deployments import deployments_visible_to
from .notifications import unread_notifications
from .reviews import reviews_overdue_for
from .watchlists import entries_visible_to, watchlists_visible_to
from .webhooks import webhook_failures_for

S = DeploymentStatus
# States in which a watchlist is still being prepared for a window to come.
PREPARING = (S.DRAFT, S.SUBMITTED, S.APPROVED)
# The planner's own deployments, in the order the dashboard shows them.
PLANNER_STATES = (S.DRAFT, S.REJECTED, S.SUBMITTED, S.APPROVED, S.LIVE, S.SUSPENDED)
# A pending file deletion older than this means a retention run did not finish its work.
RETENTION_STUCK_AFTER = timedelta(hours=2)
LIMIT = 20
# Whoever the dashboard is for: pages that show it require a signed-in user.
Viewer = User


@dataclass
class WatchlistTask:
    watchlist: Watchlist
    approved: int
    pending: int
    finalise_from: datetime | None
    finalise_by: datetime | None

    @property
    def deployment(self) -> Deployment:
        return self.watchlist.deployment


# The label of a check that verification names when it fails, for the dashboard.
CHECK_LABELS = {
    "rows_present": "rows missing from the trail",
    "row_content": "a row's content changed after it was written",
    "chain_links": "rows out of order or not chained to the row before",
    "earlier_head": "the log no longer extends a kept tree head",
    "tree_head_signature": "a signed tree head's signature",
    "tree_head_size": "rows removed from the end",
    "tree_head_root": "rows rewritten, reordered or removed under a signed tree head",
}


@dataclass
class ChainStatus:
    """What is known of the audit chain's last check, for the compliance dashboard.

    Reads the newest signed checkpoint and the newest recorded verification
    (`audit.verify`): the log's own internals stay with the audit module.
    """

    head_seq: int | None
    checkpoint_seq: int | None
    checkpoint_at: datetime | None
    verified: bool | None
    detail: str
    verified_at: datetime | None = None
    rows_checked: int | None = None
    failed_checks: list[str] = field(default_factory=list)
    next_due: datetime | None = None

    @property
    def unsigned_rows(self) -> int:
        if self.head_seq is None:
            return 0
        return self.head_seq - (self.checkpoint_seq or 0)

    @property
    def failed_check_labels(self) -> list[str]:
        return [CHECK_LABELS.get(name, name) for name in self.failed_checks]


def chain_verification_status() -> ChainStatus:
    """The latest thing known about the chain's integrity. Three queries."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    checkpoint = AuditCheckpoint.objects.order_by("-seq", "-id").first()
    verification = (
        AuditEvent.objects.filter(action="audit.verify")
        .order_by("-seq")
        .values_list("occurred_at", "changes")
        .first()
    )
    every = timedelta(hours=settings.LFR_AUDIT_VERIFY_HOURS)
    if checkpoint is None:
        status = ChainStatus(head, None, None, None, "No signed checkpoint has been made yet.")
    else:
        status = ChainStatus(
            head_seq=head,
            checkpoint_seq=checkpoint.seq,
            checkpoint_at=checkpoint.created_at,
            verified=None,
            detail="The chain is signed up to this row.",
        )
    if verification is None:
        # Beat's first run after start-up; until then, at most one interval away.
        status.next_due = timezone.now() + every
        return status
    at, changes = verification
    status.verified = bool(changes.get("ok"))
    status.verified_at = at
    status.rows_checked = changes.get("tree_size")
    status.failed_checks = list(changes.get("failed_checks") or [])
    status.next_due = at + every
    return status


def _finalise_window(deployment: Deployment) -> tuple[datetime | None, datetime | None]:
    if deployment.starts_at is None:
        return None, None
    return deployment.starts_at - settings.LFR_WATCHLIST_FINALISE_MAX_AGE, deployment.starts_at


def _watchlist_tasks(queryset: QuerySet[Watchlist]) -> list[WatchlistTask]:
    rows = queryset.annotate(
        n_approved=Count("entries", filter=Q(entries__status=EntryStatus.APPROVED)),
        n_pending=Count("entries", filter=Q(entries__status=EntryStatus.PENDING)),
    ).order_by("deployment__starts_at")[:LIMIT]
    return [
        WatchlistTask(w, w.n_approved, w.n_pending, *_finalise_window(w.deployment)) for w in rows
    ]


def watchlists_to_authorise(user: Viewer) -> list[WatchlistTask]:
    """Watchlists built and waiting for an authorising officer who added none of it."""
    added_by_user = WatchlistEntry.objects.filter(watchlist=OuterRef("pk"), added_by=user).exclude(
        status=EntryStatus.REMOVED
    )
    return _watchlist_tasks(
        watchlists_visible_to(user)
        .filter(status=WatchlistStatus.DRAFT, deployment__status__in=PREPARING)
        # Some approved entries: something an officer could authorise once the rest are decided.
        # A subquery, not a join, so that the counts annotated later see every entry.
        .filter(
            Exists(
                WatchlistEntry.objects.filter(watchlist=OuterRef("pk"), status=EntryStatus.APPROVED)
            )
        )
        .exclude(Exists(added_by_user))
    )


def watchlists_to_build(user: Viewer) -> list[WatchlistTask]:
    """Watchlists not yet authorised for deployments still being prepared."""
    now = timezone.now()
    return _watchlist_tasks(
        watchlists_visible_to(user)
        .filter(
            status=WatchlistStatus.DRAFT,
            deployment__status__in=PREPARING,
        )
        # A window already over needs no watchlist.
        .exclude(deployment__ends_at__lt=now)
    )


def watchlists_to_finalise(user: Viewer) -> list[WatchlistTask]:
    """Authorised watchlists whose deployment has not started, or whose finalising would
    lapse before the start; each with the period in which finalising counts."""
    now = timezone.now()
    max_age = settings.LFR_WATCHLIST_FINALISE_MAX_AGE
    candidates = watchlists_visible_to(user).filter(
        deployment__status__in=(S.SUBMITTED, S.APPROVED),
        deployment__starts_at__isnull=False,
        deployment__ends_at__gt=now,
    )
    not_yet = Q(status=WatchlistStatus.APPROVED)
    # Finalised too early: the finalising is older than the limit by the time it starts.
    lapsing = Q(
        status=WatchlistStatus.FINALISED, finalised_at__lt=F("deployment__starts_at") - max_age
    )
    return _watchlist_tasks(candidates.filter(not_yet | lapsing))


def holds_due_for_review(user: Viewer, *, today: date | None = None) -> list[AlertHold]:
    """Evidence holds still in force whose review date is near or past."""
    today = today or timezone.localdate()
    return list(
        AlertHold.objects.filter(
            alert__deployment__in=deployments_visible_to(user),
            released_at__isnull=True,
            review_by__lte=today + timedelta(days=settings.LFR_HOLD_REMINDER_DAYS),
        )
        .select_related("alert__deployment", "placed_by")
        .order_by("review_by")[:LIMIT]
    )


def planner_deployments(user: Viewer) -> list[tuple[str, str, list[Deployment]]]:
    """The planner's own deployments grouped by state, in PLANNER_STATES order."""
    groups: dict[str, list[Deployment]] = {str(state): [] for state in PLANNER_STATES}
    for deployment in (
        deployments_visible_to(user)
        .filter(created_by=user, status__in=PLANNER_STATES)
        .order_by("starts_at", "created_at")
    ):
        groups[deployment.status].append(deployment)
    return [(str(S(state).label), state, items) for state, items in groups.items()]


def deployments_needing_signs(user: Viewer) -> list[Deployment]:
    """Deployments from submission to live, with how many signs are up at each."""
    return list(
        deployments_visible_to(user)
        .filter(status__in=[S.SUBMITTED, S.APPROVED, S.LIVE])
        .annotate(signs_up=Count("signage", filter=Q(signage__removed_at__isnull=True)))
        .order_by("signs_up", "starts_at")[:LIMIT]
    )


def overdue_reviews(user: Viewer, *, today: date | None = None) -> list[DeploymentDocument]:
    """Documents past their review date on deployments that still rely on them."""
    today = today or timezone.localdate()
    return list(
        DeploymentDocument.objects.filter(
            deployment__in=deployments_visible_to(user).filter(
                status__in=[S.DRAFT, S.SUBMITTED, S.APPROVED, S.LIVE, S.SUSPENDED]
            ),
            review_by__lt=today,
        )
        .select_related("deployment")
        .order_by("review_by")[:LIMIT]
    )


def lapsed_holds(user: Viewer, *, today: date | None = None) -> list[AlertHold]:
    """Holds past their review date and never released: they no longer keep anything."""
    today = today or timezone.localdate()
    return list(
        AlertHold.objects.filter(
            alert__deployment__in=deployments_visible_to(user),
            released_at__isnull=True,
            review_by__lt=today,
        )
        .select_related("alert__deployment")
        .order_by("review_by")[:LIMIT]
    )


def retention_failures(*, now: datetime | None = None) -> dict[str, Any]:
    """Signs that a retention run did not finish: files it meant to remove, still there."""
    now = now or timezone.now()
    stuck = PendingFileDeletion.objects.filter(created_at__lt=now - RETENTION_STUCK_AFTER)
    oldest = stuck.order_by("created_at").values_list("created_at", flat=True).first()
    return {"files": stuck.count() if oldest else 0, "oldest": oldest}


def _attention_sections(user: Viewer) -> dict[str, Any]:
    """What cannot wait: suspended deployments, crops not stored, overdue alerts."""
    sections: dict[str, Any] = {}
    if has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR):
        sections["suspended"] = suspended_deployments_for(user)
    if has_role(user, Role.AUTHORISING_OFFICER, Role.OPERATOR, Role.COMPLIANCE_OFFICER):
        sections["crops_waiting"] = crops_waiting_for(user)
    if has_role(user, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        sections["webhooks_failing"] = webhook_failures_for(user)
    if has_role(user, Role.OPERATOR):
        sections["overdue"] = list(overdue_alerts_for(user).select_related("deployment")[:LIMIT])
    return sections


def _approval_sections(user: Viewer, deployments: QuerySet[Deployment]) -> dict[str, Any]:
    """An authorising officer's decisions: deployments, watchlists and holds to review."""
    return {
        "awaiting_approval": list(
            deployments.filter(status=S.SUBMITTED).exclude(created_by=user).order_by("starts_at")
        ),
        "watchlists_to_authorise": watchlists_to_authorise(user),
        "holds_due": holds_due_for_review(user),
    }


def _live_sections(user: Viewer, deployments: QuerySet[Deployment]) -> dict[str, Any]:
    """Deployments live or about to be, their signage and their alerts to adjudicate."""
    sections: dict[str, Any] = {"live": list(deployments.filter(status=S.LIVE).order_by("ends_at"))}
    if has_role(user, Role.OPERATOR):
        sections["ready"] = list(deployments.filter(status=S.APPROVED).order_by("starts_at"))
    if has_role(user, Role.FIELD_OFFICER):
        sections["evidence_needed"] = deployments_needing_signs(user)
    if has_role(user, Role.OPERATOR, Role.AUTHORISING_OFFICER):
        sections["alerts_pending"] = list(
            alerts_visible_to(user)
            .filter(adjudication=Adjudication.PENDING)
            .select_related("deployment")
            .order_by("captured_at")[:LIMIT]
        )
    return sections


def _watchlist_sections(user: Viewer) -> dict[str, Any]:
    """Entries waiting for a second person, and watchlists to build or finalise."""
    sections: dict[str, Any] = {}
    if has_role(user, Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER):
        sections["entries_awaiting_second"] = list(
            entries_visible_to(user)
            .filter(status=EntryStatus.PENDING)
            .exclude(added_by=user)
            # An entry on a list whose deployment is over will never be matched.
            .exclude(watchlist__deployment__status__in=[S.COMPLETED, S.CANCELLED])
            .order_by("created_at")[:LIMIT]
        )
    if has_role(user, Role.WATCHLIST_MANAGER):
        sections["watchlists_to_build"] = watchlists_to_build(user)
        sections["watchlists_to_finalise"] = watchlists_to_finalise(user)
    return sections


def documents_expiring(user: Viewer, deployments: QuerySet[Deployment]) -> list[DeploymentDocument]:
    """Documents of deployments being prepared whose review date falls in the next 30 days."""
    today = timezone.localdate()
    expiring = DeploymentDocument.objects.filter(
        deployment__in=deployments.filter(status__in=PREPARING),
        review_by__lte=today + timedelta(days=30),
    )
    if has_role(user, Role.COMPLIANCE_OFFICER):
        # Those already past their date are listed under overdue reviews instead.
        expiring = expiring.filter(review_by__gte=today)
    return list(expiring.select_related("deployment").order_by("review_by")[:LIMIT])


def dashboard_for(user: Viewer) -> dict[str, Any]:
    """Every section of the dashboard the user's roles call for, keyed by section name."""
    deployments = deployments_visible_to(user)
    sections = _attention_sections(user)
    # The in-app inbox, newest first: every role's, one query.
    sections["notifications"] = list(unread_notifications(user)[:LIMIT])
    if is_authorising_officer(user):
        sections.update(_approval_sections(user, deployments))
    if has_role(user, Role.DEPLOYMENT_PLANNER):
        sections["my_deployments"] = planner_deployments(user)
        sections["my_deployments_count"] = sum(len(i) for _, _, i in sections["my_deployments"])
    sections.update(_live_sections(user, deployments))
    sections.update(_watchlist_sections(user))
    if has_role(user, Role.DEPLOYMENT_PLANNER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER):
        sections["documents_expiring"] = documents_expiring(user, deployments)
    if is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER):
        sections["post_deployment_reviews_overdue"] = reviews_overdue_for(user, limit=LIMIT)
    if has_role(user, Role.COMPLIANCE_OFFICER):
        sections["overdue_reviews"] = overdue_reviews(user)
        sections["lapsed_holds"] = lapsed_holds(user)
        sections["retention_failures"] = retention_failures()
        sections["chain"] = chain_verification_status()
    return sections
