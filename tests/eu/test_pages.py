"""EU AI Act mode on screen: the authorisation page's three forms, who may use each (the
server refuses the others), the deployment page's section, and the live view's verify."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import AuditEvent, AuthorityNotification, Deployment
from lfr_portal.permissions import grant_operator
from tests import builders
from tests.factories import AlertFactory
from tests.views.test_screens import draft_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def page(deployment, path=""):
    return f"/deployments/{deployment.public_id}/eu/{path}"


def prefixed(prefix, data):
    return {f"{prefix}-{key}": value for key, value in data.items()}


REQUEST = {"method": "telephone", "reference": "TEL/77"}
NOTICE = {"authority": "data_protection", "authority_name": "CNIL", "method": "written"}


def decision(**overrides):
    return {
        "decision": "granted",
        "authority": "Tribunal judiciaire de Paris",
        "authority_kind": "judicial",
        "decided_at": local(timezone.now() - timedelta(minutes=2)),
        "reference": "JUD/88",
        **overrides,
    }


def test_the_page_exists_only_in_eu_mode(client, ao, settings):
    deployment = builders.submitted()
    client.force_login(ao)
    assert client.get(page(deployment)).status_code == 200
    detail = client.get(f"/deployments/{deployment.public_id}/")
    assert b"EU AI Act authorisation" in detail.content and page(deployment).encode() in (
        detail.content
    )
    settings.LFR_EU_AI_ACT_MODE = False
    assert client.get(page(deployment)).status_code == 404
    assert (
        b"EU AI Act authorisation"
        not in client.get(f"/deployments/{deployment.public_id}/").content
    )


def test_a_planner_records_the_request_and_an_ao_the_decision(client, ao):
    deployment = builders.submitted()
    client.force_login(deployment.created_by)
    response = client.get(page(deployment))
    assert b'action="' + page(deployment, "request/").encode() in response.content
    assert page(deployment, "decision/").encode() not in response.content
    when = timezone.now() - timedelta(minutes=20)
    response = client.post(
        page(deployment, "request/"), prefixed("req", {**REQUEST, "requested_at": local(when)})
    )
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.eu_request_reference == "TEL/77"
    assert deployment.eu_request_recorded_by == deployment.created_by

    client.force_login(ao)
    assert page(deployment, "decision/").encode() in client.get(page(deployment)).content
    future = decision(decided_at=local(timezone.now() + timedelta(hours=2)))
    response = client.post(page(deployment, "decision/"), prefixed("dec", future))
    assert response.status_code == 400
    assert "cannot be in the future" in response.context["decision_form"].errors["decided_at"][0]
    assert b'id="id_dec-decided_at_error"' in response.content
    assert (
        client.post(page(deployment, "decision/"), prefixed("dec", decision())).status_code == 302
    )
    deployment.refresh_from_db()
    assert deployment.eu_authorisation_decision == "granted"
    assert deployment.eu_decision_authority == "Tribunal judiciaire de Paris"
    assert b"Tribunal judiciaire de Paris" in client.get(page(deployment)).content


@pytest.mark.parametrize(
    ("role_fixture", "path", "data"),
    [
        ("operator", "request/", REQUEST),
        ("compliance", "request/", REQUEST),
        ("planner", "decision/", decision()),
        ("compliance", "decision/", decision()),
        ("operator", "decision/", decision()),
        ("operator", "notices/", NOTICE),
        ("manager", "notices/", NOTICE),
    ],
)
def test_each_role_is_refused_what_it_may_not_record(client, request, role_fixture, path, data):
    deployment = builders.submitted()
    user = request.getfixturevalue(role_fixture)
    grant_operator(request.getfixturevalue("operator"), deployment)
    Deployment.objects.filter(pk=deployment.pk).update(
        eu_authorisation_requested_at=timezone.now() - timedelta(hours=1)
    )
    client.force_login(user)
    before = AuditEvent.objects.count()
    moment = local(timezone.now() - timedelta(minutes=5))
    body = {**data, "requested_at": moment, "notified_at": moment}
    prefix = {"request/": "req", "decision/": "dec", "notices/": "notice"}[path]
    response = client.post(page(deployment, path), prefixed(prefix, body))
    assert response.status_code in (403, 404)
    assert AuditEvent.objects.count() == before
    deployment.refresh_from_db()
    assert deployment.eu_authorisation_decision == ""
    assert deployment.eu_request_reference == ""
    assert not AuthorityNotification.objects.exists()


def test_a_compliance_officer_records_a_notice_and_the_deployment_page_lists_it(
    client, compliance, operator
):
    live = builders.live(operator, eu_urgency=True, eu_urgency_reason="Threat to life.")
    client.force_login(compliance)
    detail = client.get(f"/deployments/{live.public_id}/")
    assert b"not yet recorded: market-surveillance authority and data-protection" in (
        detail.content
    )
    notified = local(timezone.now() - timedelta(minutes=3))
    response = client.post(
        page(live, "notices/"), prefixed("notice", {**NOTICE, "notified_at": notified})
    )
    assert response.status_code == 302
    assert AuthorityNotification.objects.get().recorded_by == compliance
    detail = client.get(f"/deployments/{live.public_id}/")
    assert b"Data-protection authority (CNIL)" in detail.content
    assert b"not yet recorded: market-surveillance authority." in detail.content


def test_the_operator_sees_the_deadline_and_verifies_from_the_live_view(client, operator):
    live = builders.live(operator, eu_urgency=True, eu_urgency_reason="Threat to life.")
    client.force_login(operator)
    response = client.get(page(live))
    assert response.status_code == 200 and b"Decision needed by" in response.content
    for path in ("request/", "decision/", "notices/"):
        assert page(live, path).encode() not in response.content  # nothing to record

    alert = AlertFactory(deployment__second_person_verification=True)
    grant_operator(operator, alert.deployment)
    operate = client.get(f"/deployments/{alert.deployment.public_id}/operate/")
    assert f"/alerts/{alert.public_id}/verify/".encode() in operate.content
    feed = f"/deployments/{alert.deployment.public_id}/operate/feed.json"
    (shown,) = client.get(feed).json()["alerts"]
    assert shown["verify_url"] == f"/alerts/{alert.public_id}/verify/" and not shown["verified"]
    response = client.post(f"/alerts/{alert.public_id}/verify/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.verified_by == operator
    assert client.get(feed).json()["alerts"][0]["verified"] is True
    assert (
        b"Verified by" in client.get(f"/deployments/{alert.deployment.public_id}/operate/").content
    )


def test_the_draft_form_takes_the_purpose_and_the_second_person(client, planner):
    client.force_login(planner)
    assert b'name="eu_purpose"' in client.get("/deployments/new/").content
    response = client.post(
        "/deployments/new/",
        draft_post(eu_purpose="victim_search", second_person_verification="on"),
    )
    assert response.status_code == 302
    deployment = Deployment.objects.get()
    assert deployment.eu_purpose == "victim_search" and deployment.second_person_verification
