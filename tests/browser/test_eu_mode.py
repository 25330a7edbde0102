"""EU AI Act mode in a real browser on a 375 px phone: an authorising officer records the
request as it was made, the court's decision and a notice to the data-protection
authority; the deployment page shows them. No page is wider than the screen and each
is axe-core clean."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import AuthorityNotification, Deployment, Role
from tests import builders
from tests.browser.test_end_to_end import login
from tests.factories import user_with_role

pytestmark = pytest.mark.browser
PHONE = (375, 740)


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def typed(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def clean(page, axe, where):
    assert fits(page), f"{where} is wider than the phone"
    assert axe(page) == [], where


@pytest.fixture
def urgent_live(settings, live_server):
    settings.LFR_EU_AI_ACT_MODE = True
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    operator = user_with_role(Role.OPERATOR)
    return builders.live(
        operator, eu_urgency=True, eu_urgency_reason="A missing child was seen here an hour ago."
    )


def test_an_officer_records_the_request_decision_and_notice_on_a_phone(
    page_factory, live_server, axe, urgent_live
):
    deployment = urgent_live
    ao = user_with_role(Role.AUTHORISING_OFFICER)
    phone = page_factory(*PHONE)
    login(phone, live_server.url, ao)
    detail = f"{live_server.url}/deployments/{deployment.public_id}/"
    phone.goto(detail)
    assert phone.get_by_role("heading", name="EU AI Act authorisation").is_visible()
    clean(phone, axe, "deployment page")
    phone.get_by_role("link", name="Record the request, the decision or a notice").click()
    phone.wait_for_url(f"{detail}eu/")
    assert phone.get_by_text("Decision needed by").is_visible()
    clean(phone, axe, "EU page before anything is recorded")

    phone.fill("#id_req-requested_at", typed(timezone.now() - timedelta(minutes=40)))
    phone.select_option("#id_req-method", "telephone")
    phone.fill("#id_req-reference", "TEL/2026/5")
    phone.get_by_role("button", name="Record the request").click()
    phone.wait_for_selector("text=The request to the authority is recorded.")
    clean(phone, axe, "EU page after the request")

    # A decision dated in the future is refused next to its field.
    phone.select_option("#id_dec-decision", "granted")
    phone.fill("#id_dec-authority", "Tribunal judiciaire de Paris")
    phone.select_option("#id_dec-authority_kind", "judicial")
    phone.fill("#id_dec-decided_at", typed(timezone.now() + timedelta(hours=3)))
    phone.fill("#id_dec-reference", "JUD/2026/9")
    phone.get_by_role("button", name="Record the decision").click()
    assert (
        phone.locator("#id_dec-decided_at_error")
        .inner_text()
        .startswith("The date and time cannot be in the future")
    )
    clean(phone, axe, "EU page with a refused decision")
    phone.fill("#id_dec-decided_at", typed(timezone.now() - timedelta(minutes=5)))
    phone.get_by_role("button", name="Record the decision").click()
    phone.wait_for_selector("text=The authority's decision is recorded.")
    assert Deployment.objects.get(pk=deployment.pk).eu_authorisation_decision == "granted"

    phone.select_option("#id_notice-authority", "data_protection")
    phone.fill(
        "#id_notice-authority_name", "Commission nationale de l'informatique et des libertés"
    )
    phone.fill("#id_notice-notified_at", typed(timezone.now() - timedelta(minutes=1)))
    phone.select_option("#id_notice-method", "electronic")
    phone.get_by_role("button", name="Record the notice").click()
    phone.wait_for_selector("text=The notice to the authority is recorded.")
    assert AuthorityNotification.objects.get().recorded_by == ao
    clean(phone, axe, "EU page with everything recorded")

    phone.goto(detail)
    assert phone.get_by_text("not yet recorded: market-surveillance authority.").is_visible()
    clean(phone, axe, "deployment page with the decision")
