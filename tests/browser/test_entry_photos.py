"""An entry's photographs on the watchlist page, on a phone and a laptop: shown with their
states, a photograph added and one removed, nothing wider than the screen, axe-core clean."""

import os
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from lfr_portal.models import EnrolmentState, EntryReference, Role
from tests.browser.test_end_to_end import login
from tests.factories import DeploymentFactory, EntryFactory, EntryReferenceFactory, user_with_role
from tests.security.images import jpeg_bytes

pytestmark = pytest.mark.browser
WIDTHS = (375, 1366)
SHOTS = os.environ.get("LFR_SCREENSHOTS")


def fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_sees_adds_and_removes_photographs(
    page_factory, live_server, axe, settings, tmp_path, monkeypatch, width, db
):
    from lfr_portal.celery import app

    monkeypatch.setattr(app, "send_task", lambda *args, **kwargs: None)
    settings.LFR_MAX_REFERENCES_PER_ENTRY = 4
    manager = user_with_role(Role.WATCHLIST_MANAGER)
    deployment = DeploymentFactory(title="Camden market day")
    entry = EntryFactory(watchlist=deployment.watchlist, reference_number="CUST/000777")
    entry.reference_image.save("first.jpg", ContentFile(jpeg_bytes()), save=True)
    rejected = EntryReferenceFactory(
        entry=entry,
        enrolment_state=EnrolmentState.REJECTED,
        enrolment_message="The image shows 2 faces. Crop it to the one person, or use a "
        "photograph of them alone.",
    )
    rejected.image.save("second.jpg", ContentFile(jpeg_bytes()), save=True)

    page = page_factory(width, 900)
    login(page, live_server.url, manager)
    page.goto(f"{live_server.url}/deployments/{deployment.public_id}/watchlist/")
    item = page.locator(f"#entry-{entry.public_id}")
    assert "2 of at most 4 photographs" in item.inner_text()
    assert "The image shows 2 faces" in item.inner_text()
    assert fits(page)
    assert axe(page) == []

    photo = tmp_path / "extra.jpg"
    photo.write_bytes(jpeg_bytes())
    item.locator("input[type=file]").set_input_files(str(photo))
    item.get_by_role("button", name="Add photograph").click()
    page.wait_for_load_state("load")
    assert "Photograph added to CUST/000777" in page.locator(".messages").inner_text()
    assert entry.references.count() == 2
    item = page.locator(f"#entry-{entry.public_id}")
    assert "3 of at most 4 photographs" in item.inner_text()
    # Every thumbnail is served to this session (they load lazily, so fetch them).
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        item.scroll_into_view_if_needed()
        item.screenshot(path=str(Path(SHOTS) / f"entry-photos-{width}.png"))
    sources = item.locator("img").evaluate_all("imgs => imgs.map(i => i.src)")
    assert len(sources) == 3
    for source in sources:
        response = page.request.get(source)
        assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    assert fits(page)
    assert axe(page) == []

    item.get_by_role("button", name="Remove photograph 2 of CUST/000777").click()
    page.wait_for_load_state("load")
    assert "Photograph removed from CUST/000777" in page.locator(".messages").inner_text()
    assert not EntryReference.objects.filter(pk=rejected.pk).exists()
    assert page.console_errors == [] and page.external_requests == []
