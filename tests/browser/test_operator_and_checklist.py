"""The operator confirms each adjudication, and the go-live checklist keeps blockers apart
from advisories, on a phone (375 px) and a desktop (1366 px), with axe-core clean.

Screenshots land in var/screenshots/ for a person to look at.
"""

from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from lfr_portal.models import Adjudication, Alert, AuditEvent, DeploymentStatus, Outcome, Role
from lfr_portal.services import field
from tests import builders
from tests.browser.test_end_to_end import login
from tests.factories import AlertFactory, user_with_role

pytestmark = pytest.mark.browser
WIDTHS = [375, 1366]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def jpeg(colour):
    buffer = BytesIO()
    Image.new("RGB", (120, 120), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fits(page):
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths


@pytest.fixture
def local_tiles(settings, live_server):
    # Tiles from the live server itself: the test never reaches outside the machine.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_operator_confirms_an_adjudication(page_factory, live_server, axe, width):
    operator = user_with_role(Role.OPERATOR)
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    alert.crop.save("crop.jpg", ContentFile(jpeg("tan")), save=True)
    alert.entry.reference_image.save("ref.jpg", ContentFile(jpeg("peru")), save=True)
    page = page_factory(width, 900)
    login(page, live_server.url, operator)
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/operate/")
    card = page.locator(f"li[data-alert='{alert.public_id}']")
    assert f"(threshold {deployment.threshold})" in card.inner_text()
    assert "Due by" in card.locator(".due-text").inner_text()
    # The threshold sits on the score bar where its value is (placed by script, under CSP).
    placed = card.locator(".threshold-mark").evaluate("m => m.style.left")
    assert placed == f"{float(deployment.threshold) * 100:g}%"
    assert page.locator("#window-left").inner_text().startswith("(in ")
    assert page.locator("#queue-count").inner_text() == "1"
    assert axe(page) == []
    fits(page)
    shoot(page, f"operator-queue-{width}")

    card.get_by_text("Confirmed match").click()
    card.get_by_role("button", name="Arrest").click()
    step = card.locator(".confirm-step")
    step.wait_for(state="visible")
    assert "Confirmed match, outcome: arrest" in step.inner_text()
    # Nothing is recorded until the operator says so.
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    assert axe(page) == []
    fits(page)
    shoot(page, f"operator-confirm-{width}")

    # "Change" steps back without recording; the choices are open again.
    step.get_by_role("button", name="Change").click()
    step.wait_for(state="hidden")
    card.get_by_role("button", name="Arrest").click()
    step.wait_for(state="visible")
    alert.refresh_from_db()
    assert alert.adjudication == Adjudication.PENDING
    step.get_by_role("button", name="Record it").click()
    card.wait_for(state="detached")
    done = page.locator("#adjudicated")
    assert alert.entry_reference in done.inner_text()
    assert page.locator("#queue-count").inner_text() == "0"
    assert page.locator("#count-pending").inner_text() == "0"
    assert page.locator("#count-adjudicated").inner_text() == "1"
    # The next poll replaces the list with the server's rows; the counts agree with it.
    expect(done).not_to_contain_text("just now", timeout=10_000)
    assert page.locator("#count-pending").inner_text() == "0"
    assert page.locator("#count-adjudicated").inner_text() == "1"
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.adjudication == Adjudication.CONFIRMED and alert.outcome == Outcome.ARREST
    assert axe(page) == []
    shoot(page, f"operator-adjudicated-{width}")
    assert page.console_errors == []
    assert page.external_requests == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_checklist_shows_blockers_apart_from_advisories(
    page_factory, live_server, axe, settings, local_tiles, width
):
    settings.LFR_GO_LIVE_PROBE_CAMERAS = True  # the factory camera never answers
    operator = user_with_role(Role.OPERATOR)
    deployment = builders.ready_to_go_live(operator=operator)
    deployment.signage.all().delete()
    page = page_factory(width, 900)
    login(page, live_server.url, operator)
    detail = f"{live_server.url}/deployments/{deployment.public_id}/"
    page.goto(detail)
    section = page.locator("#go-live")
    blockers = section.locator("ul[aria-labelledby=blockers-heading]")
    advisories = section.locator("ul[aria-labelledby=advisories-heading]")
    assert "Signs are up at the location" in blockers.locator("li.unmet").inner_text()
    assert "reachable" in advisories.locator("li.advise").inner_text()
    assert "Going live is blocked" in section.inner_text()
    # While something blocks there is no Go live button anywhere on the page.
    assert page.get_by_role("button", name="Go live").count() == 0
    assert page.get_by_role("link", name="Go live (a reason is needed)").count() == 0
    assert axe(page) == []
    fits(page)
    section.scroll_into_view_if_needed()
    shoot(page, f"checklist-blocked-{width}")

    field.signage_record(
        actor=user_with_role(Role.FIELD_OFFICER),
        deployment=deployment,
        description="Sign at entrance",
        location_name="Entrance",
        placed_at=timezone.now(),
    )
    page.goto(detail)
    assert section.locator("ul[aria-labelledby=blockers-heading] li.unmet").count() == 0
    assert page.get_by_role("button", name="Go live").count() == 1
    assert axe(page) == []
    fits(page)
    shoot(page, f"checklist-advisory-{width}")
    reason = "Camera checked on site by radio; the portal cannot reach its network."
    section.get_by_label("Why go live although an advisory is not met").fill(reason)
    section.get_by_role("button", name="Go live").click()
    page.wait_for_url(f"{detail}operate/")
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.LIVE
    assert AuditEvent.objects.get(action="deployment.start").reason == reason
    assert page.external_requests == []


def test_due_times_follow_the_servers_clock_and_zone_not_the_devices(page_factory, live_server):
    """A phone set to another time zone and five minutes fast still shows the server's
    due time and counts down from the server's now."""
    from datetime import timedelta

    from django.conf import settings

    operator = user_with_role(Role.OPERATOR)
    deployment = builders.live(operator)
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    page = page_factory(1366, 900, timezone_id="Pacific/Auckland")
    page.clock.install(time=timezone.now() + timedelta(minutes=5))
    page.clock.resume()
    login(page, live_server.url, operator)
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/operate/")
    due = page.locator(f"li[data-alert='{alert.public_id}'] .due-text")
    expect(due).to_contain_text("(in ")
    due_at = alert.captured_at + timedelta(minutes=settings.LFR_ADJUDICATION_DUE_MINUTES)
    label = timezone.localtime(due_at).strftime("%H:%M")
    assert f"Due by {label} " in due.inner_text()
    left = (due_at - timezone.now()).total_seconds() / 60
    shown = int(due.inner_text().split("(in ")[1].split(" min")[0])
    # The device is five minutes fast; counted on its clock the wait would be 5 less.
    assert abs(shown - left) <= 1, (shown, left)
