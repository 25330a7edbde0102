"""The legality case on a 375 px phone: the authorising officer's review shows why here
beside the place's earlier deployments, and the watchlist shows entries to check again
and asks for the "still wanted" confirmation. No sideways scroll; axe-core clean."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lfr_portal.models import (
    Adjudication,
    DeploymentStatus,
    Outcome,
    Role,
    WatchlistEntry,
    WatchlistStatus,
)
from tests import builders
from tests.browser.test_end_to_end import login, no_serious_violations
from tests.factories import AlertFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.browser
PHONE = (375, 740)


@pytest.fixture
def local_tiles(settings, live_server):
    # Tiles from the live server itself: the test never reaches outside the machine.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def case(local_tiles):
    deployment = builders.submitted()
    starts = timezone.now() - timedelta(days=45)
    earlier = DeploymentFactory(
        title="Spring robbery operation",
        location_name=deployment.location_name,
        latitude=deployment.latitude + Decimal("0.0005"),
        longitude=deployment.longitude,
        starts_at=starts,
        ends_at=starts + timedelta(hours=6),
        status=DeploymentStatus.COMPLETED,
    )
    AlertFactory(deployment=earlier, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST)
    AlertFactory(deployment=earlier, adjudication=Adjudication.FALSE_ALERT)
    entry = deployment.watchlist.entries.first()
    WatchlistEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=40)
    )
    return deployment, earlier


def test_the_ao_reads_the_where_case_and_the_places_history_on_a_phone(
    page_factory, live_server, axe, case
):
    deployment, earlier = case
    ao = user_with_role(Role.AUTHORISING_OFFICER)
    phone = page_factory(*PHONE)
    login(phone, live_server.url, ao)
    phone.goto(f"{live_server.url}/deployments/{deployment.public_id}/review/")
    where = phone.locator("#where-case")
    assert where.is_visible()
    assert deployment.grounds_crime_figures in where.inner_text()
    assert deployment.why_here_summary in where.inner_text()
    history = phone.locator("#place-history")
    row = history.locator("tr", has_text="Spring robbery operation")
    cells = row.locator("td").all_inner_texts()
    assert cells[2:] == ["Completed", "2", "1", "1", "1"]
    warnings = phone.locator("#approval-warnings")
    assert "added more than 28 days ago" in warnings.inner_text()
    assert fits(phone), "the review page scrolls sideways at 375 px"
    no_serious_violations(axe, phone, "review with the where case")
    phone.click("button[name=approve]")
    phone.wait_for_url(f"{live_server.url}/deployments/{deployment.public_id}/")
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED


def test_the_manager_sees_flags_and_confirms_still_wanted_on_a_phone(
    page_factory, live_server, axe, case
):
    deployment, _ = case
    manager = user_with_role(Role.WATCHLIST_MANAGER)
    phone = page_factory(*PHONE)
    login(phone, live_server.url, manager)
    phone.goto(f"{live_server.url}/deployments/{deployment.public_id}/watchlist/")
    assert phone.locator("[data-flag=entry_old]").count() == 1
    assert fits(phone), "the watchlist page scrolls sideways at 375 px"
    no_serious_violations(axe, phone, "watchlist with flags and the finalise form")
    # Without the confirmation nothing is finalised, and the page says why.
    phone.click("text=Finalise for the deployment")
    expect(phone.locator("text=Finalising needs your confirmation")).to_have_count(1)
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.APPROVED
    assert fits(phone)
    no_serious_violations(axe, phone, "finalise refused")
    phone.check("#id_finalise-confirm")
    phone.click("text=Finalise for the deployment")
    expect(phone.locator("text=Watchlist finalised.")).to_have_count(1)
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.FINALISED
    assert deployment.watchlist.still_wanted_confirmed_by == manager
