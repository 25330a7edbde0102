"""The policy library, its public page and the DPO's subject access page in a real
browser on a phone (375 px): nothing wider than the screen, forms that work, axe clean."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import Adjudication, EntryStatus, PolicyVersion, Role
from lfr_portal.services.policies import deployment_policy_pin
from tests import policy_builders as lib
from tests.browser.test_end_to_end import login
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory, user_with_role

pytestmark = pytest.mark.browser
PHONE = {"width": 375, "height": 812}


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def library(db, settings):
    settings.LFR_ALERT_RETENTION = timedelta(days=31)
    officer = user_with_role(Role.COMPLIANCE_OFFICER)
    today = timezone.localdate()
    document = lib.document(officer, title="Live facial recognition: force policy")
    lib.version(
        document,
        officer,
        publishable=True,
        issued_on=today - timedelta(days=500),
        review_by=today - timedelta(days=3),
        stated_retention={"alert_images": 28},
    )
    lib.version(
        document,
        officer,
        upload=lib.text_file("Second issue.\n"),
        change_summary="Retention section brought in line with the 31-day rule.",
        publishable=True,
    )
    lib.document(officer, title="Standard operating procedure")
    return officer, document


def test_the_library_on_a_phone_uploads_and_warns(
    page_factory, live_server, axe, library, tmp_path
):
    officer, document = library
    page = page_factory(**PHONE)
    login(page, live_server.url, officer)
    page.goto(f"{live_server.url}/policies/")
    assert page.locator("[data-overdue]").count() == 0  # the newest version is in date
    assert "Version 2" in page.content()
    assert fits(page) and axe(page) == []
    upload = tmp_path / "sop.txt"
    upload.write_text("How a deployment is run.\n")
    page.select_option("#id_ver-document", label="Force policy: Standard operating procedure")
    page.set_input_files("#id_ver-file", str(upload))
    page.fill("#id_ver-issued_on", timezone.localdate().isoformat())
    page.fill("#id_ver-review_by", (timezone.localdate() + timedelta(days=365)).isoformat())
    page.fill("#id_ver-change_summary", "First issue.")
    page.fill("#id_ver-retention_alert_images", "45")
    page.click("button:has-text('Upload version')")
    page.wait_for_url(f"{live_server.url}/policies/")
    assert "the document states 45 days; the rule in force is 31 days" in page.content()
    assert PolicyVersion.objects.filter(document__title="Standard operating procedure").exists()
    assert page.locator("[data-retention-warning]").count() == 1
    assert fits(page) and axe(page) == []
    assert page.console_errors == [] and page.external_requests == []


def test_the_public_policy_page_on_a_phone(page_factory, live_server, axe, library):
    page = page_factory(**PHONE)
    page.goto(f"{live_server.url}/transparency/policies/")
    content = page.content()
    assert "Live facial recognition: force policy" in content and "Current version: 2" in content
    assert "Standard operating procedure" not in content  # nothing publishable yet
    assert fits(page) and axe(page) == []
    assert page.external_requests == []


def test_subject_access_on_a_phone(page_factory, live_server, axe, db):
    dpo = user_with_role(Role.COMPLIANCE_OFFICER)
    entry = EntryFactory(reference_number="CUST/0099/26", status=EntryStatus.APPROVED)
    AlertFactory(
        deployment=entry.watchlist.deployment, entry=entry, adjudication=Adjudication.FALSE_ALERT
    )
    page = page_factory(**PHONE)
    login(page, live_server.url, dpo)
    page.goto(f"{live_server.url}/subject-access/")
    assert fits(page) and axe(page) == []
    page.fill("#id_reference", "CUST/0099/26")
    page.click("button:has-text('Look up')")
    page.wait_for_selector("[data-answer]")
    content = page.content()
    assert entry.watchlist.deployment.title in content and "False alert" in content
    assert entry.display_name not in content
    assert fits(page) and axe(page) == []


def test_the_pins_section_on_a_phone(page_factory, live_server, axe, library, settings):
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    officer, document = library
    planner = user_with_role(Role.DEPLOYMENT_PLANNER)
    deployment = DeploymentFactory(created_by=planner)
    first = document.versions.get(number=1)
    deployment_policy_pin(actor=planner, deployment=deployment, version=first)
    page = page_factory(**PHONE)
    login(page, live_server.url, planner)
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/")
    assert "newer than the pinned version 1" in page.content()
    page.select_option(
        "#id_pin_version",
        label=f"{document.title}: version 2 (review by "
        f"{document.versions.get(number=2).review_by:%-d %b %Y})",
    )
    page.click("button:has-text('Pin version')")
    page.wait_for_selector(f"[data-pin='{document.versions.get(number=2).public_id}']")
    assert "newer than the pinned" not in page.content()
    assert fits(page) and axe(page) == []
