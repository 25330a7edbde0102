"""Evidence holds and the evidence bundle through the API: filters, refusals as errors."""

import io
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.audit_chain import load_public_key
from lfr_portal.audit_verify import verify_evidence_bundle
from lfr_portal.models import AlertHold, AuditEvent
from lfr_portal.services import audit
from lfr_portal.services import holds as hold_services
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


def _day(days):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _hold(ao, days):
    return hold_services.alert_hold_place(
        actor=ao,
        alert=AlertFactory(),
        reason="Evidence",
        review_by=timezone.localdate() + timedelta(days=days),
    )


@override_settings(LFR_HOLD_REMINDER_DAYS=14)
def test_the_list_filters_by_state(api, ao, compliance):
    due, active = _hold(ao, 5), _hold(ao, 100)
    released = _hold(ao, 100)
    hold_services.alert_hold_release(actor=ao, hold=released, reason="done")
    api.force_authenticate(compliance)

    def ids(state):
        body = api.get("/api/holds/", {"state": state}).json()
        return {row["public_id"] for row in body["results"]}

    assert ids("due") == {str(due.public_id)}
    assert ids("active") == {str(due.public_id), str(active.public_id)}
    assert ids("released") == {str(released.public_id)}
    assert ids("lapsed") == set()
    assert api.get("/api/holds/", {"state": "forever"}).status_code == 400
    detail = api.get(f"/api/holds/{due.public_id}/").json()
    assert detail["state"] == "due" and detail["review_by"] == _day(5)


def test_placing_needs_a_reason_and_a_future_date(api, ao):
    alert = AlertFactory()
    api.force_authenticate(ao)
    url = f"/api/alerts/{alert.public_id}/holds/place/"
    response = api.post(url, {"reason": "x", "review_by": _day(0)}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "review_by"
    response = api.post(url, {"review_by": _day(10)}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert not AlertHold.objects.exists()
    response = api.post(
        url, {"reason": "R v Smith", "review_by": _day(10), "custody_reference": "C/9"}, "json"
    )
    assert response.status_code == 201
    assert response.json()["custody_reference"] == "C/9"
    assert api.post(f"/api/alerts/{uuid.uuid4()}/holds/place/", {}, "json").status_code == 404


def test_extend_and_release_refusals_are_errors(api, ao, compliance):
    hold = _hold(ao, 30)
    api.force_authenticate(compliance)
    extend = f"/api/holds/{hold.public_id}/extend/"
    response = api.post(extend, {"review_by": _day(20), "reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["field"] == "review_by"
    response = api.post(extend, {"review_by": _day(60), "reason": "Adjourned"}, format="json")
    assert response.status_code == 200 and response.json()["review_by"] == _day(60)
    release = f"/api/holds/{hold.public_id}/release/"
    assert api.post(release, {"reason": " "}, format="json").status_code == 400
    assert api.post(release, {"reason": "Acquitted"}, format="json").status_code == 200
    # The wrong state: a released hold is neither released again nor extended.
    assert api.post(release, {"reason": "again"}, format="json").status_code == 409
    response = api.post(extend, {"review_by": _day(90), "reason": "x"}, format="json")
    assert response.status_code == 409
    assert AuditEvent.objects.filter(action="alert.hold_release").count() == 1


def test_the_evidence_bundle_downloads_and_verifies(api, compliance):
    alert = AlertFactory()
    api.force_authenticate(compliance)
    response = api.get(f"/api/alerts/{alert.public_id}/evidence-bundle/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]
    zipfile.ZipFile(io.BytesIO(response.content)).testzip()
    key = load_public_key(audit.public_key_pem())
    assert verify_evidence_bundle(response.content, key).startswith("OK:")
    assert AuditEvent.objects.filter(action="alert.evidence_bundle_export").count() == 1
    assert api.get(f"/api/alerts/{uuid.uuid4()}/evidence-bundle/").status_code == 404


def test_the_list_costs_the_same_for_one_hold_or_twenty(api, ao, compliance):
    def count():
        api.force_authenticate(get_user_model().objects.get(pk=compliance.pk))
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/holds/?state=active")
        assert response.status_code == 200
        return response.json()["count"], len(queries)

    _hold(ao, 30)
    count()  # warms process-wide caches
    one = count()
    for _ in range(19):
        _hold(ao, 30)
    many = count()
    assert (one[0], many[0]) == (1, 20)
    assert one[1] == many[1]
