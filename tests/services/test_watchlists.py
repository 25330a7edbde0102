"""Watchlist guards: closed categories, four eyes, under-18s, size, finalisation."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.models import (
    AuditEvent,
    EntryStatus,
    Role,
    WatchlistEntry,
    WatchlistStatus,
)
from lfr_portal.services import entry_photos as photos
from lfr_portal.services import watchlists as wl
from tests import builders
from tests.factories import DeploymentFactory, EntryFactory, user_with_role
from tests.security.images import jpeg_bytes

pytestmark = pytest.mark.django_db


def entry_fields(**overrides):
    fields = {
        "display_name": "John Doe",
        "category": "wanted",
        "reason": "Wanted on warrant for burglary",
        "legal_basis": "Warrant, Westminster Magistrates' Court",
        "reference_number": "CUST/000123",
        "image_source": "Custody record",
        "image_date": timezone.localdate() - timedelta(days=30),
    }
    fields.update(overrides)
    return fields


def test_a_manager_adds_an_entry_with_its_image_and_an_audit_row(manager):
    deployment = DeploymentFactory()
    image = SimpleUploadedFile("ref.jpg", jpeg_bytes(), "image/jpeg")
    entry = wl.watchlist_entry_add(
        actor=manager, watchlist=deployment.watchlist, reference_image=image, **entry_fields()
    )
    assert entry.status == EntryStatus.PENDING and entry.reference_image.name
    row = AuditEvent.objects.get(action="watchlist.entry_add")
    assert row.deployment_public_id == str(deployment.public_id)
    assert row.changes["reference_number"] == "CUST/000123"


@pytest.mark.parametrize("category", ["intelligence_required", "associate", ""])
def test_categories_outside_the_closed_list_are_refused(manager, category):
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation) as err:
        wl.watchlist_entry_add(
            actor=manager, watchlist=deployment.watchlist, **entry_fields(category=category)
        )
    assert err.value.code == "unknown_category"
    assert not WatchlistEntry.objects.exists()


def test_an_under_18_without_justification_is_refused(manager):
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation) as err:
        wl.watchlist_entry_add(
            actor=manager, watchlist=deployment.watchlist, **entry_fields(under_18=True)
        )
    assert err.value.code == "under_18_justification"


def test_an_under_18_entry_needs_an_authorising_officer_to_approve(manager, manager2, ao):
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(
        actor=manager,
        watchlist=deployment.watchlist,
        **entry_fields(under_18=True, under_18_justification="Missing 15-year-old at risk"),
    )
    photos.watchlist_entry_enrolment_record(
        entry_id=entry.pk, accepted=True, message="Enrolled.", embedding=b"\0" * 16, engine="x"
    )
    with pytest.raises(NotPermitted) as err:
        wl.watchlist_entry_approve(actor=manager2, entry=entry)
    assert err.value.code == "under_18_approver"
    approved = wl.watchlist_entry_approve(actor=ao, entry=entry)
    assert approved.status == EntryStatus.APPROVED and approved.approved_by == ao


def test_whoever_adds_an_entry_cannot_approve_it(manager):
    entry = EntryFactory(added_by=manager)
    with pytest.raises(NotPermitted) as err:
        wl.watchlist_entry_approve(actor=manager, entry=entry)
    assert err.value.code == "four_eyes"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.DEPLOYMENT_PLANNER, Role.FIELD_OFFICER])
def test_other_roles_cannot_add_or_approve(role):
    user = user_with_role(role)
    deployment = DeploymentFactory()
    with pytest.raises(NotPermitted):
        wl.watchlist_entry_add(actor=user, watchlist=deployment.watchlist, **entry_fields())
    with pytest.raises(NotPermitted):
        wl.watchlist_entry_approve(actor=user, entry=EntryFactory())


@override_settings(LFR_WATCHLIST_MAX_SIZE=2)
def test_a_watchlist_over_its_maximum_size_is_refused(manager):
    deployment = DeploymentFactory()
    for n in range(2):
        wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            **entry_fields(reference_number=f"R{n}"),
        )
    with pytest.raises(RuleViolation) as err:
        wl.watchlist_entry_add(
            actor=manager, watchlist=deployment.watchlist, **entry_fields(reference_number="R3")
        )
    assert err.value.code == "watchlist_full"


def test_authorising_needs_every_entry_decided(ao, manager):
    deployment = DeploymentFactory()
    EntryFactory(watchlist=deployment.watchlist, added_by=manager)
    with pytest.raises(RuleViolation) as err:
        wl.watchlist_approve(actor=ao, watchlist=deployment.watchlist)
    assert err.value.code == "entries_pending"


def test_an_empty_watchlist_cannot_be_authorised(ao):
    with pytest.raises(RuleViolation):
        wl.watchlist_approve(actor=ao, watchlist=DeploymentFactory().watchlist)


def test_an_officer_who_added_entries_cannot_authorise_the_watchlist(ao, manager):
    deployment = DeploymentFactory()
    entry = EntryFactory(watchlist=deployment.watchlist, added_by=ao)
    wl.watchlist_entry_approve(actor=manager, entry=entry)
    with pytest.raises(NotPermitted):
        wl.watchlist_approve(actor=ao, watchlist=deployment.watchlist)


def test_an_authorised_watchlist_is_frozen(manager):
    deployment = builders.complete_draft()
    builders.authorised_watchlist(deployment)
    with pytest.raises(InvalidTransition):
        wl.watchlist_entry_add(actor=manager, watchlist=deployment.watchlist, **entry_fields())


def test_finalise_requires_authorisation_and_can_be_repeated(manager):
    deployment = builders.submitted()
    now = timezone.now()
    first = wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=now
    )
    assert first.status == WatchlistStatus.FINALISED
    again = wl.watchlist_finalise(
        actor=manager, watchlist=deployment.watchlist, still_wanted_as_of=now
    )
    assert again.finalised_at >= first.finalised_at
    unauthorised = DeploymentFactory()
    with pytest.raises(InvalidTransition):
        wl.watchlist_finalise(
            actor=manager, watchlist=unauthorised.watchlist, still_wanted_as_of=now
        )


def test_entries_copied_to_another_deployment_need_approval_again(manager):
    source = builders.submitted()
    target = DeploymentFactory()
    copies = wl.watchlist_copy_entries(
        actor=manager, source=source.watchlist, target=target.watchlist
    )
    assert len(copies) == 2
    assert set(target.watchlist.entries.values_list("status", flat=True)) == {EntryStatus.PENDING}
    assert all(copy.added_by == manager for copy in target.watchlist.entries.all())


def test_an_entry_without_a_usable_embedding_cannot_be_approved(manager, manager2):
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(actor=manager, watchlist=deployment.watchlist, **entry_fields())
    with pytest.raises(RuleViolation) as err:
        wl.watchlist_entry_approve(actor=manager2, entry=entry)
    assert err.value.code == "not_enrolled"
    photos.watchlist_entry_enrolment_record(
        entry_id=entry.pk,
        accepted=False,
        message="No face was found in the image.",
        embedding=None,
        engine="opencv-sface",
    )
    with pytest.raises(RuleViolation, match="No face was found"):
        wl.watchlist_entry_approve(actor=manager2, entry=entry)
