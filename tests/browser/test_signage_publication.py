"""Publishing a signage photo from the deployment page, on a phone, with and without script."""

from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from lfr_portal.models import Role
from tests.browser.test_end_to_end import login
from tests.factories import SignageFactory, user_with_role
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.browser


def jpeg():
    buffer = BytesIO()
    Image.new("RGB", (160, 120), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def sign(settings, live_server):
    # Tiles from the live server itself: the test never reaches outside the machine.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    record = SignageFactory(
        deployment=public_deployment(),
        location_name="A long location name for a narrow phone screen, north gate",
    )
    record.photo.save("sign.jpg", ContentFile(jpeg()), save=True)
    return record


def test_a_reviewer_checks_the_photo_on_a_phone_and_the_page_passes_axe(
    page_factory, live_server, sign, axe
):
    page = page_factory(375, 812)
    login(page, live_server.url, user_with_role(Role.COMPLIANCE_OFFICER))
    page.goto(f"{live_server.url}/deployments/{sign.deployment.public_id}/")
    thumb = page.locator("img.sign-thumb")
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert axe(page) == []
    assert page.external_requests == []


def test_publish_and_withdraw_work_without_javascript(page_factory, live_server, sign):
    page = page_factory(375, 812, java_script_enabled=False)
    login(page, live_server.url, user_with_role(Role.AUTHORISING_OFFICER))
    page.goto(f"{live_server.url}/deployments/{sign.deployment.public_id}/")
    page.get_by_role("button", name="Publish on the transparency page").click()
    page.get_by_text("Photo published on the transparency page.").wait_for()
    assert page.get_by_text("Published", exact=True).is_visible()
    withdraw = page.get_by_role("button", name="Withdraw")
    # The reason is required: the browser itself asks for it before sending.
    assert page.get_by_label("Why withdraw it").get_attribute("required") is not None
    page.get_by_label("Why withdraw it").fill("A face is visible behind the sign")
    withdraw.click()
    page.get_by_text("Photo withdrawn from the transparency page.").wait_for()
    assert page.get_by_text("Not published", exact=True).is_visible()
    sign.refresh_from_db()
    assert sign.photo_published_at is None
