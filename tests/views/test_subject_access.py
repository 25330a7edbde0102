"""The DPO's subject access page: only compliance officers reach it, the answer shows
deployments, category and alerts without a name, and each lookup is audited."""

import pytest

from lfr_portal.models import Adjudication, AuditEvent, EntryCategory, EntryStatus
from tests.factories import AlertFactory, EntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    entry = EntryFactory(
        reference_number="CUST/77/2026",
        display_name="Jane Example",
        category=EntryCategory.MISSING_OR_VULNERABLE,
        status=EntryStatus.APPROVED,
    )
    AlertFactory(
        deployment=entry.watchlist.deployment, entry=entry, adjudication=Adjudication.CONFIRMED
    )
    return entry


def test_the_dpo_looks_up_a_reference(client, compliance, entry):
    client.force_login(compliance)
    assert client.get("/subject-access/").status_code == 200
    assert not AuditEvent.objects.filter(action="subject_access.lookup").exists()
    response = client.post("/subject-access/", {"reference": "cust/77/2026"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-answer="1"' in page
    assert entry.watchlist.deployment.title in page
    assert "Missing or vulnerable person" in page and "Confirmed match" in page
    assert "Jane Example" not in page and entry.reason not in page
    assert "/images/" not in page
    row = AuditEvent.objects.get(action="subject_access.lookup")
    assert row.changes["reference"] == "cust/77/2026" and row.changes["alerts"] == 1


def test_a_reference_on_no_list_says_so(client, compliance, entry):
    client.force_login(compliance)
    page = client.post("/subject-access/", {"reference": "NOBODY/1"}).content.decode()
    assert 'data-empty="1"' in page
    assert AuditEvent.objects.filter(action="subject_access.lookup").count() == 1


def test_an_empty_reference_is_named_next_to_its_field(client, compliance):
    client.force_login(compliance)
    response = client.post("/subject-access/", {"reference": "   "})
    assert response.status_code == 400
    assert b'id="id_reference_error"' in response.content
    assert not AuditEvent.objects.filter(action="subject_access.lookup").exists()


@pytest.mark.parametrize("role", ["ao", "planner", "manager", "operator", "field_officer"])
def test_other_roles_are_refused_the_page(client, request, entry, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get("/subject-access/").status_code == 404
    assert client.post("/subject-access/", {"reference": entry.reference_number}).status_code == 404
    assert not AuditEvent.objects.filter(action="subject_access.lookup").exists()


def test_the_page_needs_a_login(client):
    response = client.get("/subject-access/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
