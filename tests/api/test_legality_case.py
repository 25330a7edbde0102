"""The legality case through the API: the "where" fields, suspect entries' sentences,
entry flags, and finalising with the "still wanted" confirmation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import AuditEvent, Deployment, WatchlistEntry, WatchlistStatus
from tests import builders
from tests.api.endpoints import create_body, entry_body
from tests.factories import DeploymentFactory, EntryFactory

pytestmark = pytest.mark.django_db

GROUNDS = (
    "grounds_references",
    "grounds_crime_figures",
    "grounds_alternatives",
    "why_here_summary",
)


def test_the_where_case_is_drafted_and_read_back(api, planner):
    api.force_authenticate(planner)
    body = create_body()
    created = api.post("/api/deployments/create/", body, format="json")
    assert created.status_code == 201, created.content
    for name in GROUNDS:
        assert created.json()[name] == body[name]
    stored = Deployment.objects.get(public_id=created.json()["public_id"])
    assert stored.why_here_summary == body["why_here_summary"]


def test_a_public_summary_over_a_thousand_characters_is_refused(api, planner):
    api.force_authenticate(planner)
    body = {**create_body(), "why_here_summary": "x" * 1001}
    response = api.post("/api/deployments/create/", body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer.get("field") == "why_here_summary" or "why_here_summary" in answer
    assert not Deployment.objects.exists()


def test_approval_answers_each_missing_part_by_its_code(api, ao):
    deployment = builders.submitted()
    Deployment.objects.filter(pk=deployment.pk).update(grounds_references="", why_here_summary="")
    api.force_authenticate(ao)
    response = api.post(f"/api/deployments/{deployment.public_id}/approve/", {}, format="json")
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert [(p["code"], p["field"]) for p in problems] == [
        ("grounds_references_missing", "grounds_references"),
        ("why_here_summary_missing", "why_here_summary"),
    ]


def test_a_suspect_entry_needs_a_serious_enough_offence(api, manager):
    deployment = DeploymentFactory()
    api.force_authenticate(manager)
    path = f"/api/watchlists/{deployment.watchlist.public_id}/entries/add/"
    body = {**entry_body(), "category": "suspect"}
    refused = api.post(path, {**body, "offence_max_sentence_years": 1}, format="json")
    assert refused.status_code == 400
    assert refused.json()["rule"] == "offence_too_minor"
    assert refused.json()["field"] == "offence_max_sentence_years"
    missing = api.post(path, body, format="json")
    assert missing.json()["rule"] == "offence_years_missing"
    assert not WatchlistEntry.objects.exists()
    added = api.post(path, {**body, "offence_max_sentence_years": 14}, format="json")
    assert added.status_code == 201, added.content
    assert added.json()["offence_max_sentence_years"] == 14
    assert added.json()["flags"] == []


def test_entries_carry_their_flags(api, manager):
    deployment = DeploymentFactory()
    entry = EntryFactory(watchlist=deployment.watchlist)
    WatchlistEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=40),
        image_date=timezone.localdate() - timedelta(days=4000),
    )
    api.force_authenticate(manager)
    listed = api.get(f"/api/watchlists/{deployment.watchlist.public_id}/entries/").json()
    flags = listed["results"][0]["flags"]
    assert [f["code"] for f in flags] == ["entry_old", "image_old"]
    assert "Added 40 days ago" in flags[0]["message"]


def _finalise(api, deployment, body):
    return api.post(
        f"/api/watchlists/{deployment.watchlist.public_id}/finalise/", body, format="json"
    )


def test_finalising_needs_the_confirmation_and_a_recent_time(api, manager):
    deployment = builders.submitted()
    api.force_authenticate(manager)
    now = timezone.now()
    assert _finalise(api, deployment, {}).status_code == 400
    unconfirmed = _finalise(
        api, deployment, {"still_wanted_as_of": now.isoformat(), "confirm": False}
    )
    assert unconfirmed.status_code == 400
    assert "confirm" in unconfirmed.json()
    stale = _finalise(
        api,
        deployment,
        {"still_wanted_as_of": (now - timedelta(days=2)).isoformat(), "confirm": True},
    )
    assert stale.status_code == 400 and stale.json()["rule"] == "still_wanted_stale"
    future = _finalise(
        api,
        deployment,
        {"still_wanted_as_of": (now + timedelta(hours=1)).isoformat(), "confirm": True},
    )
    assert future.status_code == 400 and future.json()["rule"] == "still_wanted_future"
    assert not AuditEvent.objects.filter(action="watchlist.finalise").exists()
    done = _finalise(api, deployment, {"still_wanted_as_of": now.isoformat(), "confirm": True})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == WatchlistStatus.FINALISED
    assert done.json()["still_wanted_confirmed_by"] == manager.username
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.still_wanted_as_of == now
