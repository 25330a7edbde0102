"""The public transparency pages in a real browser: the map, accessibility, a phone."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lfr_portal.models import DeploymentStatus, Role
from lfr_portal.services.publication import signage_photo_publish
from tests.factories import SignageFactory, user_with_role
from tests.transparency.conftest import public_deployment
from tests.transparency.test_publication import PNG

pytestmark = pytest.mark.browser


@pytest.fixture
def world(settings, live_server):
    # Tiles from the live server itself: the test never reaches outside the machine.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    now = timezone.now()
    deployments = [
        public_deployment(
            starts_at=now - timedelta(days=i + 1),
            latitude=Decimal("51.50") + Decimal(i) / 100,
            longitude=Decimal("-0.12") - Decimal(i) / 100,
            location_name=f"Long location name for a narrow screen number {i}",
        )
        for i in range(3)
    ]
    deployments.append(
        public_deployment(
            DeploymentStatus.APPROVED, went_live_at=None, starts_at=now + timedelta(days=2)
        )
    )
    sign = SignageFactory(deployment=deployments[0])
    sign.photo.save("sign.png", ContentFile(PNG), save=True)
    signage_photo_publish(actor=user_with_role(Role.COMPLIANCE_OFFICER), record=sign)
    return deployments


def open_page(page, live_server, path):
    response = page.goto(live_server.url + path)
    assert response.status == 200, path
    return page


def test_the_list_maps_every_deployment_and_has_no_serious_axe_violations(
    page, live_server, world, axe
):
    open_page(page, live_server, "/transparency/")
    markers = page.locator(".leaflet-marker-icon")
    markers.first.wait_for()
    assert markers.count() == len(world)
    assert page.locator("#map").is_visible()
    assert page.locator("#map-note").is_hidden()
    markers.first.click()
    popup_link = page.locator(".leaflet-popup-content a")
    assert "/transparency/deployments/" in popup_link.get_attribute("href")
    assert axe(page) == []
    assert page.external_requests == []
    assert page.console_errors == []


def test_a_deployment_page_maps_it_shows_its_published_sign_and_passes_axe(
    page, live_server, world, axe
):
    deployment = world[0]
    open_page(page, live_server, f"/transparency/deployments/{deployment.public_id}/")
    page.locator(".leaflet-marker-icon").first.wait_for()
    assert page.locator(".leaflet-marker-icon").count() == 1
    photo = page.locator(".signs img")
    assert photo.count() == 1
    photo.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=photo.element_handle()
    )
    assert axe(page) == []
    assert page.external_requests == []


def test_the_plain_words_page_has_no_serious_axe_violations(page, live_server, world, axe):
    open_page(page, live_server, "/transparency/about/")
    assert axe(page) == []


@pytest.mark.parametrize("path", ["/transparency/", "deployment", "/transparency/about/"])
def test_each_page_fits_a_375_pixel_phone_without_sideways_scrolling(
    page_factory, live_server, world, axe, path
):
    if path == "deployment":
        path = f"/transparency/deployments/{world[0].public_id}/"
    page = open_page(page_factory(375, 812), live_server, path)
    if page.locator("#map").count():
        page.locator(".leaflet-marker-icon").first.wait_for()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert axe(page) == []


def test_without_javascript_the_table_and_figures_remain(page_factory, live_server, world):
    page = open_page(page_factory(java_script_enabled=False), live_server, "/transparency/")
    assert page.locator("table.public-table tbody tr").count() == len(world)
    assert page.locator("#totals").is_visible()
    assert page.locator("#map").is_hidden()
    assert page.locator("#map-note").is_visible()
    # The period form works by plain GET.
    page.fill("#id_from", (timezone.localdate() - timedelta(days=1)).isoformat())
    page.click("button[type=submit]")
    page.wait_for_url("**/transparency/?from=*")
    assert page.locator("table.public-table tbody tr").count() == 2  # yesterday's and planned
