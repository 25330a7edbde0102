"""The review and complaint screens: who may see and act, the sign-off form naming the
rule next to the field, and the list pages at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.models import AuditEvent, Complaint, PostDeploymentReview, ReviewStatus
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services.complaints import complaint_record
from tests import builders

pytestmark = pytest.mark.django_db

SIGN_OFF = {
    "findings": "Ran as authorised.",
    "lessons": "Signs further out.",
    "public_summary": "It ran as authorised and found two wanted people.",
}


def _review(operator):
    deployment = builders.live(operator)
    lifecycle.deployment_stop(actor=operator, deployment=deployment)
    return PostDeploymentReview.objects.get(deployment=deployment)


def _complaint(compliance, **fields):
    return complaint_record(
        actor=compliance, category="signage", received_on=timezone.localdate(), **fields
    )


@pytest.mark.parametrize("role_fixture", ["planner", "operator", "field_officer", "manager"])
def test_other_roles_are_refused_every_review_and_complaint_screen(
    client, request, operator, compliance, role_fixture
):
    review = _review(operator)
    complaint = _complaint(compliance)
    client.force_login(request.getfixturevalue(role_fixture))
    before = AuditEvent.objects.count()
    for url in (
        "/reviews/",
        f"/reviews/{review.public_id}/",
        "/complaints/",
        f"/complaints/{complaint.public_id}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/reviews/{review.public_id}/sign-off/", SIGN_OFF).status_code == 404
    posted = {"category": "privacy", "received_on": str(timezone.localdate())}
    assert client.post("/complaints/record/", posted).status_code == 404
    outcome = client.post(f"/complaints/{complaint.public_id}/outcome/", {"outcome": "upheld"})
    assert outcome.status_code == 404
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN and Complaint.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_anonymous_visitors_are_sent_to_log_in(client, operator):
    review = _review(operator)
    for url in ("/reviews/", f"/reviews/{review.public_id}/", "/complaints/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_compliance_reads_the_review_but_is_offered_no_sign_off(client, operator, compliance):
    review = _review(operator)
    client.force_login(compliance)
    page = client.get(f"/reviews/{review.public_id}/")
    assert page.status_code == 200 and b"Faces processed" in page.content
    assert b"Sign off the review" not in page.content
    response = client.post(f"/reviews/{review.public_id}/sign-off/", SIGN_OFF)
    assert response.status_code == 400 and b"four eyes" in response.content
    review.refresh_from_db()
    assert review.status == ReviewStatus.OPEN


def test_an_ao_signs_off_through_the_form(client, operator, ao):
    review = _review(operator)
    client.force_login(ao)
    page = client.get(f"/reviews/{review.public_id}/")
    assert b"Sign off the review" in page.content
    missing = client.post(f"/reviews/{review.public_id}/sign-off/", {**SIGN_OFF, "lessons": " "})
    assert missing.status_code == 400
    assert b'id="id_lessons_error"' in missing.content
    too_long = client.post(
        f"/reviews/{review.public_id}/sign-off/", {**SIGN_OFF, "public_summary": "z" * 2001}
    )
    assert too_long.status_code == 400
    assert "at most 2000 characters" in too_long.context["form"].errors["public_summary"][0]
    done = client.post(f"/reviews/{review.public_id}/sign-off/", SIGN_OFF)
    assert done.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SIGNED_OFF and review.signed_off_by == ao
    page = client.get(f"/reviews/{review.public_id}/")
    assert SIGN_OFF["public_summary"].encode() in page.content


def test_the_planner_who_is_also_an_ao_is_refused_four_eyes_on_the_page(client, operator, ao):
    review = _review(operator)
    planner = review.deployment.created_by
    planner.groups.add(*ao.groups.all())
    planner.officer.rank = "superintendent"
    planner.officer.save()
    client.force_login(planner)
    assert b"Sign off the review" not in client.get(f"/reviews/{review.public_id}/").content
    response = client.post(f"/reviews/{review.public_id}/sign-off/", SIGN_OFF)
    assert response.status_code == 400 and b"four eyes" in response.content


def test_the_list_filters_overdue_reviews(client, operator, ao):
    overdue = _review(operator)
    fresh = _review(operator)
    PostDeploymentReview.objects.filter(pk=overdue.pk).update(
        due_by=timezone.now() - timedelta(days=1)
    )
    client.force_login(ao)
    listed = client.get("/reviews/?state=overdue").content.decode()
    assert str(overdue.public_id) in listed and str(fresh.public_id) not in listed
    assert "Overdue" in listed
    dashboard = client.get("/dashboard/").content.decode()
    assert "Post-deployment reviews overdue" in dashboard
    assert f"/reviews/{overdue.public_id}/" in dashboard


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_lists_cost_the_same_number_of_queries_however_long(client, operator, compliance):
    _review(operator)
    _complaint(compliance)
    client.force_login(compliance)
    _queries(client, "/reviews/")
    few = (_queries(client, "/reviews/"), _queries(client, "/complaints/"))
    for _ in range(2):
        deployment = _review(operator).deployment
        _complaint(compliance, deployment=deployment)
    assert (_queries(client, "/reviews/"), _queries(client, "/complaints/")) == few


def test_a_complaint_is_recorded_and_closed_through_the_forms(client, operator, compliance):
    deployment = _review(operator).deployment
    client.force_login(compliance)
    future = str(timezone.localdate() + timedelta(days=3))
    refused = client.post("/complaints/record/", {"category": "privacy", "received_on": future})
    assert refused.status_code == 400 and b'id="id_received_on_error"' in refused.content
    response = client.post(
        "/complaints/record/",
        {
            "category": "misidentification",
            "received_on": str(timezone.localdate()),
            "deployment": str(deployment.public_id),
            "reference": "PSD/1",
            "summary": "Stopped twice.",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and complaint.deployment == deployment
    assert (
        client.post(
            f"/complaints/{complaint.public_id}/outcome/", {"outcome": "not_upheld"}
        ).status_code
        == 302
    )
    complaint.refresh_from_db()
    assert complaint.outcome == "not_upheld"
    page = client.get(f"/complaints/{complaint.public_id}/").content
    assert b"Record the outcome" not in page and b"Not upheld" in page


def test_the_deployment_page_links_its_review_for_the_roles_that_read_reviews(
    client, operator, ao, compliance
):
    review = _review(operator)
    link = f'href="/reviews/{review.public_id}/"'.encode()
    page_url = f"/deployments/{review.deployment.public_id}/"
    for reader in (ao, compliance):
        client.force_login(reader)
        assert link in client.get(page_url).content
    # The operator and planner may open the deployment but read no reviews.
    for other in (operator, review.deployment.created_by):
        client.force_login(other)
        page = client.get(page_url)
        assert page.status_code == 200 and link not in page.content
