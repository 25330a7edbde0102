"""The Content-Security-Policy in a real browser: enforced, and no page of ours breaks it."""

import pytest

from lfr_portal.models import DeploymentStatus, Role
from tests.browser.test_end_to_end import login
from tests.factories import DeploymentFactory, user_with_role

pytestmark = pytest.mark.browser

INJECT_INLINE = """() => {
  const script = document.createElement("script");
  script.textContent = "window.__inlineRan = true";
  document.head.appendChild(script);
  const box = document.createElement("div");
  box.setAttribute("style", "width: 123px");
  document.body.appendChild(box);
  return {script: window.__inlineRan === true, style: box.getBoundingClientRect().width === 123};
}"""


def csp_errors(page):
    return [m for m in page.console_errors if "Content Security Policy" in m]


def test_pages_with_maps_and_scripts_break_no_policy_and_inline_code_is_refused(
    page, live_server, settings
):
    settings.LFR_MAP_TILE_URL = f"{live_server.url}/static/vendor/leaflet/images/layers.png"
    planner = user_with_role(Role.DEPLOYMENT_PLANNER)
    deployment = DeploymentFactory(created_by=planner, status=DeploymentStatus.DRAFT)
    login(page, live_server.url, planner)

    for path in (
        "/dashboard/",
        "/deployments/new/",
        f"/deployments/{deployment.public_id}/",
        "/schedule/",
        "/transparency/",
    ):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        assert csp_errors(page) == [], path

    # The policy is really enforced: script and style written inline do not apply.
    assert page.evaluate(INJECT_INLINE) == {"script": False, "style": False}
    assert csp_errors(page)
