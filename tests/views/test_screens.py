"""The HTML screens: every role sees what it may, is refused what it may not, and forms
name the rule next to the field."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lfr_portal.models import Adjudication, AuditEvent, Deployment, DeploymentStatus, Outcome
from lfr_portal.selectors.accuracy import adjudication_due
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db


def url(deployment, suffix=""):
    return f"/deployments/{deployment.public_id}/{suffix}"


def draft_post(**overrides):
    start = timezone.localtime() + timedelta(days=2)
    data = {
        "title": "Market day",
        "use_case": "crime_hotspot",
        "purpose": "Find wanted people",
        "justification": "Necessary because...",
        "location_name": "Market Square",
        "borough": "Hackney",
        "latitude": "51.545",
        "longitude": "-0.055",
        "radius_m": "100",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
        "engine": "opencv-sface",
        "threshold": "0.500",
        "expected_faces": "5000",
    }
    data.update(overrides)
    return data


def test_a_planner_drafts_through_the_form(client, planner):
    client.force_login(planner)
    response = client.post("/deployments/new/", draft_post())
    deployment = Deployment.objects.get()
    assert response.status_code == 302 and response["Location"] == url(deployment)
    assert deployment.created_by == planner and deployment.status == DeploymentStatus.DRAFT
    page = client.get(url(deployment))
    assert b"Submit for approval" in page.content and b"Record document" in page.content


def test_a_window_over_24_hours_is_named_next_to_its_field(client, planner):
    client.force_login(planner)
    start = timezone.localtime() + timedelta(days=2)
    response = client.post(
        "/deployments/new/",
        draft_post(ends_at=(start + timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M")),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "at most 24 hours" in form.errors["ends_at"][0]
    assert b'id="id_ends_at_error"' in response.content
    assert not Deployment.objects.exists()


def test_a_camera_booked_elsewhere_says_which_deployment_holds_it(client):
    holder = builders.submitted()
    camera = holder.cameras.get().camera
    other = DeploymentFactory(starts_at=holder.starts_at + timedelta(hours=1))
    client.force_login(other.created_by)
    response = client.post(
        url(other, "cameras/"), {"cam-camera": str(camera.public_id), "cam-position": ""}
    )
    assert response.status_code == 400
    assert holder.title.encode() in response.content
    assert "already booked" in response.context["camera_form"].errors["camera"][0]


@pytest.mark.parametrize(
    ("role_fixture", "path", "method"),
    [
        ("operator", "deployments/new/", "get"),
        ("field_officer", "review/", "post"),
        ("planner", "review/", "post"),
        ("compliance", "start/", "post"),
        ("manager", "stop/", "post"),
        ("operator", "watchlist/", "get"),
        ("planner", "evidence/", "get"),
    ],
)
def test_each_role_is_refused_what_it_may_not_do(client, request, role_fixture, path, method):
    deployment = builders.submitted()
    user = request.getfixturevalue(role_fixture)
    client.force_login(user)
    target = "/deployments/new/" if path == "deployments/new/" else url(deployment, path)
    before = AuditEvent.objects.count()
    response = getattr(client, method)(target, {"approve": "1", "approve-reason": ""})
    assert response.status_code in (302, 403, 404)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED
    assert AuditEvent.objects.count() == before


def test_the_author_who_is_also_an_ao_cannot_approve_their_own(client, ao):
    deployment = builders.submitted()
    planner = deployment.created_by
    planner.groups.add(*ao.groups.all())
    planner.officer.rank = "superintendent"
    planner.officer.save()
    client.force_login(planner)
    page = client.get(url(deployment))
    assert b"Review and decide" not in page.content
    response = client.post(url(deployment, "review/"), {"approve": "1", "approve-reason": ""})
    assert response.status_code == 400
    assert b"four eyes" in response.content
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED


def test_the_review_page_shows_the_whole_case_and_approves(client, ao):
    deployment = builders.submitted()
    client.force_login(ao)
    page = client.get(url(deployment, "review/"))
    for text in (
        deployment.purpose,
        deployment.justification,
        "Data protection impact assessment",
        "Wanted by police or courts",
        "floor of 0.426",
    ):
        assert text.encode() in page.content
    assert b'id="map"' in page.content
    response = client.post(url(deployment, "review/"), {"approve": "1", "approve-reason": "ok"})
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED


def test_the_checklist_says_what_is_unmet(client, operator):
    deployment = builders.approved()
    deployment.signage.all().delete()
    client.force_login(operator)
    from lfr_portal.services.deployment_staff import deployment_operator_assign

    deployment_operator_assign(
        actor=deployment.created_by, deployment=deployment, operator=operator
    )
    page = client.get(url(deployment)).content.decode()
    assert "Before going live" in page
    # The checklist shows the service's own sentences for the unmet rules.
    assert "No sign is recorded as up at the location." in page
    assert "The watchlist is not finalised" in page
    assert "Go live</button>" not in page  # the button appears only when nothing blocks
    response = client.post(url(deployment, "start/"))
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED


def test_the_kill_switch_asks_once_then_stops(client, operator):
    deployment = builders.live(operator)
    client.force_login(operator)
    confirm = client.get(url(deployment, "stop/"))
    assert b"Yes, stop now" in confirm.content
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.LIVE
    client.post(url(deployment, "stop/"), {"reason": "Crowd surge"})
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.COMPLETED and deployment.stopped_early


def test_adjudication_is_confirmed_before_it_is_recorded(client, operator):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    client.force_login(operator)
    page = client.get(url(deployment, "operate/"))
    assert alert.entry_reference.encode() in page.content
    # The radio and the outcome button alone are not enough: the server asks to confirm.
    unconfirmed = client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "confirmed", "outcome": "arrest"},
        HTTP_ACCEPT="application/json",
    )
    assert unconfirmed.status_code == 400
    assert unconfirmed.json()["confirm"] == "confirmed/arrest"
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    # A confirmation of another decision than the one sent is refused too.
    mismatched = client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "confirmed", "outcome": "arrest", "confirm": "false_alert/no_action"},
        HTTP_ACCEPT="application/json",
    )
    assert mismatched.status_code == 400
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    response = client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "confirmed", "outcome": "arrest", "confirm": "confirmed/arrest"},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["ok"] is True and response.json()["resolved"] is True
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.CONFIRMED and alert.outcome == Outcome.ARREST
    feed = client.get(url(deployment, "operate/feed.json")).json()
    assert feed["alerts"] == []
    assert feed["counts"]["adjudicated"] == 1 and feed["counts"]["pending"] == 0
    assert [r["id"] for r in feed["recent"]] == [str(alert.public_id)]


def test_without_script_the_confirmation_is_a_page_of_its_own(client, operator):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    client.force_login(operator)
    page = client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "false_alert", "outcome": "no_action"},
    )
    assert page.status_code == 200
    assert b"False alert, outcome: no action" in page.content
    assert b'name="confirm" value="false_alert/no_action"' in page.content
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "false_alert", "outcome": "no_action", "confirm": "false_alert/no_action"},
    )
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.FALSE_ALERT


def test_the_live_view_shows_score_against_threshold_due_time_and_window_end(client, operator):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    client.force_login(operator)
    page = client.get(url(deployment, "operate/")).content.decode()
    assert f"(threshold {deployment.threshold})" in page
    assert f'data-due="{(alert.captured_at + adjudication_due()).isoformat()}"' in page
    assert f'data-ends="{deployment.ends_at.isoformat()}"' in page
    late = AlertFactory(
        deployment=deployment,
        camera=deployment.cameras.first(),
        captured_at=timezone.now() - adjudication_due() - timedelta(minutes=1),
    )
    feed = client.get(url(deployment, "operate/feed.json")).json()
    by_id = {item["id"]: item for item in feed["alerts"]}
    item = by_id[str(alert.public_id)]
    assert item["threshold"] == str(deployment.threshold) and item["overdue"] is False
    assert by_id[str(late.public_id)]["overdue"] is True
    assert feed["ends_at"] == deployment.ends_at.isoformat()
    assert feed["counts"] == {
        "pending": 2,
        "unresolved": 0,
        "adjudicated": 0,
        "faces_processed": deployment.faces_processed,
    }


def test_a_refused_adjudication_says_why(client, operator):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    client.force_login(operator)
    response = client.post(
        f"/alerts/{alert.public_id}/adjudicate/",
        {"adjudication": "confirmed", "outcome": "", "confirm": "confirmed/"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert "needs its outcome" in response.json()["detail"]


def test_images_are_served_only_to_those_who_may_see_them(client, operator, compliance, manager):
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    alert.crop.save("crop.jpg", ContentFile(b"\xff\xd8crop"), save=True)
    entry = alert.entry
    entry.reference_image.save("ref.jpg", ContentFile(b"\xff\xd8ref"), save=True)
    crop_url, ref_url = (
        f"/images/alerts/{alert.public_id}.jpg",
        f"/images/entries/{entry.public_id}.jpg",
    )
    client.force_login(operator)
    response = client.get(crop_url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert client.get(ref_url).status_code == 200
    client.force_login(compliance)
    assert client.get(crop_url).status_code == 404
    assert client.get(ref_url).status_code == 404
    client.force_login(manager)
    assert client.get(ref_url).status_code == 200
    assert client.get(crop_url).status_code == 404
    other_operator = type(operator).objects.create(username="elsewhere")
    other_operator.groups.add(*operator.groups.all())
    client.force_login(other_operator)
    assert client.get(crop_url).status_code == 404
    client.logout()
    assert client.get(crop_url).status_code == 302


def test_a_field_officer_records_a_sign_with_a_photo_from_the_phone(client, field_officer):
    import cv2
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    deployment = builders.submitted()
    client.force_login(field_officer)
    page = client.get(url(deployment, "evidence/"))
    assert b'capture="environment"' in page.content and b"Use my location" in page.content
    ok, jpeg = cv2.imencode(".jpg", np.full((60, 80, 3), 200, dtype=np.uint8))
    response = client.post(
        url(deployment, "evidence/"),
        {
            "sign": "1",
            "sign-description": "A1 sign",
            "sign-location_name": "Gate 2",
            "sign-latitude": "51.5",
            "sign-longitude": "-0.1",
            "sign-placed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "sign-photo": SimpleUploadedFile("sign.jpg", jpeg.tobytes(), "image/jpeg"),
        },
    )
    assert response.status_code == 302
    sign = deployment.signage.get(description="A1 sign")
    assert sign.photo.name and sign.recorded_by == field_officer


def test_a_watchlist_entry_is_added_with_its_photo_and_waits_for_enrolment(client, manager):
    import cv2
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    deployment = DeploymentFactory()
    client.force_login(manager)
    ok, jpeg = cv2.imencode(".jpg", np.full((120, 100, 3), 120, dtype=np.uint8))
    response = client.post(
        url(deployment, "watchlist/"),
        {
            "entry-display_name": "Jane Roe",
            "entry-category": "wanted",
            "entry-reason": "Warrant",
            "entry-legal_basis": "PACE",
            "entry-reference_number": "CUST/9",
            "entry-image_source": "Custody",
            "entry-image_date": "2026-01-05",
            "entry-reference_image": SimpleUploadedFile("r.jpg", jpeg.tobytes(), "image/jpeg"),
        },
    )
    assert response.status_code == 302
    entry = deployment.watchlist.entries.get()
    assert entry.enrolment_state == "pending" and entry.reference_image.name
    progress = client.get(url(deployment, "watchlist/progress.json")).json()
    assert progress["total"] == 1 and progress["pending"] == 1


def test_an_under_18_without_justification_is_refused_beside_the_field(client, manager):
    import cv2
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile

    deployment = DeploymentFactory()
    client.force_login(manager)
    ok, jpeg = cv2.imencode(".jpg", np.full((120, 100, 3), 120, dtype=np.uint8))
    response = client.post(
        url(deployment, "watchlist/"),
        {
            "entry-display_name": "Child",
            "entry-category": "missing_or_vulnerable",
            "entry-reason": "Missing",
            "entry-legal_basis": "Children Act",
            "entry-reference_number": "CASE/1",
            "entry-image_source": "Family",
            "entry-image_date": "2026-01-05",
            "entry-under_18": "on",
            "entry-reference_image": SimpleUploadedFile("r.jpg", jpeg.tobytes(), "image/jpeg"),
        },
    )
    assert response.status_code == 400
    assert "under 18" in response.context["form"].errors["under_18_justification"][0]


def test_list_pages_have_pinned_query_counts(
    client, planner, manager, django_assert_max_num_queries
):
    for _ in range(30):
        DeploymentFactory()
    deployment = DeploymentFactory()
    for _ in range(60):
        EntryFactory(watchlist=deployment.watchlist)
    client.force_login(planner)
    with django_assert_max_num_queries(12):
        assert client.get("/schedule/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get("/dashboard/").status_code == 200
    client.force_login(manager)
    with django_assert_max_num_queries(14):
        assert client.get(url(deployment, "watchlist/")).status_code == 200


def test_a_suspended_deployment_asks_the_ao_to_decide(client, operator, ao):
    from lfr_portal.selectors.accuracy import ceiling_window
    from lfr_portal.services.deployment_lifecycle import deployment_suspend_for_false_alerts

    deployment = builders.live(operator)
    deployment_suspend_for_false_alerts(deployment=deployment, window=ceiling_window(deployment))
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUSPENDED
    client.force_login(ao)
    dashboard = client.get("/dashboard/").content.decode()
    assert "Suspended: your decision is needed" in dashboard and deployment.title in dashboard
    page = client.get(url(deployment)).content.decode()
    assert "Resume recognition" in page and "Accuracy so far" in page
    refused = client.post(url(deployment, "resume/"), {"resume-reason": ""})
    assert refused.status_code == 400
    client.post(url(deployment, "resume/"), {"resume-reason": "Checked the watchlist photos"})
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.LIVE
    client.force_login(operator)
    assert b"Resume recognition" not in client.get(url(deployment)).content
