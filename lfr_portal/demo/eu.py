"""The demo in EU AI Act mode (settings.LFR_EU_AI_ACT_MODE at seeding time).

Every demo deployment states the Art. 5(1)(h) purpose its watchlist fits; those the
story authorises have the request to the authority and its granted decision recorded,
and those that completed have their notices to the two authorities, all through the
EU services so the audit trail holds their rows. Outside EU mode nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from ..models import (
    Deployment,
    DeploymentStatus,
    EntryCategory,
    EUAuthorityKind,
    EURequestMethod,
    NotifiedAuthority,
)
from ..selectors.eu_mode import PURPOSE_CATEGORIES
from ..services import eu_mode as eu_services

AUTHORITY = "Westminster Magistrates' Court"
NOTIFIED = {
    NotifiedAuthority.MARKET_SURVEILLANCE: "Market Surveillance Authority (demo)",
    NotifiedAuthority.DATA_PROTECTION: "Data Protection Authority (demo)",
}
# What the demo's lists hold outside missing-person searches: suspects and the wanted.
SOUGHT = (EntryCategory.WANTED, EntryCategory.SUSPECT)


def eu_demo() -> bool:
    return bool(settings.LFR_EU_AI_ACT_MODE)


def eu_purpose_of(categories: Iterable[str]) -> str:
    """The Art. 5(1)(h) purpose that allows every one of these entry categories."""
    held = set(categories)
    for purpose, allowed in PURPOSE_CATEGORIES.items():
        if held <= set(allowed):
            return str(purpose)
    raise ValueError(f"no EU AI Act purpose allows a list of {sorted(held)}")


def eu_purpose_fields(categories: Iterable[str]) -> dict[str, str]:
    """The purpose as a deployment field, in EU mode only: outside it the demo is unchanged."""
    return {"eu_purpose": eu_purpose_of(categories)} if eu_demo() else {}


def eu_pool_category(category: str) -> str:
    """No Art. 5(1)(h) purpose allows a list mixing suspects with people who may pose a
    risk, so in EU mode the demo's suspect lists hold suspects where it drew a risk."""
    if eu_demo() and category == EntryCategory.RISK:
        return EntryCategory.SUSPECT
    return category


def eu_authorise(
    deployment: Deployment,
    *,
    requester: User,
    ao: User,
    requested_at: datetime | None = None,
    decided_at: datetime | None = None,
) -> None:
    """The request to the authority and its granted decision, at the times given or now."""
    if not eu_demo():
        return
    reference = deployment.public_id.hex[:8].upper()
    deployment = eu_services.deployment_eu_request_record(
        actor=requester,
        deployment=deployment,
        requested_at=requested_at or timezone.now(),
        method=EURequestMethod.ELECTRONIC,
        reference=f"LFR-REQ/{reference}",
    )
    eu_services.deployment_independent_decision(
        actor=ao,
        deployment=deployment,
        decision="granted",
        reference=f"WMC/LFR/{reference}",
        authority=AUTHORITY,
        authority_kind=EUAuthorityKind.JUDICIAL,
        decided_at=decided_at or timezone.now(),
    )


def eu_notify(deployment: Deployment, *, actor: User, notified_at: datetime) -> None:
    """The notices of the use to the market-surveillance and data-protection authorities."""
    if not eu_demo():
        return
    for authority, name in NOTIFIED.items():
        eu_services.authority_notification_record(
            actor=actor,
            deployment=deployment,
            authority=authority,
            authority_name=name,
            notified_at=notified_at,
            method=EURequestMethod.ELECTRONIC,
            reference=f"{authority.upper()[:3]}/{deployment.public_id.hex[:8].upper()}",
        )


@dataclass(frozen=True)
class PastAuthorisation:
    """A past deployment the authorising officer approved, to record in EU mode."""

    deployment: Deployment
    planner: User
    ao: User
    approved_at: datetime


def eu_history_record(authorised: list[PastAuthorisation]) -> None:
    """The past year's requests, decisions and notices, at their historical times: asked
    an hour after the approval, granted three hours later, notified after completion."""
    if not eu_demo():
        return
    for past in authorised:
        requested = past.approved_at + timedelta(hours=1)
        eu_authorise(
            past.deployment,
            requester=past.planner,
            ao=past.ao,
            requested_at=requested,
            decided_at=requested + timedelta(hours=3),
        )
        # The history's own copy, which holds how the deployment ended.
        ended = past.deployment.ended_at
        if past.deployment.status == DeploymentStatus.COMPLETED and ended:
            eu_notify(past.deployment, actor=past.planner, notified_at=ended + timedelta(hours=2))
