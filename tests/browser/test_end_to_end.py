"""The whole path in a real browser, with a real worker processing a test video.

A planner drafts; watchlist managers build and approve the watchlist (a worker
enrols the photographs); an authorising officer authorises the watchlist and
approves the deployment; a field officer records the sign from a phone; the
operator goes live; the worker raises an alert that appears in the operator's
queue without a reload; the operator adjudicates it and confirms the decision; the kill switch
stops the job. Every screen on the way is checked with axe-core, and each role tries
something it may not do and is refused.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lfr_portal.models import (
    Adjudication,
    Alert,
    Camera,
    CameraState,
    Deployment,
    DeploymentCamera,
    DeploymentStatus,
    Outcome,
)
from tests.factories import user_with_role
from tests.matcher.conftest import video_set as _video_set  # noqa: F401  (session fixture)
from tests.processes import celery_worker, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.models,
    pytest.mark.django_db(transaction=True),
]
video_set = _video_set
PASSWORD = "correct-horse-battery"


def login(page, base, user):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/")


def no_serious_violations(axe, page, where):
    violations = axe(page)
    assert violations == [], f"{where}: {violations}"


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_the_whole_path_in_a_browser(page_factory, live_server, axe, video_set, tmp_path):
    out, truth = video_set
    base = live_server.url
    people = {
        role: user_with_role(role)
        for role in (
            "deployment_planner",
            "authorising_officer",
            "watchlist_manager",
            "operator",
            "field_officer",
            "compliance_officer",
        )
    }
    second_manager = user_with_role("watchlist_manager")
    video = out / Path(truth["videos"][0]["file"]).name
    camera = Camera.objects.create(
        name="Test street camera", source_url=f"file://{video}?loop=1&realtime=1"
    )
    watchlisted = [w for w in truth["watchlist"] if w["in_video"]][:2]
    root = Path(truth["faces_root"])

    with celery_worker(tmp_path / "worker", LFR_VAR_DIR=str(tmp_path), LFR_OPENCV_THREADS="1"):
        # --- the planner drafts, on a desktop --------------------------------------
        page = page_factory(1280, 900)
        login(page, base, people["deployment_planner"])
        page.goto(f"{base}/deployments/new/")
        no_serious_violations(axe, page, "draft form")
        page.fill("#id_title", "Browser test deployment")
        page.select_option("#id_use_case", "crime_hotspot")
        page.fill("#id_purpose", "Find two wanted people.")
        page.fill("#id_justification", "Necessary and proportionate: a short signed deployment.")
        page.fill("#id_location_name", "Test street")
        page.fill("#id_borough", "Camden")
        page.click("#map")  # the map places the deployment and fills the coordinates
        assert page.input_value("#id_latitude") and page.input_value("#id_longitude")
        page.fill("#id_radius_m", "120")
        now = timezone.now()
        page.fill("#id_starts_at", local(now - timedelta(minutes=10)))
        page.fill("#id_ends_at", local(now + timedelta(hours=3)))
        page.fill("#id_expected_faces", "2000")
        # The "where" case, without which the authorising officer cannot approve.
        page.fill("#id_grounds_references", "Intelligence report IR-2026-0042.")
        page.fill("#id_grounds_crime_figures", "12 robberies here in the last 90 days.")
        page.fill("#id_grounds_alternatives", "Patrols for four weeks did not find them.")
        page.fill("#id_why_here_summary", "Robberies near here have risen.")
        page.click("text=Save draft")
        page.wait_for_url(re.compile(r"/deployments/[0-9a-f-]+/$"))
        deployment = Deployment.objects.get(title="Browser test deployment")
        detail = f"{base}/deployments/{deployment.public_id}/"
        for kind in ("dpia", "appropriate_policy", "equality_impact"):
            page.select_option("#id_doc-kind", kind)
            page.fill("#id_doc-reference", f"{kind.upper()}-1")
            page.fill("#id_doc-issued_on", (timezone.localdate() - timedelta(days=10)).isoformat())
            page.fill("#id_doc-review_by", (timezone.localdate() + timedelta(days=100)).isoformat())
            page.click("text=Record document")
        page.select_option("#id_cam-camera", str(camera.public_id))
        page.click("text=Book camera")
        page.select_option("#id_op-operator", people["operator"].username)
        page.click("text=Assign operator")
        no_serious_violations(axe, page, "deployment page")
        # The planner may not approve: the review page is not theirs.
        response = page.goto(f"{detail}review/")
        assert page.locator("text=Approve").count() == 0 or response.status == 400

        # --- watchlist managers add and approve entries; a worker enrols the photos --
        manager_page = page_factory(1280, 900)
        login(manager_page, base, people["watchlist_manager"])
        manager_page.goto(f"{detail}watchlist/")
        for i, person in enumerate(watchlisted):
            photo = root / person["reference_images"][0]
            manager_page.fill("#id_entry-display_name", person["identity"].split("/")[-1])
            manager_page.select_option("#id_entry-category", "wanted")
            manager_page.fill("#id_entry-reason", "Wanted on warrant")
            manager_page.fill("#id_entry-legal_basis", "Warrant")
            manager_page.fill("#id_entry-reference_number", f"E2E/{i}")
            manager_page.fill("#id_entry-image_source", "Custody record")
            manager_page.fill("#id_entry-image_date", "2026-01-10")
            manager_page.set_input_files("#id_entry-reference_image", str(photo))
            manager_page.click("text=Add entry")
        assert wait_for(
            lambda: deployment.watchlist.entries.filter(enrolment_state="enrolled").count() == 2,
            timeout=60,
        )
        no_serious_violations(axe, manager_page, "watchlist page")
        # The manager who added them may not approve them: no button is offered.
        manager_page.goto(f"{detail}watchlist/")
        assert manager_page.locator("button:has-text('Approve E2E')").count() == 0
        second = page_factory(1280, 900)
        login(second, base, second_manager)
        for i in range(2):
            second.goto(f"{detail}watchlist/")
            second.click(f"button:has-text('Approve E2E/{i}')")

        # --- the authorising officer authorises the watchlist, then the deployment --
        ao_page = page_factory(1280, 900)
        login(ao_page, base, people["authorising_officer"])
        ao_page.goto(f"{detail}watchlist/")
        ao_page.click("text=Authorise this watchlist")
        page.goto(detail)
        page.click("text=Submit for approval")
        ao_page.goto(f"{base}/dashboard/")
        ao_page.click("text=Browser test deployment")
        assert "/review/" in ao_page.url
        no_serious_violations(axe, ao_page, "review page")
        ao_page.fill("#id_approve-reason", "Proportionate for two wanted people.")
        ao_page.click("button[name=approve]")
        ao_page.wait_for_url(detail)
        deployment.refresh_from_db()
        assert deployment.status == DeploymentStatus.APPROVED

        # --- the field officer records the sign, on a phone --------------------------
        phone = page_factory(375, 812)
        login(phone, base, people["field_officer"])
        phone.goto(f"{detail}evidence/")
        no_serious_violations(axe, phone, "field evidence on a phone")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        phone.fill("#id_sign-description", "A1 sign at the entrance")
        phone.fill("#id_sign-location_name", "Entrance")
        phone.fill("#id_sign-placed_at", local(timezone.now() - timedelta(minutes=2)))
        phone.click("text=Record sign")
        expect(phone.locator("text=Sign recorded.")).to_have_count(1)
        # A field officer may not go live.
        response = phone.goto(f"{detail}operate/")
        assert response.status == 404

        manager_page.goto(f"{detail}watchlist/")
        manager_page.check("#id_finalise-confirm")
        manager_page.click("text=Finalise for the deployment")

        # --- the operator goes live; the alert arrives without a reload -------------
        op = page_factory(1280, 900)
        login(op, base, people["operator"])
        op.goto(detail)
        no_serious_violations(axe, op, "checklist")
        op.click("text=Go live")
        op.wait_for_url(f"{detail}operate/")
        op.evaluate("window.__marker = 'same page'")
        op.wait_for_selector("li[data-alert]", timeout=60_000)
        assert op.evaluate("window.__marker") == "same page"  # no reload happened
        no_serious_violations(axe, op, "operator view")
        alert_id = op.locator("li[data-alert]").first.get_attribute("data-alert")
        card = op.locator(f"li[data-alert='{alert_id}']")
        card.locator("text=Confirmed match").click()
        assert card.locator("input[value=confirmed]").is_checked()
        card.locator("button:has-text('Arrest')").click()
        # The decision is shown back to confirm; nothing is recorded before that.
        step = card.locator(".confirm-step")
        step.wait_for(state="visible")
        assert "Confirmed match, outcome: arrest" in step.inner_text()
        assert Alert.objects.get(public_id=alert_id).adjudication == Adjudication.PENDING
        step.locator("button:has-text('Record it')").click()
        recorded = wait_for(
            lambda: Alert.objects.filter(
                public_id=alert_id, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST
            ).exists(),
            timeout=30,
        )
        # On failure, what the operator saw: the card's error line, or the card gone.
        assert recorded, card.all_inner_texts() or "the card left the queue unrecorded"

        # --- the kill switch ------------------------------------------------------
        op.click("text=Stop now (kill switch)")
        op.click("text=Yes, stop now")
        op.wait_for_url(detail)
        deployment.refresh_from_db()
        assert deployment.status == DeploymentStatus.COMPLETED and deployment.stopped_early
        booking = DeploymentCamera.objects.get(deployment=deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).job_token == "", timeout=20
        )
        assert DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED

        # --- the compliance officer reads, but may not act or see faces ------------
        compliance = page_factory(1280, 900)
        login(compliance, base, people["compliance_officer"])
        compliance.goto(f"{detail}watchlist/")
        assert compliance.locator("img").count() == 0
        alert = Alert.objects.filter(deployment=deployment).first()
        response = compliance.goto(f"{base}/images/alerts/{alert.public_id}.jpg")
        assert response.status == 404
        for page_ in (page, manager_page, second, ao_page, phone, op, compliance):
            assert page_.external_requests == [] or all(
                "tile" in u for u in page_.external_requests
            )
