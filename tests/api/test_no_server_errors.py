"""Each input that gave a 500 in the outside probe now answers 400 naming the field."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from lfr_portal.models import Deployment, DeploymentStatus
from tests.api.endpoints import create_body, entry_body
from tests.factories import DeploymentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]
)  # before year 1, or after 9999, once made UTC
@pytest.mark.parametrize("name", ["starts_after", "starts_before"])
def test_a_datetime_filter_out_of_range_in_utc_is_a_400(api, compliance, name, value):
    DeploymentFactory()
    api.force_authenticate(compliance)
    response = api.get("/api/deployments/", {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()


@pytest.mark.parametrize("hours", [20, -23, 14])
def test_a_datetime_filter_with_any_offset_python_reads_filters_in_utc(api, compliance, hours):
    # PostgreSQL refuses offsets past about 16 hours; the filter converts to UTC first.
    deployment = DeploymentFactory(status=DeploymentStatus.SUBMITTED)
    api.force_authenticate(compliance)
    zone = timezone.get_fixed_timezone(hours * 60 + (59 if hours < 0 else 0) * -1)
    before = (deployment.starts_at - timedelta(minutes=1)).astimezone(zone)
    after = (deployment.starts_at + timedelta(minutes=1)).astimezone(zone)
    found = api.get("/api/deployments/", {"starts_after": before.isoformat()})
    missed = api.get("/api/deployments/", {"starts_after": after.isoformat()})
    assert found.status_code == missed.status_code == 200, found.content
    assert [row["public_id"] for row in found.json()["results"]] == [str(deployment.public_id)]
    assert missed.json()["results"] == []


def _nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 200, 100_000])
@pytest.mark.parametrize("user", ["planner", "operator", "field_officer"])
def test_a_deeply_nested_json_body_is_a_400_for_every_role(api, request, user, depth):
    api.force_authenticate(request.getfixturevalue(user))
    body = '{"title": ' + _nested(depth) + "}"
    response = api.post("/api/deployments/create/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "nested" in response.json()["detail"]
    assert not Deployment.objects.exists()


def test_ordinary_nesting_is_still_read(api, planner):
    api.force_authenticate(planner)
    body = create_body()
    response = api.post("/api/deployments/create/", body, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("missing", ["ends_at", "starts_at"])
def test_a_draft_with_half_a_window_is_refused_naming_the_missing_end(api, planner, missing):
    api.force_authenticate(planner)
    body = create_body()
    body.pop(missing)
    response = api.post("/api/deployments/create/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["field"] == missing
    assert not Deployment.objects.exists()


def test_an_update_cannot_clear_one_end_of_the_window(api, planner):
    deployment = DeploymentFactory(created_by=planner)
    api.force_authenticate(planner)
    response = api.post(
        f"/api/deployments/{deployment.public_id}/update/", {"ends_at": None}, format="json"
    )
    assert response.status_code == 400, response.content
    deployment.refresh_from_db()
    assert deployment.ends_at is not None


def test_the_schedule_page_survives_a_bad_row_already_saved(client, ao, planner):
    # A row saved before the rule (or by hand): the page must still answer every role.
    no_end, no_start, whole = (
        DeploymentFactory(status=DeploymentStatus.SUBMITTED) for _ in range(3)
    )
    Deployment.objects.filter(pk=no_end.pk).update(ends_at=None)
    Deployment.objects.filter(pk=no_start.pk).update(starts_at=None)
    for user in (ao, planner):
        client.force_login(user)
        for path in ("/schedule/", "/schedule/?month=9999-12", "/schedule/?month=0001-01"):
            response = client.get(path)
            assert response.status_code == 200, path
        assert whole.title.encode() in client.get("/schedule/").content


@pytest.mark.parametrize("method", ["options", "head", "get"])
def test_the_api_description_page_answers_every_method(client, planner, method):
    client.force_login(planner)
    response = getattr(client, method)("/api/schema/ui/")
    assert response.status_code == (405 if method == "options" else 200)


def _wide_png(width, height=1):
    buffer = BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(buffer, "PNG")
    return SimpleUploadedFile("wide.png", buffer.getvalue(), "image/png")


@pytest.mark.parametrize("size", [(70_000, 1), (1, 70_000)])
def test_an_image_larger_than_jpeg_allows_is_a_400_naming_the_limit(api, manager, size):
    deployment = DeploymentFactory()
    api.force_authenticate(manager)
    response = api.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/",
        {**entry_body(), "reference_image": _wide_png(*size)},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["field"] == "reference_image" and "65,500" in body["detail"]


@pytest.mark.parametrize(
    ("value", "stored"),
    [("2026-12-03T10:00+20:00", True), ("0001-01-01T00:00+01:00", False)],
)
def test_the_draft_form_takes_any_offset_or_names_the_field(client, planner, value, stored):
    from tests.views.test_screens import draft_post

    client.force_login(planner)
    end = value.replace("T10:00", "T12:00").replace("T00:00", "T02:00")
    response = client.post("/deployments/new/", draft_post(starts_at=value, ends_at=end))
    if stored:
        assert response.status_code == 302
        deployment = Deployment.objects.get()
        assert deployment.starts_at.isoformat() == "2026-12-02T14:00:00+00:00"
    else:
        assert response.status_code == 200
        assert "out of range" in response.context["form"].errors["starts_at"][0]
        assert not Deployment.objects.exists()


@pytest.mark.parametrize("action", ["assign", "remove"])
def test_a_null_character_in_a_looked_up_name_is_a_400_naming_the_field(api, planner, action):
    # Found by the fuzz run: a username with NUL reached PostgreSQL, which refuses it.
    deployment = DeploymentFactory(created_by=planner)
    api.force_authenticate(planner)
    response = api.post(
        f"/api/deployments/{deployment.public_id}/operators/{action}/",
        {"operator": "op\x00erator"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "Null characters are not allowed." in str(response.json()["operator"])
