"""Whole cases through the API only, each action leaving its audit row."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import AuditEvent, Deployment, DeploymentCamera, WatchlistEntry
from lfr_portal.services import entry_photos
from tests import builders
from tests.api.endpoints import create_body, entry_body, png
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db

REQUIRED_KINDS = ("dpia", "appropriate_policy", "equality_impact")


class Session:
    """Acts as one user after another, failing loudly on any unexpected answer."""

    def __init__(self, client):
        self.client = client

    def as_(self, user):
        self.client.force_authenticate(user)
        return self

    def post(self, url, body=None, *, expect=200, multipart=False):
        if multipart:
            response = self.client.post(url, body, format="multipart")
        else:
            response = self.client.post(url, body, format="json")
        assert response.status_code == expect, (url, response.status_code, response.content)
        return response.json()


def test_a_deployment_from_draft_to_stopped_through_the_api(
    api, planner, ao, manager, manager2, field_officer, operator
):
    s = Session(api)
    now = timezone.now()
    today = timezone.localdate()
    body = create_body()
    body["starts_at"] = (now - timedelta(minutes=5)).isoformat()
    body["ends_at"] = (now + timedelta(hours=8)).isoformat()

    # The planner drafts, records the documents and attaches a camera.
    draft = s.as_(planner).post("/api/deployments/create/", body, expect=201)
    assert draft["status"] == "draft"
    dep = f"/api/deployments/{draft['public_id']}"
    watchlist = f"/api/watchlists/{draft['watchlist']['public_id']}"
    for kind in REQUIRED_KINDS:
        s.post(
            f"{dep}/documents/set/",
            {
                "kind": kind,
                "reference": f"{kind.upper()}-1",
                "issued_on": (today - timedelta(days=5)).isoformat(),
                "review_by": (today + timedelta(days=200)).isoformat(),
            },
        )
    camera = s.post(
        "/api/cameras/create/",
        {"name": "Station north", "source_url": "rtsp://user:secret@10.0.0.9/stream"},
        expect=201,
    )
    assert "source_url" not in camera
    attached = s.post(f"{dep}/cameras/add/", {"camera": camera["public_id"], "position": "Mast"})
    assert [c["name"] for c in attached["cameras"]] == ["Station north"]
    assert {d["kind"] for d in attached["documents"]} == set(REQUIRED_KINDS)

    # One manager adds two entries: one with its image, one without and its image later.
    with_image = s.as_(manager).post(
        f"{watchlist}/entries/add/",
        {**entry_body(), "reference_image": png()},
        expect=201,
        multipart=True,
    )
    assert with_image["has_image"] is True
    plain = s.post(
        f"{watchlist}/entries/add/", {**entry_body(), "reference_number": "CUST/9"}, expect=201
    )
    assert plain["has_image"] is False
    imaged = s.post(
        f"/api/watchlist-entries/{plain['public_id']}/image/",
        {"reference_image": png("second.png")},
        multipart=True,
    )
    assert imaged["has_image"] is True
    # The recognition worker's verdict on each image (a system action, not an API call).
    for entry in (with_image, plain):
        assert entry["enrolment_state"] == "pending"
        entry_photos.watchlist_entry_enrolment_record(
            entry_id=WatchlistEntry.objects.get(public_id=entry["public_id"]).pk,
            accepted=True,
            message="Enrolled.",
            embedding=b"\0" * 16,
            engine="opencv-sface",
        )
    for entry in (with_image, plain):
        approved = s.as_(manager2).post(f"/api/watchlist-entries/{entry['public_id']}/approve/")
        assert approved["status"] == "approved"
        assert approved["approved_by"] == manager2.username
        assert "embedding" not in approved

    # The AO authorises the watchlist; the planner submits; the AO approves.
    assert s.as_(ao).post(f"{watchlist}/approve/")["status"] == "approved"
    assert s.as_(planner).post(f"{dep}/submit/")["status"] == "submitted"
    approved = s.as_(ao).post(f"{dep}/approve/", {"reason": "Necessary and proportionate."})
    assert approved["status"] == "approved"
    assert approved["decided_by"] == ao.username

    # On the ground: signs up and leaflets out; then the watchlist is finalised.
    s.as_(field_officer).post(
        f"{dep}/signage/record/",
        {
            "description": "A1 sign",
            "location_name": "North entrance",
            "placed_at": (now - timedelta(minutes=1)).isoformat(),
        },
        expect=201,
    )
    s.post(
        f"{dep}/leaflets/record/",
        {"quantity": 300, "location_name": "Station", "distributed_at": now.isoformat()},
        expect=201,
    )
    finalised = s.as_(manager).post(
        f"{watchlist}/finalise/", {"still_wanted_as_of": now.isoformat(), "confirm": True}
    )
    assert finalised["status"] == "finalised"
    assert finalised["still_wanted_confirmed_by"] == manager.username

    # The planner assigns the operator, who starts it, adjudicates an alert and stops it.
    s.as_(planner).post(f"{dep}/operators/assign/", {"operator": operator.username})
    live = s.as_(operator).post(f"{dep}/start/")
    assert live["status"] == "live"
    assert live["went_live_by"] == operator.username
    deployment = Deployment.objects.get(public_id=draft["public_id"])
    alert = AlertFactory(
        deployment=deployment,
        camera=DeploymentCamera.objects.get(deployment=deployment),
        entry=WatchlistEntry.objects.get(public_id=with_image["public_id"]),
    )
    adjudicated = s.post(
        f"/api/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "confirmed", "outcome": "arrest"},
    )
    assert adjudicated["adjudication"] == "confirmed"
    assert adjudicated["adjudicated_by"] == operator.username
    stopped = s.post(f"{dep}/stop/", {"reason": "Crowd too dense to continue."})
    assert stopped["status"] == "completed"
    assert stopped["stopped_early"] is True

    expected = [
        ("deployment.create", planner),
        ("deployment.document_set", planner),
        ("deployment.document_set", planner),
        ("deployment.document_set", planner),
        ("camera.create", planner),
        ("deployment.camera_add", planner),
        ("watchlist.entry_add", manager),
        ("watchlist.entry_add", manager),
        ("watchlist.entry_image_set", manager),
        ("watchlist.entry_enrol", None),
        ("watchlist.entry_enrol", None),
        ("watchlist.entry_approve", manager2),
        ("watchlist.entry_approve", manager2),
        ("watchlist.approve", ao),
        ("deployment.submit", planner),
        ("deployment.approve", ao),
        ("signage.record", field_officer),
        ("leaflet.record", field_officer),
        ("watchlist.finalise", manager),
        ("deployment.operator_assign", planner),
        ("deployment.start", operator),
        ("alert.adjudicate", operator),
        # Ending a deployment that went live opens its review, in the same transaction.
        ("review.open", None),
        ("deployment.stop", operator),
    ]
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.actor_id) for e in events] == [
        (action, user.pk if user else None) for action, user in expected
    ]
    assert {e.client_address for e in events if e.actor_id} == {"127.0.0.1"}
    assert events[-1].reason == "Crowd too dense to continue."
    assert all("secret" not in str(e.changes) for e in events)


def test_a_rejected_deployment_is_edited_resubmitted_or_cancelled(api, planner, ao):
    deployment = builders.submitted(created_by=planner)
    s = Session(api)
    dep = f"/api/deployments/{deployment.public_id}"
    before = AuditEvent.objects.count()

    rejected = s.as_(ao).post(f"{dep}/reject/", {"reason": "The radius is too wide."})
    assert rejected["status"] == "rejected"
    assert rejected["rejection_reason"] == "The radius is too wide."
    edited = s.as_(planner).post(f"{dep}/update/", {"radius_m": 80})
    assert (edited["status"], edited["radius_m"]) == ("draft", 80)
    cancelled = s.post(f"{dep}/cancel/", {"reason": "The event moved."})
    assert cancelled["status"] == "cancelled"

    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [(e.action, e.actor_id, e.reason) for e in events] == [
        ("deployment.reject", ao.pk, "The radius is too wide."),
        ("deployment.update", planner.pk, ""),
        ("deployment.cancel", planner.pk, "The event moved."),
    ]
    assert events[1].changes["radius_m"] == [150, 80]
    assert {e.client_address for e in events} == {"127.0.0.1"}
