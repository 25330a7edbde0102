"""Reads for EU AI Act mode (settings.LFR_EU_AI_ACT_MODE): the Art. 5(1)(h) purpose and
its watchlist, the authority's decision before going live, urgent deployments whose
authorisation window has passed, the notices to the authorities (Art. 26(10)) and the
retention of automatically generated logs (Art. 26(6)).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import (
    AuthorityNotification,
    Deployment,
    DeploymentStatus,
    EntryCategory,
    EntryStatus,
    EUPurpose,
    NotifiedAuthority,
    WatchlistEntry,
)
from .problems import Problem

S = DeploymentStatus
RUNNING = (S.LIVE, S.SUSPENDED)

# Who each purpose may look for, in the words a refusal uses.
PURPOSE_CATEGORIES: dict[str, tuple[str, ...]] = {
    EUPurpose.VICTIM_SEARCH: (EntryCategory.MISSING_OR_VULNERABLE,),
    # Art. 5(1)(h)(iii): suspects, and the wanted (executing a criminal penalty), of an
    # Annex II offence; the sentence is checked per entry below.
    EUPurpose.SUSPECT_LOCALISATION: (EntryCategory.SUSPECT, EntryCategory.WANTED),
    # Art. 5(1)(h)(ii): the people who pose the specific threat to life or safety.
    EUPurpose.THREAT_PREVENTION: (EntryCategory.RISK,),
}
PURPOSE_WORDS: dict[str, str] = {
    EUPurpose.VICTIM_SEARCH: "missing or vulnerable persons",
    EUPurpose.SUSPECT_LOCALISATION: "suspects or wanted persons",
    EUPurpose.THREAT_PREVENTION: "persons who may pose a risk",
}


def eu_mode() -> bool:
    return bool(settings.LFR_EU_AI_ACT_MODE)


def when_text(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


# --- approval ------------------------------------------------------------------------


def _misfits(deployment: Deployment) -> list[str]:
    """Reference numbers of approved entries the deployment's purpose does not cover."""
    purpose = deployment.eu_purpose
    entries = WatchlistEntry.objects.filter(
        watchlist__deployment=deployment, status=EntryStatus.APPROVED
    )
    allowed = Q(category__in=PURPOSE_CATEGORIES[purpose])
    if purpose == EUPurpose.SUSPECT_LOCALISATION:
        allowed &= Q(offence_max_sentence_years__gte=settings.LFR_EU_ANNEX_II_MIN_YEARS)
    misfit = entries.exclude(allowed)
    return list(misfit.order_by("reference_number").values_list("reference_number", flat=True))


def eu_purpose_watchlist_problem(deployment: Deployment) -> Problem | None:
    """The watchlist holds only people the Art. 5(1)(h) purpose allows to be sought."""
    if deployment.eu_purpose not in PURPOSE_CATEGORIES:
        return None
    misfits = _misfits(deployment)
    if not misfits:
        return None
    words = PURPOSE_WORDS[deployment.eu_purpose]
    if deployment.eu_purpose == EUPurpose.SUSPECT_LOCALISATION:
        words += (
            f" of an offence punishable by at least {settings.LFR_EU_ANNEX_II_MIN_YEARS} "
            "years (Annex II)"
        )
    shown = ", ".join(misfits[:5]) + (f" and {len(misfits) - 5} more" if len(misfits) > 5 else "")
    return Problem(
        "eu_purpose_watchlist",
        f"The EU AI Act purpose allows a watchlist of {words} only; {len(misfits)} "
        f"approved entr{'y is' if len(misfits) == 1 else 'ies are'} not: {shown}.",
        field="eu_purpose",
    )


def eu_approval_problems(
    deployment: Deployment, *, include_watchlist: bool = True
) -> list[Problem | None]:
    """EU mode: a stated Art. 5(1)(h) purpose, a watchlist it covers, urgency explained."""
    if not eu_mode():
        return []
    problems: list[Problem | None] = []
    if not deployment.eu_purpose:
        problems.append(
            Problem(
                "eu_purpose_missing",
                "In EU AI Act mode the deployment must state which Art. 5(1)(h) purpose it serves.",
                field="eu_purpose",
            )
        )
    elif include_watchlist:
        problems.append(eu_purpose_watchlist_problem(deployment))
    if deployment.eu_urgency and not deployment.eu_urgency_reason.strip():
        problems.append(
            Problem(
                "eu_urgency_reason_missing",
                "Declared urgency must say what the urgency is.",
                field="eu_urgency_reason",
            )
        )
    return problems


# --- going live ----------------------------------------------------------------------


def eu_go_live_problem(deployment: Deployment) -> Problem | None:
    """A granted decision before going live; in declared urgency, going live before it.

    An urgent deployment need not have made its request yet when it goes live: the Act
    allows the request within 24 hours (Art. 5(3)). What enforces it is the window: a
    decision can only be recorded after its request, and without a granted decision the
    deployment stops and its data is deleted when the window passes.
    """
    if not eu_mode():
        return None
    if deployment.eu_authorisation_decision == "refused":
        return Problem("eu_refused", "The independent authority refused authorisation.")
    if deployment.eu_authorisation_decision == "granted" or deployment.eu_urgency:
        return None
    return Problem(
        "eu_no_authorisation",
        "No granted judicial or independent authorisation is recorded, and no urgency is "
        "declared. Record the authority's decision first.",
        field="eu_urgency",
    )


# --- the urgency window --------------------------------------------------------------


def urgent_deadline(deployment: Deployment) -> datetime | None:
    """When an urgent deployment without a granted decision stops and its data goes."""
    if not (eu_mode() and deployment.eu_urgency and deployment.went_live_at):
        return None
    return deployment.went_live_at + settings.LFR_EU_URGENT_AUTHORISATION_WINDOW


def lapsed_urgent_q(now: datetime) -> Q:
    """Urgent deployments that went live longer than the window ago without a granted
    decision (Q on Deployment). Nothing lapses outside EU mode."""
    if not eu_mode():
        return Q(pk__in=[])
    cutoff = now - settings.LFR_EU_URGENT_AUTHORISATION_WINDOW
    return Q(eu_urgency=True, went_live_at__lte=cutoff) & ~Q(eu_authorisation_decision="granted")


def lapsed_urgent_deployment_ids(now: datetime | None = None) -> list[int]:
    """Running deployments to stop now because their urgency window passed."""
    now = now or timezone.now()
    return list(
        Deployment.objects.filter(lapsed_urgent_q(now), status__in=RUNNING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def forfeited_deployments(now: datetime | None = None) -> QuerySet[Deployment]:
    """Deployments all of whose outputs must be deleted: authorisation refused, or urgent
    and without a granted decision when the window passed."""
    now = now or timezone.now()
    return Deployment.objects.filter(Q(eu_authorisation_decision="refused") | lapsed_urgent_q(now))


# --- notices to the authorities (Art. 26(10)) ----------------------------------------


def authority_notifications_of(deployment: Deployment) -> QuerySet[AuthorityNotification]:
    return AuthorityNotification.objects.filter(deployment=deployment).select_related("recorded_by")


def missing_notices(deployment: Deployment) -> list[str]:
    """The authorities (labels) not yet notified of a live or completed EU deployment."""
    if not eu_mode() or deployment.status not in (S.LIVE, S.SUSPENDED, S.COMPLETED):
        return []
    notified = set(
        AuthorityNotification.objects.filter(deployment=deployment).values_list(
            "authority", flat=True
        )
    )
    return [a.label for a in NotifiedAuthority if a.value not in notified]


def notice_warning(deployment: Deployment) -> Problem | None:
    """A warning, not a blocker: the notices follow each use, and a deployment that has
    run cannot be undone by refusing to complete it; the review and the page show it."""
    missing = missing_notices(deployment)
    if not missing:
        return None
    return Problem(
        "eu_notice_missing",
        "Art. 26(10) EU AI Act: each use is notified to the market-surveillance and the "
        f"data-protection authority; not yet recorded: {' and '.join(missing).lower()}.",
        severity="warning",
    )


def go_live_detail(deployment: Deployment) -> str | None:
    """The go-live checklist's line, met: on what the deployment may go live."""
    if not eu_mode():
        return None
    if deployment.eu_authorisation_decision == "granted":
        when = deployment.eu_authorisation_decided_at
        return (
            f"Granted by {deployment.eu_decision_authority}"
            f"{f' on {when_text(when)}' if when else ''} ({deployment.eu_decision_reference})."
        )
    window = f"{settings.LFR_EU_URGENT_AUTHORISATION_WINDOW.total_seconds() / 3600:g}"
    return (
        "Urgency declared: it may go live before the decision. Without a granted decision "
        f"{window} hours after going live it stops and everything it produced is deleted."
    )


# --- the page ------------------------------------------------------------------------


@dataclass(frozen=True)
class EUState:
    deadline: datetime | None
    deadline_text: str
    request_recorded: bool
    decision_recorded: bool
    notice_warning: Problem | None


def eu_state(deployment: Deployment) -> EUState:
    deadline = urgent_deadline(deployment)
    return EUState(
        deadline=deadline,
        deadline_text=when_text(deadline) if deadline else "",
        request_recorded=deployment.eu_authorisation_requested_at is not None,
        decision_recorded=bool(deployment.eu_authorisation_decision),
        notice_warning=notice_warning(deployment),
    )


# --- logs (Art. 26(6)) ---------------------------------------------------------------


def log_retention(period: timedelta) -> timedelta:
    """How long automatically generated logs are kept: their own period, and in EU mode
    at least LFR_EU_LOG_RETENTION_DAYS."""
    if not eu_mode():
        return period
    return max(period, timedelta(days=settings.LFR_EU_LOG_RETENTION_DAYS))
