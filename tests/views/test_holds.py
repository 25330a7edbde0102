"""The hold pages: list with markers, extend and release forms, Place hold, the bundle."""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.utils import timezone

from lfr_portal.models import AlertHold, AuditEvent
from lfr_portal.services import holds as hold_services
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


def _day(days):
    return timezone.localdate() + timedelta(days=days)


def _hold(ao, days, alert=None):
    return hold_services.alert_hold_place(
        actor=ao, alert=alert or AlertFactory(), reason="Evidence", review_by=_day(days)
    )


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_the_list_marks_holds_due_soon_and_lapsed(client, ao, compliance):
    due = _hold(ao, 3)
    lapsed = _hold(ao, 1)
    AlertHold.objects.filter(pk=lapsed.pk).update(review_by=_day(-2))
    _hold(ao, 100)
    client.force_login(compliance)
    page = client.get("/holds/").content.decode()
    assert page.count(">Due soon</strong>") == 1 and page.count(">Lapsed</strong>") == 1
    assert page.count("data-hold=") == 3
    only_due = client.get("/holds/?state=due").content.decode()
    assert only_due.count("data-hold=") == 1 and str(due.public_id) in only_due


@pytest.mark.parametrize("role", ["operator", "field_officer", "planner", "manager"])
def test_other_roles_get_404(client, ao, role, request):
    hold = _hold(ao, 30)
    client.force_login(request.getfixturevalue(role))
    for url in (
        "/holds/",
        f"/holds/{hold.public_id}/",
        f"/alerts/{hold.alert.public_id}/evidence/",
        f"/alerts/{hold.alert.public_id}/evidence-bundle.zip",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/holds/{hold.public_id}/release/", {"reason": "x"})
    assert response.status_code == 404
    hold.refresh_from_db()
    assert hold.released_at is None


def test_extend_and_release_from_the_hold_page(client, ao, compliance):
    hold = _hold(ao, 30)
    client.force_login(compliance)
    url = f"/holds/{hold.public_id}/"
    assert "Extend the hold" in client.get(url).content.decode()
    refused = client.post(url + "extend/", {"review_by": _day(10).isoformat(), "reason": "x"})
    assert refused.status_code == 400
    assert "later than" in refused.content.decode()
    done = client.post(url + "extend/", {"review_by": _day(50).isoformat(), "reason": "Adjourned"})
    assert done.status_code == 302
    hold.refresh_from_db()
    assert hold.review_by == _day(50)
    assert client.post(url + "release/", {"reason": ""}).status_code == 400
    assert client.post(url + "release/", {"reason": "Acquitted"}).status_code == 302
    hold.refresh_from_db()
    assert hold.released_by == compliance
    assert "Release the hold" not in client.get(url).content.decode()


def test_place_hold_on_the_alert_page_is_offered_to_authorising_officers(client, ao, compliance):
    alert = AlertFactory()
    alert.crop.save("crop.jpg", ContentFile(b"crop"), save=True)
    url = f"/alerts/{alert.public_id}/evidence/"
    client.force_login(compliance)
    assert "Place hold" not in client.get(url).content.decode()
    client.force_login(ao)
    assert "Place hold" in client.get(url).content.decode()
    refused = client.post(
        url.replace("evidence/", "holds/place/"),
        {"reason": "R v Smith", "review_by": _day(0).isoformat()},
    )
    assert refused.status_code == 400 and "future" in refused.content.decode()
    placed = client.post(
        url.replace("evidence/", "holds/place/"),
        {"reason": "R v Smith", "review_by": _day(30).isoformat(), "custody_reference": "C/4"},
    )
    assert placed.status_code == 302
    assert AlertHold.objects.get(alert=alert).custody_reference == "C/4"


def test_the_bundle_downloads_from_the_page(client, compliance):
    alert = AlertFactory()
    client.force_login(compliance)
    response = client.get(f"/alerts/{alert.public_id}/evidence-bundle.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert {"manifest.json", "audit.jsonl", "signature.json"} <= set(names)
    assert AuditEvent.objects.filter(action="alert.evidence_bundle_export").exists()
