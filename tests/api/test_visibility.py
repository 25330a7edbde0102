"""Who sees what: 404 for what a role may not see, four eyes, no biometrics for compliance."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from lfr_portal.models import REQUIRED_DOCUMENTS, AuditEvent, Deployment, EntryStatus, Role
from lfr_portal.permissions import grant_operator
from tests import builders
from tests.api.conftest import call
from tests.api.endpoints import WRITE_ENDPOINTS, create_body
from tests.factories import (
    AlertFactory,
    BookingFactory,
    DeploymentFactory,
    DocumentFactory,
    EntryFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

BIOMETRIC_KEYS = {"has_image", "has_crop"}
NEVER_SHOWN = ("embedding", "reference_image", "crop", "watchlist/", "alerts/")


def _keys(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _keys(value)
    elif isinstance(data, list):
        for item in data:
            yield from _keys(item)


def test_an_unassigned_operator_gets_404_for_the_deployment_and_its_alerts(api, operator):
    alert = AlertFactory()
    api.force_authenticate(operator)

    assert api.get(f"/api/deployments/{alert.deployment.public_id}/").status_code == 404
    assert api.get(f"/api/alerts/{alert.public_id}/").status_code == 404
    response = api.post(
        f"/api/alerts/{alert.public_id}/adjudicate/", {"adjudication": "false_alert"}
    )
    assert response.status_code == 404
    listing = api.get("/api/alerts/", {"deployment": str(alert.deployment.public_id)})
    assert listing.status_code == 200
    assert listing.json()["count"] == 0


def test_an_assigned_operator_sees_only_their_own_deployments_alerts(api, operator):
    mine = AlertFactory()
    grant_operator(operator, mine.deployment)
    AlertFactory()  # another deployment's
    api.force_authenticate(operator)

    listing = api.get("/api/alerts/").json()

    assert [a["public_id"] for a in listing["results"]] == [str(mine.public_id)]


def test_a_field_officer_cannot_see_a_draft(api, field_officer):
    draft = DeploymentFactory()
    api.force_authenticate(field_officer)

    assert api.get(f"/api/deployments/{draft.public_id}/").status_code == 404
    assert api.get(f"/api/deployments/{draft.public_id}/signage/").status_code == 404
    assert str(draft.public_id) not in api.get("/api/deployments/").content.decode()


def test_a_planner_cannot_approve(api, planner):
    deployment = builders.submitted()
    api.force_authenticate(planner)

    response = api.post(f"/api/deployments/{deployment.public_id}/approve/", {}, format="json")

    assert response.status_code == 403
    deployment.refresh_from_db()
    assert deployment.status == "submitted"


def test_a_planner_who_is_also_an_ao_cannot_approve_their_own_draft(api):
    officer = user_with_role(Role.AUTHORISING_OFFICER)
    officer.groups.add(Group.objects.get(name=Role.DEPLOYMENT_PLANNER))
    api.force_authenticate(officer)
    created = api.post("/api/deployments/create/", create_body(), format="json")
    assert created.status_code == 201, created.content
    deployment = Deployment.objects.get(public_id=created.json()["public_id"])
    for kind in REQUIRED_DOCUMENTS:
        DocumentFactory(deployment=deployment, kind=kind)
    BookingFactory(deployment=deployment)
    builders.authorised_watchlist(deployment)
    submitted = api.post(f"/api/deployments/{deployment.public_id}/submit/")
    assert submitted.status_code == 200, submitted.content

    response = api.post(f"/api/deployments/{deployment.public_id}/approve/", {}, format="json")

    assert response.status_code == 403
    assert response.json()["rule"] == "four_eyes"
    deployment.refresh_from_db()
    assert deployment.status == "submitted"


def test_the_manager_who_added_an_entry_cannot_approve_it(api, manager):
    entry = EntryFactory(added_by=manager)
    api.force_authenticate(manager)

    response = api.post(f"/api/watchlist-entries/{entry.public_id}/approve/")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You added this entry or changed its photograph or details, so you may not "
        "approve it: a second person who did neither must decide (four eyes).",
        "rule": "four_eyes",
    }


# Compliance officers change nothing but which signage photos the public page shows,
# and the later outcome of an arrest (charged, cautioned...) when it becomes known,
# and the review of evidence holds (extend or release, with a reason).
COMPLIANCE_WRITES = {
    "POST /api/signage/{public_id}/publish/",
    "POST /api/signage/{public_id}/withdraw/",
    "POST /api/engagements/{public_id}/later-outcome/",
    "POST /api/holds/{public_id}/extend/",
    "POST /api/holds/{public_id}/release/",
    # The policy library: its documents, versions and what the public may read.
    "POST /api/policies/create/",
    "POST /api/policies/{public_id}/versions/upload/",
    "POST /api/policy-versions/{public_id}/publishable/",
    # A subject access lookup changes nothing; it is a POST so the reference stays out of URLs.
    "POST /api/subject-access/",
    # Complaints about LFR use: recorded and closed by compliance (or an authorising officer).
    "POST /api/complaints/record/",
    "POST /api/complaints/{public_id}/outcome/",
    # EU AI Act mode: compliance officers often send the notices to the authorities.
    "POST /api/deployments/{public_id}/eu/notices/",
}


def test_compliance_writes_only_signage_photo_publication():
    assert {e.label for e in WRITE_ENDPOINTS if Role.COMPLIANCE_OFFICER in e.allowed} == (
        COMPLIANCE_WRITES
    )


@pytest.mark.parametrize(
    "endpoint",
    [e for e in WRITE_ENDPOINTS if e.label not in COMPLIANCE_WRITES],
    ids=lambda e: e.label,
)
def test_compliance_can_write_nothing_else(api, roles, compliance, endpoint):
    request = endpoint.setup(roles)
    events_before = AuditEvent.objects.count()

    response = call(api, compliance, endpoint, request)

    assert response.status_code == 403
    assert AuditEvent.objects.count() == events_before


def _entry_with_image():
    entry = EntryFactory(status=EntryStatus.PENDING)
    entry.reference_image.save("face.png", ContentFile(b"not really a png"), save=False)
    entry.embedding = b"\x00" * 16
    entry.save()
    return entry


def test_compliance_reads_entries_and_alerts_without_any_biometric_field(api, compliance):
    entry = _entry_with_image()
    alert = AlertFactory(entry=entry, deployment=entry.watchlist.deployment)
    alert.crop.save("crop.png", ContentFile(b"crop"), save=True)
    api.force_authenticate(compliance)

    responses = [
        api.get(f"/api/watchlists/{entry.watchlist.public_id}/entries/"),
        api.get("/api/alerts/"),
        api.get(f"/api/alerts/{alert.public_id}/"),
    ]

    for response in responses:
        assert response.status_code == 200
        data = response.json()
        assert BIOMETRIC_KEYS.isdisjoint(_keys(data))
        text = json.dumps(data)
        for fragment in NEVER_SHOWN:
            assert fragment not in text
    assert responses[0].json()["results"][0]["reference_number"] == entry.reference_number
    assert responses[2].json()["entry_reference"] == entry.reference_number


@pytest.mark.parametrize("role", [Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER])
def test_roles_that_may_see_biometrics_get_only_a_flag_for_the_image(api, role):
    entry = _entry_with_image()
    api.force_authenticate(user_with_role(role))

    response = api.get(f"/api/watchlists/{entry.watchlist.public_id}/entries/")

    result = response.json()["results"][0]
    assert result["has_image"] is True
    text = json.dumps(response.json())
    for fragment in NEVER_SHOWN:
        assert fragment not in text


def test_an_operator_sees_whether_an_alert_holds_a_crop_but_never_the_crop(api, operator):
    alert = AlertFactory()
    alert.crop.save("crop.png", ContentFile(b"crop"), save=True)
    grant_operator(operator, alert.deployment)
    api.force_authenticate(operator)

    data = api.get(f"/api/alerts/{alert.public_id}/").json()

    assert data["has_crop"] is True
    assert "crop.png" not in json.dumps(data)
