"""The review sign-off page, the review and complaint lists and the public deployment page
with its FOI figures, in a real browser on a phone (375 px): no page wider than the
screen, axe-core clean, and the forms work."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import (
    DeploymentStatus,
    Engagement,
    PostDeploymentReview,
    ReviewStatus,
    Role,
)
from lfr_portal.services.complaints import complaint_record
from lfr_portal.services.reviews import review_open
from tests.browser.test_end_to_end import login
from tests.factories import AlertFactory, user_with_role
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.browser
WIDTH = 375


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def clean(page, axe, where):
    assert axe(page) == [], where
    assert fits(page), f"{where} is wider than {WIDTH}px"
    assert page.console_errors == [], where


@pytest.fixture
def ended(db, settings, live_server):
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    deployment = public_deployment(title="Croydon North End, Saturday")
    for result, sex, ethnicity in (
        ("confirmed_person", "female", "black"),
        ("not_the_person", "male", ""),
    ):
        Engagement.objects.create(
            alert=AlertFactory(deployment=deployment),
            dispatched_by=deployment.created_by,
            dispatched_at=timezone.now(),
            result=result,
            held_minutes=0 if result == "not_the_person" else None,
            perceived_sex=sex,
            perceived_ethnicity=ethnicity,
        )
    review = review_open(actor=None, deployment=deployment)
    overdue = review_open(
        actor=None,
        deployment=public_deployment(
            title="Westminster, long ago", starts_at=timezone.now() - timedelta(days=60)
        ),
    )
    return deployment, review, overdue


def test_an_ao_signs_off_a_review_on_a_phone(page_factory, live_server, axe, ended):
    deployment, review, overdue = ended
    ao = user_with_role(Role.AUTHORISING_OFFICER)
    page = page_factory(WIDTH, 800)
    login(page, live_server.url, ao)
    assert "Post-deployment reviews overdue" in page.locator("main").inner_text()

    page.goto(f"{live_server.url}/reviews/")
    clean(page, axe, "/reviews/")
    assert "Overdue" in page.locator(f"tr[data-review='{overdue.public_id}']").inner_text()
    page.goto(f"{live_server.url}/reviews/?state=overdue")
    assert page.locator(f"tr[data-review='{review.public_id}']").count() == 0

    page.goto(f"{live_server.url}/reviews/{review.public_id}/")
    clean(page, axe, "the sign-off page")
    page.fill("#id_findings", "Ran as authorised; two stops.")
    page.fill("#id_lessons", "Signs further out.")
    page.fill("#id_public_summary", "It ran as authorised and was reviewed.")
    page.click("button:has-text('Sign off the review')")
    page.wait_for_load_state("load")
    assert "Review signed off" in page.locator(".messages").inner_text()
    clean(page, axe, "the signed-off review")
    review.refresh_from_db()
    assert review.status == ReviewStatus.SIGNED_OFF and review.signed_off_by == ao


def test_a_compliance_officer_records_a_complaint_on_a_phone(page_factory, live_server, axe, ended):
    deployment, _, _ = ended
    compliance = user_with_role(Role.COMPLIANCE_OFFICER)
    complaint_record(
        actor=compliance, category="signage", received_on=timezone.localdate(), reference="P/1"
    )
    page = page_factory(WIDTH, 800)
    login(page, live_server.url, compliance)
    page.goto(f"{live_server.url}/complaints/")
    clean(page, axe, "/complaints/")
    page.select_option("#id_category", "misidentification")
    page.fill("#id_received_on", timezone.localdate().isoformat())
    page.select_option("#id_deployment", str(deployment.public_id))
    page.fill("#id_reference", "PSD/2026/7")
    page.click("button:has-text('Record the complaint')")
    page.wait_for_load_state("load")
    clean(page, axe, "the complaint page")
    page.select_option("#id_outcome", "upheld")
    page.click("button:has-text('Record the outcome')")
    page.wait_for_load_state("load")
    assert "Upheld" in page.locator("main").inner_text()
    counted = PostDeploymentReview.objects.get(deployment=deployment)
    assert counted.deployment.complaints.get(reference="PSD/2026/7").outcome == "upheld"


def test_the_public_page_shows_the_foi_figures_on_a_phone(page_factory, live_server, axe, ended):
    deployment, review, _ = ended
    assert deployment.status == DeploymentStatus.COMPLETED
    page = page_factory(WIDTH, 800)
    page.goto(f"{live_server.url}/transparency/deployments/{deployment.public_id}/")
    clean(page, axe, "the public deployment page")
    text = page.locator("main").inner_text()
    for words in (
        "Who was on the watchlist",
        "People stopped: sex and ethnicity as the officer saw them",
        "Why here",
        "Review after the deployment",
        "fewer than 3",
    ):
        assert words in text, words
    assert "Sex: female\nfewer than 3" in text
