"""The policy library page, its forms and downloads, and the pins section of the
deployment page: who sees what, who is refused, and what the page says."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.models import AuditEvent, PolicyDocument, PolicyVersion
from lfr_portal.services import policies as services
from tests import builders
from tests import policy_builders as lib
from tests.factories import DeploymentFactory

pytestmark = pytest.mark.django_db
ROLES = ["planner", "ao", "manager", "operator", "field_officer", "compliance"]
NOT_MANAGERS = ["planner", "manager", "operator", "field_officer"]


def _upload_post(document, upload=None, **extra):
    today = timezone.localdate()
    return {
        "ver-document": str(document.public_id),
        "ver-file": upload or lib.text_file(),
        "ver-issued_on": today.isoformat(),
        "ver-review_by": (today + timedelta(days=365)).isoformat(),
        "ver-change_summary": "First issue.",
        **extra,
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_library(client, request, compliance, role):
    version = lib.version(actor=compliance)
    client.force_login(request.getfixturevalue(role))
    response = client.get("/policies/")
    page = response.content.decode()
    assert response.status_code == 200
    assert version.document.title in page and version.sha256 in page
    manager = role in ("ao", "compliance")
    assert ("Upload version" in page) is manager
    assert ("Mark publishable" in page) is manager


def test_the_library_highlights_overdue_reviews_and_retention_differences(
    client, compliance, settings
):
    settings.LFR_ALERT_RETENTION = timedelta(days=31)
    today = timezone.localdate()
    lib.version(
        actor=compliance,
        issued_on=today - timedelta(days=400),
        review_by=today - timedelta(days=2),
        stated_retention={"alert_images": 28},
    )
    fine = lib.version(actor=compliance, stated_retention={"alert_images": 31})
    client.force_login(compliance)
    page = client.get("/policies/").content.decode()
    assert page.count('data-overdue="1"') == 1 and "review overdue" in page
    assert page.count('data-retention-warning="1"') == 1
    assert "the document states 28 days; the rule in force is 31 days" in page
    row = page.split(f'data-document="{fine.document.public_id}"')[1].split("</tr>")[0]
    assert "As the rules in force." in row


def test_the_library_page_reads_in_a_fixed_number_of_queries(
    client, compliance, django_assert_max_num_queries
):
    for _ in range(3):
        document = lib.document(compliance)
        lib.version(document, compliance)
        lib.version(document, compliance, change_summary="Second.")
    client.force_login(compliance)
    with django_assert_max_num_queries(12):
        assert client.get("/policies/").status_code == 200


def test_an_upload_through_the_page_warns_of_retention_differences(client, compliance, settings):
    settings.LFR_ALERT_RETENTION = timedelta(days=31)
    document = lib.document(compliance)
    client.force_login(compliance)
    response = client.post(
        "/policies/versions/upload/",
        _upload_post(document, **{"ver-retention_alert_images": "30"}),
        follow=True,
    )
    page = response.content.decode()
    version = PolicyVersion.objects.get()
    assert version.stated_retention == {"alert_images": 30}
    assert f"SHA-256 {version.sha256}" in page
    assert "Warning:" in page and "the document states 30 days" in page


def test_a_refused_file_is_named_next_to_its_field(client, compliance):
    document = lib.document(compliance)
    client.force_login(compliance)
    png = SimpleUploadedFile("policy.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    response = client.post("/policies/versions/upload/", _upload_post(document, png))
    assert response.status_code == 400
    assert "not a PDF, an OpenDocument text" in response.context["version_form"].errors["file"][0]
    assert b'id="id_ver-file_error"' in response.content
    assert not PolicyVersion.objects.exists()


@pytest.mark.parametrize("role", NOT_MANAGERS)
def test_other_roles_are_refused_every_library_change(client, request, compliance, role):
    version = lib.version(actor=compliance)
    before = AuditEvent.objects.count()
    client.force_login(request.getfixturevalue(role))
    responses = [
        client.post("/policies/documents/new/", {"doc-kind": "sop", "doc-title": "New SOP"}),
        client.post("/policies/versions/upload/", _upload_post(version.document)),
        client.post(f"/policies/versions/{version.public_id}/publishable/", {"publishable": "1"}),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404]
    assert PolicyDocument.objects.count() == 1 and PolicyVersion.objects.count() == 1
    version.refresh_from_db()
    assert not version.publishable
    assert AuditEvent.objects.count() == before


def test_a_manager_adds_a_document_and_publishes_and_withdraws_a_version(client, ao):
    client.force_login(ao)
    response = client.post("/policies/documents/new/", {"doc-kind": "sop", "doc-title": "SOP"})
    assert response.status_code == 302
    document = PolicyDocument.objects.get(title="SOP")
    version = lib.version(document, ao)
    url = f"/policies/versions/{version.public_id}/publishable/"
    client.post(url, {"publishable": "1"})
    version.refresh_from_db()
    assert version.publishable
    page = client.post(url, {"publishable": "0", "reason": ""}, follow=True).content.decode()
    assert "needs a reason" in page
    version.refresh_from_db()
    assert version.publishable
    client.post(url, {"publishable": "0", "reason": "Wrong file."})
    version.refresh_from_db()
    assert not version.publishable


@pytest.mark.parametrize("role", ROLES)
def test_staff_download_any_version_as_an_attachment(client, request, compliance, role):
    version = lib.version(actor=compliance, upload=lib.pdf_file())
    client.force_login(request.getfixturevalue(role))
    response = client.get(f"/policies/versions/{version.public_id}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == lib.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_downloads_and_the_library_need_a_login(client, compliance):
    version = lib.version(actor=compliance)
    for url in ("/policies/", f"/policies/versions/{version.public_id}/download/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the deployment page's pins ----------------------------------------------------------


def test_the_planner_pins_from_the_deployment_page(client, planner, compliance):
    version = lib.version(actor=compliance)
    deployment = DeploymentFactory(created_by=planner)
    client.force_login(planner)
    page = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert "Policy versions relied on" in page and "Pin version" in page
    response = client.post(
        f"/deployments/{deployment.public_id}/policy-pins/", {"version": str(version.public_id)}
    )
    assert response.status_code == 302
    assert deployment.policy_pins.get().version == version
    page = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert f'data-pin="{version.public_id}"' in page and version.sha256 in page


@pytest.mark.parametrize("role", ["manager", "compliance"])
def test_other_roles_see_the_pins_but_cannot_pin(client, request, planner, compliance, role):
    version = lib.version(actor=compliance)
    deployment = DeploymentFactory(created_by=planner)
    client.force_login(request.getfixturevalue(role))
    page = client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert "Policy versions relied on" in page and "Pin version" not in page
    before = AuditEvent.objects.count()
    response = client.post(
        f"/deployments/{deployment.public_id}/policy-pins/", {"version": str(version.public_id)}
    )
    assert response.status_code in (302, 404)
    assert not deployment.policy_pins.exists()
    assert AuditEvent.objects.count() == before


def test_the_review_page_shows_the_pins_and_warns_of_a_newer_version(client, ao, compliance):
    first = lib.version(actor=compliance)
    deployment = builders.submitted()
    services.deployment_policy_pin(actor=ao, deployment=deployment, version=first)
    lib.version(first.document, compliance, change_summary="Revised.")
    client.force_login(ao)
    page = client.get(f"/deployments/{deployment.public_id}/review/").content.decode()
    assert "Policy versions relied on" in page
    assert "version 2" in page and "newer than the pinned version 1" in page
    # A warning only: approval is still offered.
    assert 'name="approve"' in page and "cannot be approved yet" not in page
