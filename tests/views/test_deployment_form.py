"""The drafting form is built from the model's fields: the same limits as the API, and the
EU urgency fields offered in EU AI Act mode."""

import pytest
from django.test import override_settings

from lfr_portal.forms import DeploymentForm
from lfr_portal.models import Deployment
from lfr_portal.models.deployments import EDITABLE_FIELDS
from tests.views.test_screens import draft_post

pytestmark = pytest.mark.django_db


def test_the_form_takes_every_editable_field_in_eu_mode():
    with override_settings(LFR_EU_AI_ACT_MODE=True):
        form = DeploymentForm()
    assert set(form.fields) == set(EDITABLE_FIELDS)
    assert {"eu_urgency", "eu_urgency_reason"} <= set(form.fields)


def test_outside_eu_mode_the_urgency_fields_are_not_offered():
    with override_settings(LFR_EU_AI_ACT_MODE=False):
        form = DeploymentForm()
    assert "eu_urgency" not in form.fields


def test_the_radius_limit_comes_from_the_model_and_shows_in_the_page():
    form = DeploymentForm(draft_post(radius_m="5001"))
    assert not form.is_valid()
    assert "5000" in form.errors["radius_m"][0]
    assert 'max="5000"' in str(form["radius_m"])


@override_settings(LFR_EU_AI_ACT_MODE=True)
def test_a_planner_declares_eu_urgency_through_the_form(client, planner):
    client.force_login(planner)
    page = client.get("/deployments/new/")
    assert b'name="eu_urgency"' in page.content
    response = client.post(
        "/deployments/new/",
        draft_post(eu_urgency="on", eu_urgency_reason="A credible threat to a crowd today."),
    )
    assert response.status_code == 302
    deployment = Deployment.objects.get()
    assert deployment.eu_urgency is True
    assert deployment.eu_urgency_reason == "A credible threat to a crowd today."
