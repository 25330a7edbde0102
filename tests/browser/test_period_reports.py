"""The annual report, the quarterly oversight pack and the public annual report on a phone
(375 px): nothing wider than the screen, the server-drawn charts shown (the page's
Content-Security-Policy lets their data: images in, and nothing else), axe-core clean.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import Adjudication, Complaint, DeploymentStatus, PostDeploymentReview
from lfr_portal.selectors.period_figures import report_year
from tests.browser.test_end_to_end import login
from tests.browser.test_role_pages import fits, shot
from tests.factories import AlertFactory, DeploymentFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def quarter(db, ao):
    """A completed deployment earlier this report year, with alerts, a complaint and an
    overdue review; answers (year, quarter)."""
    now = timezone.now()
    year = report_year(timezone.localdate().year)
    starts = max(
        now - timedelta(days=20),
        timezone.make_aware(timezone.datetime.combine(year.start, timezone.datetime.min.time()))
        + timedelta(hours=9),
    )
    deployment = DeploymentFactory(
        title="Croydon North End, a long title that must wrap on a phone screen",
        status=DeploymentStatus.COMPLETED,
        starts_at=starts,
        ends_at=starts + timedelta(hours=8),
        went_live_at=starts,
        ended_at=starts + timedelta(hours=8),
        faces_processed=18_250,
    )
    for adjudication in (Adjudication.CONFIRMED, Adjudication.FALSE_ALERT, Adjudication.PENDING):
        AlertFactory(deployment=deployment, adjudication=adjudication, captured_at=starts)
    Complaint.objects.create(
        deployment=deployment,
        received_on=timezone.localdate(starts),
        category="misidentification",
        reference="CMP/BROWSER/1",
        recorded_by=ao,
    )
    PostDeploymentReview.objects.create(
        deployment=deployment, opened_at=starts, due_by=now - timedelta(days=1)
    )
    local = timezone.localdate(starts)
    return year.year, (local.month - year.start.month) % 12 // 3 + 1


def _check(page, axe, where):
    page.wait_for_load_state("load")
    assert fits(page), f"{where} is wider than the phone"
    assert axe(page) == [], where
    images = page.locator(".report-charts img")
    assert images.count() >= 3, where
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0"), where
        assert image.get_attribute("alt")
    assert page.console_errors == [], where
    assert page.external_requests == [], where
    shot(page, where.replace(" ", "-"))


def test_the_reports_fit_a_phone_and_pass_axe(page_factory, live_server, axe, compliance, quarter):
    year, q = quarter
    page = page_factory(375, 800)
    login(page, live_server.url, compliance)
    page.goto(f"{live_server.url}/reports/")
    assert fits(page) and axe(page) == []
    page.goto(f"{live_server.url}/reports/annual/{year}/")
    _check(page, axe, "annual report")
    assert "18,250" in page.locator("#alerts").inner_text()
    page.goto(f"{live_server.url}/reports/oversight/{year}/q{q}/")
    _check(page, axe, "oversight pack")
    assert "CMP/BROWSER/1" in page.inner_text("main")


def test_the_public_annual_report_fits_a_phone_and_passes_axe(
    page_factory, live_server, axe, quarter, settings
):
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    year, _ = quarter
    page = page_factory(375, 800)
    page.goto(f"{live_server.url}/transparency/")
    page.click("text=The annual report")
    assert page.url.endswith(f"/transparency/annual/{year}/")
    _check(page, axe, "public annual report")
    assert "CMP/BROWSER/1" not in page.content()
