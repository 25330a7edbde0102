"""A watchlist entry says what officers on the street are to do when the person is found:
stated when the entry is added, else the category's usual response; on the record, shown on
the entry page and in the API, and approved with the entry like its other fields."""

import pytest
from rest_framework.test import APIClient

from lfr_portal.errors import RuleViolation
from lfr_portal.models import AuditEvent, EntryResponse, WatchlistEntry
from lfr_portal.models.watchlists import DEFAULT_RESPONSE
from lfr_portal.services import watchlists as wl
from tests.api.endpoints import entry_body
from tests.factories import DeploymentFactory
from tests.services.test_watchlists import entry_fields

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("category", sorted(DEFAULT_RESPONSE))
def test_without_a_stated_response_the_category_gives_it(manager, category):
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(
        actor=manager,
        watchlist=deployment.watchlist,
        # A suspect's offence must carry LFR_SUSPECT_OFFENCE_MIN_YEARS or more.
        **entry_fields(category=category, offence_max_sentence_years=14),
    )
    assert entry.response == DEFAULT_RESPONSE[category]


def test_a_stated_response_is_kept_and_audited(manager):
    deployment = DeploymentFactory()
    entry = wl.watchlist_entry_add(
        actor=manager,
        watchlist=deployment.watchlist,
        **entry_fields(category="wanted", response=EntryResponse.LOCATE_AND_INFORM),
    )
    entry.refresh_from_db()
    assert entry.response == EntryResponse.LOCATE_AND_INFORM
    row = AuditEvent.objects.get(action="watchlist.entry_add")
    assert row.changes["response"] == "locate_and_inform"


def test_a_response_outside_the_list_is_refused(manager):
    deployment = DeploymentFactory()
    with pytest.raises(RuleViolation):
        wl.watchlist_entry_add(
            actor=manager,
            watchlist=deployment.watchlist,
            **entry_fields(response="shoot_on_sight"),
        )
    assert not WatchlistEntry.objects.exists()


def test_the_api_takes_and_shows_the_response(manager):
    api = APIClient()
    deployment = DeploymentFactory()
    api.force_authenticate(manager)
    path = f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/"
    stated = api.post(path, {**entry_body(), "response": "safeguard"}, format="json")
    assert stated.status_code == 201, stated.content
    assert stated.json()["response"] == "safeguard"
    body = {
        **entry_body(),
        "reference_number": "CUST/2",
        "category": "suspect",
        "offence_max_sentence_years": 14,
    }
    default = api.post(path, body, format="json")
    assert default.json()["response"] == "arrest_on_suspicion"
    wrong = api.post(path, {**entry_body(), "response": "shoot_on_sight"}, format="json")
    assert wrong.status_code == 400 and "response" in wrong.json()


def test_the_entry_page_offers_and_shows_the_response(client, manager):
    deployment = DeploymentFactory()
    wl.watchlist_entry_add(
        actor=manager,
        watchlist=deployment.watchlist,
        **entry_fields(category="missing_or_vulnerable"),
    )
    client.force_login(manager)
    html = client.get(f"/deployments/{deployment.public_id}/watchlist/").content.decode()
    assert 'name="entry-response"' in html
    assert "On finding the person: <strong>Safeguard the person</strong>" in html
