"""Open data: CSV and JSON at stable URLs, the Atom feed, and their OpenAPI description."""

import csv
import io
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from lfr_portal.models import Adjudication, DeploymentStatus
from tests.factories import AlertFactory
from tests.transparency.conftest import public_deployment

S = DeploymentStatus
ATOM = "{http://www.w3.org/2005/Atom}"
OPEN_DATA_PATHS = {
    "/transparency/deployments.json",
    "/transparency/deployments.csv",
    "/transparency/deployments/{public_id}.json",
    "/transparency/totals.json",
}


@pytest.mark.django_db
def test_csv_and_json_hold_the_same_records(client):
    deployment = public_deployment(faces_processed=4321)
    AlertFactory(deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    public_deployment(S.APPROVED, went_live_at=None)

    records = client.get("/transparency/deployments.json").json()["deployments"]
    response = client.get("/transparency/deployments.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == len(records) == 2
    for record, row in zip(records, rows, strict=True):
        assert set(row) <= set(record)
        for name, value in row.items():
            expected = record[name]
            if isinstance(expected, bool):
                expected = "true" if expected else "false"
            assert value == ("" if expected is None else str(expected)) or (
                float(value) == float(expected)
            ), name
    assert {r["status"] for r in rows} == {"completed", "planned"}


@pytest.mark.django_db
def test_open_data_answers_in_its_own_format_whatever_the_accept_header(client):
    public_deployment()
    csv_answer = client.get("/transparency/deployments.csv", HTTP_ACCEPT="application/json")
    assert csv_answer.status_code == 200
    assert csv_answer["Content-Type"].startswith("text/csv")
    json_answer = client.get("/transparency/deployments.json", HTTP_ACCEPT="text/html")
    assert json_answer.status_code == 200
    assert json_answer["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_a_bad_filter_in_the_csv_is_a_400_that_names_the_field(client):
    response = client.get("/transparency/deployments.csv", {"to": "yesterday"})
    assert response.status_code == 400
    assert response.content.decode().startswith("field,message")
    assert "to," in response.content.decode()


@pytest.mark.django_db
def test_a_csv_cell_cannot_become_a_spreadsheet_formula(client):
    public_deployment(location_name='=HYPERLINK("http://x")', borough="@Camden")
    rows = list(csv.DictReader(io.StringIO(client.get("/transparency/deployments.csv").text)))
    assert rows[0]["location_name"].startswith("'=")
    assert rows[0]["borough"] == "'@Camden"
    assert float(rows[0]["longitude"]) < 0  # numbers keep their sign


@pytest.mark.django_db
def test_the_deployment_json_has_the_figures_signs_and_retention(client):
    deployment = public_deployment()
    body = client.get(f"/transparency/deployments/{deployment.public_id}.json").json()
    assert body["id"] == str(deployment.public_id)
    assert body["signs"] == []
    assert isinstance(body["retention"], list)
    assert body["watchlist_references_kept"] is False


@pytest.mark.django_db
def test_the_feed_announces_planned_deployments_and_exempt_ones_only_once_live(client):
    now = timezone.now()
    planned = public_deployment(S.APPROVED, went_live_at=None, decided_at=now - timedelta(hours=2))
    exempt_planned = public_deployment(S.APPROVED, went_live_at=None, critical_threat_exempt=True)
    exempt_live = public_deployment(
        S.LIVE, critical_threat_exempt=True, went_live_at=now - timedelta(minutes=5)
    )
    response = client.get("/transparency/announcements.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
    ids = [entry.find(f"{ATOM}id").text for entry in feed.iter(f"{ATOM}entry")]
    # Newest announcement first: the exempt one was announced when it went live.
    assert ids == [f"urn:uuid:{exempt_live.public_id}", f"urn:uuid:{planned.public_id}"]
    assert f"urn:uuid:{exempt_planned.public_id}" not in response.content.decode()
    summaries = [e.find(f"{ATOM}summary").text for e in feed.iter(f"{ATOM}entry")]
    assert "Not announced in advance: critical threat." in summaries[0]


def test_the_open_data_is_in_the_openapi_schema_open_to_anyone():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert set(schema["paths"]) >= OPEN_DATA_PATHS
    for path in OPEN_DATA_PATHS:
        operation = schema["paths"][path]["get"]
        assert operation["tags"] == ["open data"]
        assert operation["security"] == [{}], path  # no authentication
    params = {
        p["name"] for p in schema["paths"]["/transparency/deployments.json"]["get"]["parameters"]
    }
    assert {"from", "to", "borough"} <= params
    csv_answer = schema["paths"]["/transparency/deployments.csv"]["get"]["responses"]["200"]
    assert "text/csv" in csv_answer["content"]


@pytest.mark.django_db
def test_open_data_ignores_a_signed_in_session(client, compliance):
    deployment = public_deployment()
    client.force_login(compliance)
    body = client.get(f"/transparency/deployments/{deployment.public_id}.json").json()
    assert "purpose" not in body and "title" not in body
