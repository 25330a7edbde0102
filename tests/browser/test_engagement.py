"""After the operator's decision, in a real browser: the operator sends an alert for
engagement; a field officer on a 375 px phone receives it without a reload, takes it,
records the stop and an arrest and is made to keep the image or say why not; the
compliance officer exports the evidence bundle and it verifies offline. And the other
path: the person stopped was not the person, and the officer shows them the explanation.

Screenshots land in var/screenshots/ for a person to look at.
"""

import shutil
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from lfr_portal.models import AlertHold, Engagement, EngagementOutcome, EngagementResult, Role
from lfr_portal.permissions import grant_field_officer
from lfr_portal.services.engagements import alert_send_for_engagement
from tests import builders
from tests.browser.test_end_to_end import login
from tests.browser.test_operator_and_checklist import fits, jpeg, shoot
from tests.factories import AlertFactory, user_with_role
from tests.processes import ROOT

pytestmark = pytest.mark.browser
PHONE = (375, 740)


@pytest.fixture
def local_tiles(settings, live_server):
    # Tiles from the live server itself: the test never reaches outside the machine.
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"


@pytest.fixture
def scene(local_tiles):
    operator = user_with_role(Role.OPERATOR)
    deployment = builders.live(operator)
    officer = user_with_role(Role.FIELD_OFFICER, first_name="Jo", last_name="Street")
    grant_field_officer(officer, deployment)
    return operator, deployment, officer, raised(deployment)


def raised(deployment):
    alert = AlertFactory(deployment=deployment, camera=deployment.cameras.first())
    alert.crop.save("crop.jpg", ContentFile(jpeg("tan")), save=True)
    alert.entry.reference_image.save("ref.jpg", ContentFile(jpeg("peru")), save=True)
    alert.entry.response = "arrest_on_warrant"
    alert.entry.save(update_fields=["response"])
    return alert


def open_phone(page_factory, base, officer):
    phone = page_factory(*PHONE)
    login(phone, base, officer)
    phone.goto(f"{base}/field/engagements/")
    phone.evaluate("window.__marker = 'same page'")
    return phone


def images_loaded(card):
    return card.locator(".faces img").evaluate_all(
        "imgs => imgs.map(i => i.complete && i.naturalWidth)"
    )


def verify_offline(bundle, key, tmp_path):
    """The standalone verifier, with only its own three modules and no Django."""
    package = tmp_path / "offline" / "lfr_portal"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in ("audit_chain.py", "audit_verify.py", "merkle.py"):
        shutil.copy(ROOT / "lfr_portal" / name, package / name)
    (tmp_path / "key.pem").write_bytes(key)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "offline")}
    command = [sys.executable, "-m", "lfr_portal.audit_verify", "--bundle", str(bundle)]
    return subprocess.run(
        [*command, "--public-key", "key.pem"], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_sent_for_engagement_to_an_arrest_and_a_verified_bundle(
    page_factory, live_server, axe, scene, tmp_path
):
    operator, deployment, officer, _ = scene
    base = live_server.url
    phone = open_phone(page_factory, base, officer)
    expect(phone.locator("#engagement-list")).to_contain_text("Nothing sent for engagement")

    # --- the operator sends it, confirming first ------------------------------------------
    op = page_factory(1280, 900)
    login(op, base, operator)
    op.goto(f"{base}/deployments/{deployment.public_id}/operate/")
    # Raised after the page loaded: its card, and its send button, come from the page's script.
    alert = raised(deployment)
    card = op.locator(f"li[data-alert='{alert.public_id}']")
    card.wait_for(timeout=15_000)
    card.get_by_role("button", name="Possible match: send for engagement").click()
    step = card.locator(".send-step")
    step.wait_for(state="visible")
    assert not Engagement.objects.exists()  # nothing is sent before the operator confirms
    step.get_by_role("button", name="Send it").click()
    card.wait_for(state="detached")
    expect(op.locator("#sent")).to_contain_text(alert.entry_reference)
    engagement = Engagement.objects.get(alert=alert)

    # --- the phone receives it without a reload -------------------------------------------
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    mine.wait_for(timeout=15_000)
    assert phone.evaluate("window.__marker") == "same page"
    expect(mine).to_contain_text("Arrest on warrant")
    expect(mine).to_contain_text(alert.entry.get_category_display())
    expect(mine.locator(".engagement-map.leaflet-container")).to_be_visible()
    phone.wait_for_function(
        "id => [...document.querySelectorAll(`li[data-engagement='${id}'] img`)]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        arg=str(engagement.public_id),
    )
    assert len(images_loaded(mine)) == 2  # the crop beside the reference photograph
    fits(phone)
    assert axe(phone) == []
    shoot(phone, "engagement-received-375")

    mine.get_by_role("button", name="Acknowledge: I'll take it").click()
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    mine.locator("form.result-form").wait_for()
    engagement.refresh_from_db()
    assert engagement.officer == officer
    # The operator sees who has it and when, on the next poll.
    expect(op.locator("#sent")).to_contain_text("Jo Street, acknowledged", timeout=10_000)

    # --- the stop: the person, a document check, four minutes ----------------------------
    mine.get_by_label("Confirmed: the person on the watchlist").check()
    mine.get_by_label("Stop length (minutes)").fill("4")
    mine.get_by_label("Identity check").select_option("document")
    fits(phone)
    mine.get_by_role("button", name="Record the result").click()
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    mine.locator("form.outcome-form").wait_for()
    engagement.refresh_from_db()
    assert engagement.result == EngagementResult.CONFIRMED_PERSON
    assert engagement.stop_minutes == 4 and engagement.identity_check == "document"

    # --- an arrest: the officer must keep the image or say why not -----------------------
    mine.get_by_label("Arrest", exact=True).check()
    mine.get_by_label("Arrest category").select_option("wanted_by_courts")
    mine.get_by_label("Custody reference").fill("CUST/42/2026")
    mine.get_by_role("button", name="Record the outcome").click()
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    expect(mine.locator(".hold-choice")).to_contain_text("place an evidence hold")
    engagement.refresh_from_db()
    assert engagement.outcome == ""
    assert axe(phone) == []
    shoot(phone, "engagement-hold-required-375")

    review = timezone.localdate() + timedelta(days=120)
    mine.get_by_label("Arrest", exact=True).check()
    mine.get_by_label("Arrest category").select_option("wanted_by_courts")
    mine.get_by_label("Custody reference").fill("CUST/42/2026")
    mine.get_by_label("Keep the image: place an evidence hold").check()
    mine.get_by_label("Review the hold by").fill(review.isoformat())
    fits(phone)
    mine.get_by_role("button", name="Record the outcome").click()
    expect(phone.locator(f"li[data-engagement='{engagement.public_id}']")).to_have_attribute(
        "data-stage", "done"
    )
    engagement.refresh_from_db()
    assert engagement.outcome == EngagementOutcome.ARREST
    hold = AlertHold.objects.get(alert=alert, released_at__isnull=True)
    assert hold.custody_reference == "CUST/42/2026" and hold.review_by == review
    # Closed: the card keeps no image, and the images are no longer served to the phone.
    assert phone.locator(f"li[data-engagement='{engagement.public_id}'] img").count() == 0
    response = phone.request.get(f"{base}/images/alerts/{alert.public_id}.jpg")
    assert response.status == 404
    # The one refusal above answers 400 by design; nothing else went wrong in the page.
    assert [e for e in phone.console_errors if "status of 400" not in e] == []
    assert phone.external_requests == []
    assert op.external_requests == []

    # --- the compliance officer exports the evidence bundle; it verifies offline ---------
    compliance = page_factory(1280, 900)
    login(compliance, base, user_with_role(Role.COMPLIANCE_OFFICER))
    compliance.goto(f"{base}/holds/{hold.public_id}/")
    assert axe(compliance) == []
    with compliance.expect_download() as download:
        compliance.get_by_text("Export the evidence bundle").click()
    bundle = tmp_path / "bundle.zip"
    download.value.save_as(bundle)
    key = compliance.request.get(f"{base}/audit/public-key.pem").body()
    checked = verify_offline(bundle, key, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"OK: evidence bundle for alert {alert.public_id}")


def test_a_misidentified_person_is_given_the_explanation(page_factory, live_server, axe, scene):
    operator, deployment, officer, alert = scene
    base = live_server.url
    phone = open_phone(page_factory, base, officer)
    engagement = alert_send_for_engagement(actor=operator, alert=alert)
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    mine.wait_for(timeout=15_000)
    assert phone.evaluate("window.__marker") == "same page"
    mine.get_by_role("button", name="Acknowledge: I'll take it").click()
    mine = phone.locator(f"li[data-engagement='{engagement.public_id}']")
    mine.locator("form.result-form").wait_for()

    mine.get_by_label("Confirmed: not the person (misidentified)").check()
    # Only what this answer needs is asked for.
    expect(mine.locator(".when-misidentified")).to_be_visible()
    expect(mine.locator(".when-not-engaged")).to_be_hidden()
    mine.get_by_label("Stop length (minutes)").fill("3")
    mine.get_by_label("Identity check").select_option("verbal")
    mine.get_by_label("How long they were held (minutes)").fill("3")
    mine.locator(".when-misidentified fieldset").nth(0).get_by_label("Yes").check()
    mine.locator(".when-misidentified fieldset").nth(1).get_by_label("Yes").check()
    fits(phone)
    assert axe(phone) == []
    shoot(phone, "engagement-misidentified-375")
    mine.get_by_role("button", name="Record the result").click()

    link = phone.get_by_role("link", name="Show the explanation for the person stopped")
    link.click()
    phone.wait_for_url(f"{base}/field/engagements/{engagement.public_id}/explanation/")
    text = phone.locator("main").inner_text()
    assert "You are not the person the police are looking for" in text
    assert "How to complain" in text and "How to ask for your data" in text
    assert alert.entry.display_name not in text
    assert phone.locator("main img").count() == 0
    fits(phone)
    assert axe(phone) == []
    shoot(phone, "engagement-explanation-375")
    engagement.refresh_from_db()
    assert engagement.result == EngagementResult.NOT_THE_PERSON
    assert engagement.held_minutes == 3 and engagement.explanation_given is True
    assert phone.console_errors == []
    assert phone.external_requests == []
