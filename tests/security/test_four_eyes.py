"""Four eyes on what is matched: whoever changes an entry's photograph becomes one of
its authors, and neither author may approve it (the probe's image-swap sequence)."""

import cv2
import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from lfr_portal.errors import NotPermitted
from lfr_portal.models import EntryStatus, Role, WatchlistStatus
from lfr_portal.services import entry_photos as photos
from lfr_portal.services import watchlists as wl
from tests.factories import DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db

ENTRY = {
    "display_name": "Jane Roe",
    "category": "wanted",
    "reason": "Warrant for burglary",
    "legal_basis": "PACE",
    "reference_number": "CUST/77",
    "image_source": "Custody record",
    "image_date": "2026-01-05",
}
RULE = "four eyes"


def _jpeg(shade):
    ok, data = cv2.imencode(".jpg", np.full((120, 100, 3), shade, dtype=np.uint8))
    assert ok
    return SimpleUploadedFile("ref.jpg", data.tobytes(), "image/jpeg")


def _enrol(entry):
    # Stands in for the worker's verdict on the replaced photograph.
    photos.watchlist_entry_enrolment_record(
        entry_id=entry.pk, accepted=True, message="Enrolled.", embedding=b"\0" * 16, engine="x"
    )


def _api_add(client, manager, deployment):
    client.force_authenticate(manager)
    response = client.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/",
        {**ENTRY, "reference_image": _jpeg(90)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return deployment.watchlist.entries.get()


def _api_swap(client, manager, entry):
    client.force_authenticate(manager)
    response = client.post(
        f"/api/watchlist-entries/{entry.public_id}/image/",
        {"reference_image": _jpeg(200)},
        format="multipart",
    )
    assert response.status_code == 200, response.content


def test_the_image_swap_sequence_through_the_api_is_refused(manager, manager2):
    deployment = DeploymentFactory()
    client = APIClient()
    entry = _api_add(client, manager, deployment)
    _api_swap(client, manager2, entry)
    _enrol(entry)

    client.force_authenticate(manager2)
    refused = client.post(f"/api/watchlist-entries/{entry.public_id}/approve/")
    assert refused.status_code == 403
    assert RULE in refused.json()["detail"] and "photograph" in refused.json()["detail"]
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING and entry.approved_by is None

    # The first author is still an author, and a third manager may decide.
    client.force_authenticate(manager)
    assert client.post(f"/api/watchlist-entries/{entry.public_id}/approve/").status_code == 403
    third = user_with_role(Role.WATCHLIST_MANAGER)
    client.force_authenticate(third)
    assert client.post(f"/api/watchlist-entries/{entry.public_id}/approve/").status_code == 200
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED and entry.approved_by == third


def test_the_image_swap_sequence_through_the_pages_is_refused(client, manager, manager2):
    deployment = DeploymentFactory()
    page = f"/deployments/{deployment.public_id}/watchlist/"
    client.force_login(manager)
    added = client.post(
        page,
        {f"entry-{k}": v for k, v in ENTRY.items()} | {"entry-reference_image": _jpeg(90)},
    )
    assert added.status_code == 302
    entry = deployment.watchlist.entries.get()
    _api_swap(APIClient(), manager2, entry)
    _enrol(entry)

    client.force_login(manager2)
    response = client.post(f"/entries/{entry.public_id}/approve/", follow=True)
    said = [str(m) for m in get_messages(response.wsgi_request)] + [response.content.decode()]
    assert any(RULE in text and "photograph" in text for text in said)
    entry.refresh_from_db()
    assert entry.status == EntryStatus.PENDING

    client.force_login(user_with_role(Role.WATCHLIST_MANAGER))
    client.post(f"/entries/{entry.public_id}/approve/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.APPROVED


def test_whoever_swapped_a_photo_may_not_reject_it_either(manager, manager2):
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(actor=manager, watchlist=deployment.watchlist, **ENTRY)
    photos.watchlist_entry_image_set(actor=manager2, entry=entry, reference_image=_jpeg(200))
    with pytest.raises(NotPermitted) as err:
        wl.watchlist_entry_reject(actor=manager2, entry=entry, reason="Not needed")
    assert err.value.code == "four_eyes"


def test_an_officer_who_swapped_a_photo_may_not_authorise_the_watchlist(manager, manager2):
    # An authorising officer who also manages watchlists swaps a photo, a manager approves
    # the entry, and the officer then tries to authorise the whole list.
    officer = user_with_role(Role.AUTHORISING_OFFICER)
    officer.groups.add(Group.objects.get_or_create(name=Role.WATCHLIST_MANAGER)[0])
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(actor=manager, watchlist=deployment.watchlist, **ENTRY)
    photos.watchlist_entry_image_set(actor=officer, entry=entry, reference_image=_jpeg(200))
    _enrol(entry)
    wl.watchlist_entry_approve(actor=manager2, entry=entry)
    with pytest.raises(NotPermitted) as err:
        wl.watchlist_approve(actor=officer, watchlist=deployment.watchlist)
    assert err.value.code == "four_eyes"
    other = user_with_role(Role.AUTHORISING_OFFICER)
    assert wl.watchlist_approve(actor=other, watchlist=deployment.watchlist).status == (
        WatchlistStatus.APPROVED
    )
