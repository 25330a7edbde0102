"""What every page carries: a favicon that exists, role names in words, and flash
messages whose kind shows in words, class and ARIA role."""

import pytest
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory

from lfr_portal.errors import InvalidTransition, NotPermitted, RuleViolation
from lfr_portal.views.common import attempt

pytestmark = pytest.mark.django_db


def test_the_favicon_is_served_and_linked_from_portal_and_public_pages(client, planner):
    assert finders.find("favicon.svg")
    client.force_login(planner)
    for path in ("/dashboard/", "/transparency/"):
        page = client.get(path).content.decode()
        assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in page, path


def test_the_header_names_roles_in_words(client, planner):
    client.force_login(planner)
    header = client.get("/dashboard/").content.decode().split("</header>")[0]
    assert "(Deployment planner)" in header and "deployment_planner)" not in header


@pytest.mark.parametrize(
    "level, word, role",
    [
        (messages.ERROR, "Not done:", "alert"),
        (messages.WARNING, "Warning:", "status"),
        (messages.SUCCESS, "Done:", "status"),
        (messages.INFO, "Note:", "status"),
    ],
)
def test_each_kind_of_message_has_its_word_class_and_role(level, word, role):
    message = messages.storage.base.Message(level, "Something happened.")
    html = render_to_string("includes/message.html", {"message": message})
    assert f'class="message message-{message.level_tag}" role="{role}"' in html
    assert f'<strong class="message-kind">{word}</strong> Something happened.' in html


@pytest.mark.parametrize(
    "error, next_step",
    [
        (RuleViolation("The window is too long."), "Correct what it names and try again."),
        (NotPermitted("Only an authorising officer may."), "Ask an officer who holds the role"),
        (InvalidTransition("Already live."), "Reload the page to see where it stands now."),
    ],
)
def test_a_refused_action_says_what_to_do_next(error, next_step, planner):
    request = RequestFactory().post("/")
    request.user = planner
    request.session = {}
    from django.contrib.messages.storage.fallback import FallbackStorage

    request._messages = FallbackStorage(request)

    def refuse():
        raise error

    assert attempt(request, None, refuse) is None
    [shown] = list(messages.get_messages(request))
    assert shown.level == messages.ERROR
    assert str(shown).startswith(error.message) and next_step in str(shown)
    # The API answer stays as it was: the rule and its sentence.
    assert error.as_dict() == {"detail": error.message, "rule": error.code}


def test_counts_of_one_read_in_the_singular(client):
    from lfr_portal.stats import proportion
    from tests.factories import LeafletFactory
    from tests.transparency.conftest import public_deployment

    assert proportion(0, 1).describe("alerts").startswith("0 in 1 alert (")
    assert proportion(1, 2).describe("alerts").startswith("1 in 2 alerts (")
    assert str(LeafletFactory(quantity=1)).startswith("1 leaflet at")
    one = public_deployment(watchlist_entries=1)
    page = client.get(f"/transparency/deployments/{one.public_id}/").content.decode()
    assert "1 person" in page and "1 people" not in page
