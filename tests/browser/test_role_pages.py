"""Each role's dashboard, the audit trail and the public table in a real browser, on a phone
(375 px) and a laptop (1366 px): pending work listed with links that work, messages told
apart, no page wider than the screen, and axe-core clean.

Set LFR_SCREENSHOTS=/some/folder to keep a screenshot of every page visited.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm
from playwright.sync_api import expect

from lfr_portal.models import AlertHold, DeploymentStatus, EntryStatus, Role
from lfr_portal.permissions import OPERATE_DEPLOYMENT
from tests import builders
from tests.browser.test_end_to_end import login
from tests.factories import (
    AlertFactory,
    DeploymentFactory,
    DocumentFactory,
    EntryFactory,
    user_with_role,
)
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.browser
S = DeploymentStatus
WIDTHS = (375, 1366)
SHOTS = os.environ.get("LFR_SCREENSHOTS")


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def fits(page):
    """Nothing sideways: the page is no wider than the window."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def people(db):
    return {role: user_with_role(role) for role in Role.values}


@pytest.fixture
def work(people, settings, live_server):
    """One piece of pending work for each role, and what its dashboard should link to."""
    # Map tiles from the live server itself: the pages linked to never reach outside.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    ao, planner = people[Role.AUTHORISING_OFFICER], people[Role.DEPLOYMENT_PLANNER]
    to_authorise = DeploymentFactory(title="Camden market day", status=S.SUBMITTED)
    EntryFactory(watchlist=to_authorise.watchlist, status=EntryStatus.APPROVED)
    EntryFactory(watchlist=to_authorise.watchlist, status=EntryStatus.PENDING)
    held = AlertFactory(deployment__title="Held for court", deployment__status=S.COMPLETED)
    AlertHold.objects.create(
        alert=held,
        reason="Trial in January",
        review_by=timezone.localdate() + timedelta(days=5),
        placed_by=ao,
    )
    to_build = DeploymentFactory(title="Brixton road", status=S.DRAFT)
    EntryFactory(watchlist=to_build.watchlist, added_by=user_with_role(Role.WATCHLIST_MANAGER))
    DeploymentFactory(title="My own draft", created_by=planner)
    DeploymentFactory(
        title="Turned down",
        created_by=planner,
        status=S.REJECTED,
        rejection_reason="The DPIA has lapsed; renew it first.",
    )
    live = builders.live(people[Role.OPERATOR], title="Oxford Circus live")
    AlertFactory(deployment=live, captured_at=timezone.now() - timedelta(hours=1))
    assign_perm(OPERATE_DEPLOYMENT, people[Role.OPERATOR], live)
    needs_signs = DeploymentFactory(title="Needs signs", status=S.APPROVED)
    lapsed = DeploymentFactory(title="Lapsed DPIA", status=S.SUBMITTED)
    DocumentFactory(deployment=lapsed, review_by=timezone.localdate() - timedelta(days=3))
    return {
        Role.AUTHORISING_OFFICER: [
            (
                "Watchlist for Camden market day",
                f"/deployments/{to_authorise.public_id}/watchlist/",
            ),
            ("Held for court", f"/deployments/{held.deployment.public_id}/retention/"),
        ],
        Role.WATCHLIST_MANAGER: [
            ("Watchlist for Brixton road", f"/deployments/{to_build.public_id}/watchlist/"),
        ],
        Role.DEPLOYMENT_PLANNER: [
            ("My own draft", None),
            ("Turned down", None),
        ],
        Role.OPERATOR: [("Oxford Circus live", f"/deployments/{live.public_id}/operate/")],
        Role.FIELD_OFFICER: [("Needs signs", f"/deployments/{needs_signs.public_id}/evidence/")],
        Role.COMPLIANCE_OFFICER: [
            ("Lapsed DPIA", f"/deployments/{lapsed.public_id}/"),
            ("Open the audit trail", "/audit/"),
        ],
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", Role.values)
def test_each_dashboard_lists_its_work_with_working_links(
    page_factory, live_server, axe, people, work, role, width
):
    page = page_factory(width, 900)
    login(page, live_server.url, people[role])
    assert Role(role).label in page.locator("header.site").inner_text()
    assert axe(page) == [], f"{role} at {width}px"
    assert fits(page), f"{role}'s dashboard is wider than {width}px"
    shot(page, f"dashboard-{role}-{width}")
    for text, target in work[role]:
        link = page.locator("main a", has_text=text).first
        assert link.is_visible(), f"{role}: no link '{text}'"
        href = link.get_attribute("href")
        if target:
            assert href == target
        response = page.goto(live_server.url + href)
        assert response.status == 200, f"{role}: {href} answered {response.status}"
        page.go_back()
    assert page.console_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_messages_differ_by_kind_in_words_colour_and_role(
    page_factory, live_server, axe, people, work, width
):
    page = page_factory(width, 900)
    login(page, live_server.url, people[Role.AUTHORISING_OFFICER])
    page.click("text=Watchlist for Camden market day")
    page.click("text=Authorise this watchlist")
    # Colours are read below: wait for the stylesheet, not only for the new DOM.
    page.wait_for_load_state("load")
    error = page.locator(".messages [role=alert]")
    assert error.inner_text().startswith("Not done:")
    assert "try again" in error.inner_text()
    shot(page, f"message-error-{width}")
    error_colour = error.evaluate("e => getComputedStyle(e).borderLeftColor")
    assert axe(page) == []

    # Once the pending entry has its second approver, the same click succeeds.
    from lfr_portal.models import WatchlistEntry

    WatchlistEntry.objects.filter(status=EntryStatus.PENDING).update(
        status=EntryStatus.APPROVED, approved_by=people[Role.WATCHLIST_MANAGER]
    )
    page.click("text=Authorise this watchlist")
    page.wait_for_load_state("load")
    done = page.locator(".messages [role=status]")
    assert done.inner_text().startswith("Done:")
    assert page.locator(".messages [role=alert]").count() == 0
    assert done.evaluate("e => getComputedStyle(e).borderLeftColor") != error_colour
    shot(page, f"message-success-{width}")
    assert axe(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_audit_trail_filters_with_pickers_and_choices(
    page_factory, live_server, axe, people, work, width
):
    operator = people[Role.OPERATOR]
    other = builders.submitted(title="Another deployment")
    live = builders.live(operator, title="Filter me")
    page = page_factory(width, 900)
    login(page, live_server.url, people[Role.COMPLIANCE_OFFICER])
    page.goto(f"{live_server.url}/audit/")
    assert axe(page) == []
    assert fits(page), f"the audit trail is wider than {width}px"
    shot(page, f"audit-{width}")

    page.select_option("#id_deployment", str(live.public_id))
    page.select_option("#id_action", "deployment.start")
    page.fill("#id_occurred_from", timezone.localdate().isoformat())
    page.click("form[aria-label='Filter the audit trail'] button[type=submit]")
    rows = page.locator("table.audit-table tbody tr")
    # The filtered page may still be loading when the click returns: wait for its rows.
    expect(rows).to_have_count(1)
    assert "Deployment went live" in rows.first.inner_text()
    assert "Another deployment" not in rows.first.inner_text()
    assert other.title not in page.locator("table.audit-table").inner_text()
    shot(page, f"audit-filtered-{width}")
    assert axe(page) == []

    # From the deployment's own page to its rows.
    page.goto(f"{live_server.url}/deployments/{live.public_id}/")
    page.click("main a:has-text('Audit trail')")
    assert page.locator("#id_deployment").input_value() == str(live.public_id)

    # A date the browser lets through but the server cannot use: a message, not an error page.
    response = page.goto(f"{live_server.url}/audit/?occurred_from=31-02-2026")
    assert response.status == 400
    assert "These filters could not be applied" in page.locator("[role=alert]").inner_text()
    assert axe(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_table_does_not_overflow(page_factory, live_server, axe, width, db):
    now = timezone.now()
    for i in range(4):
        public_deployment(
            starts_at=now - timedelta(days=i + 1),
            location_name=f"Outside the long-named shopping centre entrance {i}",
        )
    page = page_factory(width, 900)
    page.goto(f"{live_server.url}/transparency/")
    shot(page, f"transparency-{width}")
    box = page.locator(".table-scroll")
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"table overflows at {width}"
    assert fits(page)
    assert axe(page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_false_alert_estimate_reads_and_opens_its_working(
    page_factory, live_server, axe, people, settings, width
):
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    deployment = builders.submitted(title="Estimate shown", expected_faces=10_000)
    page = page_factory(width, 900)
    login(page, live_server.url, people[Role.AUTHORISING_OFFICER])
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/review/")
    estimate = page.locator(".estimate")
    assert "expected false alert" in estimate.locator("p.big").inner_text()
    figure = estimate.locator("svg[role=img]")
    assert figure.is_visible()
    assert "95% range" in figure.locator("desc").text_content()
    assert not estimate.locator("details").evaluate("d => d.open")
    estimate.locator("summary").click()
    assert "measured on" in estimate.locator("details").inner_text()
    estimate.scroll_into_view_if_needed()
    shot(page, f"review-estimate-{width}")
    assert fits(page)
    assert axe(page) == []
