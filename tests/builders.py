"""Whole-case builders: a deployment at a given point of its lifecycle, through the services."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from lfr_portal.models import DocumentKind, EntryStatus, Role
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import deployment_staff as staff
from lfr_portal.services import deployments as dep
from lfr_portal.services import field
from lfr_portal.services import watchlists as wl
from tests.factories import (
    BookingFactory,
    DeploymentFactory,
    DocumentFactory,
    EntryFactory,
    user_with_role,
)


def complete_draft(**kwargs):
    """A draft with documents and a camera: ready to submit."""
    if settings.LFR_EU_AI_ACT_MODE:
        # Wanted entries of an offence carrying 10 years (authorised_watchlist) fit it.
        kwargs.setdefault("eu_purpose", "suspect_localisation")
    deployment = DeploymentFactory(**kwargs)
    kinds = [DocumentKind.DPIA, DocumentKind.APPROPRIATE_POLICY, DocumentKind.EQUALITY_IMPACT]
    if settings.LFR_EU_AI_ACT_MODE:
        kinds += [DocumentKind.FUNDAMENTAL_RIGHTS, DocumentKind.EU_REGISTRATION]
    for kind in kinds:
        DocumentFactory(deployment=deployment, kind=kind)
    BookingFactory(deployment=deployment)
    return deployment


def authorised_watchlist(deployment, *, entries=2, ao=None):
    adder = user_with_role(Role.WATCHLIST_MANAGER)
    approver = user_with_role(Role.WATCHLIST_MANAGER)
    for _ in range(entries):
        entry = EntryFactory(
            watchlist=deployment.watchlist, added_by=adder, offence_max_sentence_years=10
        )
        wl.watchlist_entry_approve(actor=approver, entry=entry)
    ao = ao or user_with_role(Role.AUTHORISING_OFFICER)
    return wl.watchlist_approve(actor=ao, watchlist=deployment.watchlist)


def submitted(**kwargs):
    deployment = complete_draft(**kwargs)
    authorised_watchlist(deployment)
    return dep.deployment_submit(actor=deployment.created_by, deployment=deployment)


def approved(ao=None, **kwargs):
    deployment = submitted(**kwargs)
    ao = ao or user_with_role(Role.AUTHORISING_OFFICER)
    return dep.deployment_approve(actor=ao, deployment=deployment)


def ready_to_go_live(operator=None, **kwargs):
    """Approved, window open now, signage up, watchlist finalised, operator assigned."""
    kwargs.setdefault("starts_at", timezone.now() - timedelta(minutes=10))
    deployment = approved(**kwargs)
    fo = user_with_role(Role.FIELD_OFFICER)
    field.signage_record(
        actor=fo,
        deployment=deployment,
        description="Sign at entrance",
        location_name="Entrance",
        placed_at=timezone.now() - timedelta(minutes=5),
    )
    manager = user_with_role(Role.WATCHLIST_MANAGER)
    wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
    )
    if operator is not None:
        staff.deployment_operator_assign(
            actor=deployment.created_by, deployment=deployment, operator=operator
        )
    deployment.refresh_from_db()
    return deployment


def live(operator, **kwargs):
    deployment = ready_to_go_live(operator=operator, **kwargs)
    return lifecycle.deployment_start(actor=operator, deployment=deployment)


__all__ = [
    "EntryStatus",
    "approved",
    "authorised_watchlist",
    "complete_draft",
    "live",
    "ready_to_go_live",
    "submitted",
]


def live_with_real_watchlist(operator, source_url, references, *, start=True, **kwargs):
    """A live deployment whose one camera reads `source_url` and whose watchlist holds
    one enrolled entry per (label, image path) in `references`, enrolled by the real engine.
    With start=False it is left ready to go live, for the test to start another way.

    Returns (deployment, {entry id: label}).
    """
    from lfr_portal.models import Camera, WatchlistEntry

    kwargs.setdefault("starts_at", timezone.now() - timedelta(minutes=10))
    deployment = DeploymentFactory(**kwargs)
    kinds = [DocumentKind.DPIA, DocumentKind.APPROPRIATE_POLICY, DocumentKind.EQUALITY_IMPACT]
    for kind in kinds:
        DocumentFactory(deployment=deployment, kind=kind)
    camera = Camera.objects.create(name=f"Test camera {deployment.pk}", source_url=source_url)
    BookingFactory(deployment=deployment, camera=camera)
    approver = user_with_role(Role.WATCHLIST_MANAGER)
    labels = enrolled_entries(
        deployment.watchlist, references, adder=user_with_role(Role.WATCHLIST_MANAGER)
    )
    for entry in WatchlistEntry.objects.filter(pk__in=list(labels)):
        wl.watchlist_entry_approve(actor=approver, entry=entry)
    wl.watchlist_approve(
        actor=user_with_role(Role.AUTHORISING_OFFICER), watchlist=deployment.watchlist
    )
    deployment = dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    deployment = dep.deployment_approve(
        actor=user_with_role(Role.AUTHORISING_OFFICER), deployment=deployment
    )
    field.signage_record(
        actor=user_with_role(Role.FIELD_OFFICER),
        deployment=deployment,
        description="Sign",
        location_name="Entrance",
        placed_at=timezone.now() - timedelta(minutes=5),
    )
    wl.watchlist_finalise(
        actor=manager_for_finalise(),
        watchlist=deployment.watchlist,
        still_wanted_as_of=timezone.now(),
    )
    staff.deployment_operator_assign(
        actor=deployment.created_by, deployment=deployment, operator=operator
    )
    deployment.refresh_from_db()
    if not start:
        return deployment, labels
    return lifecycle.deployment_start(actor=operator, deployment=deployment), labels


def enrolled_entries(watchlist, references, *, adder):
    """One entry per (label, image path) in `references`, added by `adder` and enrolled by
    the real engine; {entry id: label}. Raises if any reference is not usable."""
    from django.core.files.base import ContentFile

    from lfr_portal.models import WatchlistEntry
    from matcher.watchlist_enrolment import enrol_entry_ids

    labels = {}
    for label, path in references:
        entry = EntryFactory(
            watchlist=watchlist, added_by=adder, display_name=label, enrolment_state="pending"
        )
        entry.reference_image.save(path.name, ContentFile(path.read_bytes()), save=True)
        labels[entry.pk] = label
    enrol_entry_ids(list(labels))
    for entry in WatchlistEntry.objects.filter(pk__in=list(labels)):
        if entry.enrolment_state != "enrolled":
            raise RuntimeError(f"{entry.display_name} not enrolled: {entry.enrolment_message}")
    return labels


def manager_for_finalise():
    return user_with_role(Role.WATCHLIST_MANAGER)
