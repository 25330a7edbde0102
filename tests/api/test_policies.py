"""The policy library and subject access as an API client sees them."""

import hashlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.models import AuditEvent, EntryStatus, PolicyVersion
from tests import policy_builders as lib
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db


def _upload(api, document, upload, **extra):
    today = timezone.localdate()
    body = {
        "file": upload,
        "issued_on": today.isoformat(),
        "review_by": (today + timedelta(days=365)).isoformat(),
        "change_summary": "First issue.",
        **extra,
    }
    return api.post(
        f"/api/policies/{document.public_id}/versions/upload/", body, format="multipart"
    )


def test_an_upload_answers_the_servers_hash_and_any_retention_difference(api, ao, settings):
    settings.LFR_ALERT_RETENTION = timedelta(days=31)
    document = lib.document(ao)
    api.force_authenticate(ao)
    response = _upload(api, document, lib.pdf_file(), stated_retention='{"alert_images": 90}')
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == 1 and data["content_type"] == "application/pdf"
    assert data["sha256"] == hashlib.sha256(lib.PDF).hexdigest()
    assert data["retention_differences"] == [
        "Alert images and captured crops: the document states 90 days; the rule in force "
        "is 31 days."
    ]
    listed = api.get("/api/policies/").json()["results"]
    assert [v["sha256"] for d in listed for v in d["versions"]] == [data["sha256"]]


@pytest.mark.parametrize(
    ("extra", "upload", "field"),
    [
        ({}, SimpleUploadedFile("a.pdf", b"\x00\x01\x02binary"), "file"),
        ({"stated_retention": "not json"}, None, "stated_retention"),
        ({"stated_retention": '{"alert_images": "long"}'}, None, "stated_retention"),
        ({"change_summary": " "}, None, "change_summary"),
    ],
)
def test_a_refused_upload_names_its_field(api, compliance, extra, upload, field):
    document = lib.document(compliance)
    api.force_authenticate(compliance)
    response = _upload(api, document, upload or lib.text_file(), **extra)
    assert response.status_code == 400
    body = response.json()
    assert field in body or body.get("field") == field, body
    assert not PolicyVersion.objects.exists()


def test_publishing_and_withdrawing_over_the_api(api, compliance):
    version = lib.version(actor=compliance)
    api.force_authenticate(compliance)
    url = f"/api/policy-versions/{version.public_id}/publishable/"
    assert api.post(url, {"publishable": True}, format="json").json()["publishable"] is True
    refused = api.post(url, {"publishable": False}, format="json")
    assert refused.status_code == 400 and refused.json()["field"] == "reason"
    again = api.post(url, {"publishable": True}, format="json")
    assert again.status_code == 409
    done = api.post(url, {"publishable": False, "reason": "Wrong file."}, format="json")
    assert done.json()["publishable"] is False


def test_pinning_over_the_api_answers_the_pins(api, planner, compliance):
    version = lib.version(actor=compliance)
    deployment = DeploymentFactory(created_by=planner)
    api.force_authenticate(planner)
    base = f"/api/deployments/{deployment.public_id}/policy-pins/"
    pins = api.post(base + "add/", {"version": str(version.public_id)}, format="json").json()
    assert [(p["version"], p["sha256"], p["number"]) for p in pins] == [
        (str(version.public_id), version.sha256, 1)
    ]
    twice = api.post(base + "add/", {"version": str(version.public_id)}, format="json")
    assert twice.status_code == 400
    assert (
        api.post(base + "remove/", {"version": str(version.public_id)}, format="json").json() == []
    )


def test_subject_access_over_the_api(api, compliance):
    entry = EntryFactory(reference_number="CUST/API/1", status=EntryStatus.APPROVED)
    AlertFactory(deployment=entry.watchlist.deployment, entry=entry)
    api.force_authenticate(compliance)
    response = api.post("/api/subject-access/", {"reference": "CUST/API/1"}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert data["alert_count"] == 1
    [line] = data["deployments"]
    assert line["deployment"] == str(entry.watchlist.deployment.public_id)
    assert line["category"] == "Wanted by police or courts" and line["on_the_list"] is True
    assert line["sources"] == ["alert", "entry"]
    assert entry.display_name not in response.content.decode()
    assert AuditEvent.objects.filter(action="subject_access.lookup").count() == 1
