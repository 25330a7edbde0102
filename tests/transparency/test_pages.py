"""The public pages: who is listed, the figures, the period totals, the plain-words page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lfr_portal.models import Adjudication, DeploymentStatus, Outcome
from lfr_portal.selectors.transparency import percent, public_totals
from tests.factories import AlertFactory, LeafletFactory, SignageFactory
from tests.transparency.conftest import public_deployment

S = DeploymentStatus
pytestmark = pytest.mark.django_db


def _listed(client, **params):
    response = client.get("/transparency/deployments.json", params)
    assert response.status_code == 200
    return {row["id"] for row in response.json()["deployments"]}


def test_the_page_needs_no_login_and_sets_no_cookie(client):
    public_deployment()
    response = client.get("/transparency/")
    assert response.status_code == 200
    assert not response.cookies
    assert b"Where and how live facial recognition is used" in response.content


def test_planned_live_and_past_deployments_are_listed_and_nothing_else(client):
    shown = {
        public_deployment(S.APPROVED, went_live_at=None),
        public_deployment(S.LIVE),
        public_deployment(S.COMPLETED),
        public_deployment(S.CANCELLED, went_live_at=timezone.now() - timedelta(hours=1)),
        # A critical threat hides a planned deployment only until it goes live.
        public_deployment(S.LIVE, critical_threat_exempt=True),
    }
    hidden = {
        public_deployment(S.DRAFT),
        public_deployment(S.SUBMITTED),
        public_deployment(S.REJECTED),
        public_deployment(S.CANCELLED, went_live_at=None),
        public_deployment(S.APPROVED, critical_threat_exempt=True),
    }
    listed = _listed(client)
    assert listed == {str(d.public_id) for d in shown}
    for deployment in hidden:
        url = f"/transparency/deployments/{deployment.public_id}/"
        assert client.get(url).status_code == 404
        assert client.get(url.rstrip("/") + ".json").status_code == 404
    page = client.get("/transparency/").content.decode()
    for deployment in shown:
        assert f"/transparency/deployments/{deployment.public_id}/" in page


def test_each_row_carries_its_own_figures(client):
    deployment = public_deployment(faces_processed=12_345, watchlist_entries=37)
    other = public_deployment(faces_processed=5)
    AlertFactory.create_batch(2, deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    AlertFactory(deployment=deployment, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST)
    AlertFactory(
        deployment=deployment, adjudication=Adjudication.CONFIRMED, outcome=Outcome.NO_ACTION
    )
    AlertFactory(deployment=deployment)  # awaiting adjudication
    AlertFactory(deployment=other, adjudication=Adjudication.FALSE_ALERT)
    SignageFactory.create_batch(3, deployment=deployment)
    LeafletFactory(deployment=deployment, quantity=150)
    LeafletFactory(deployment=deployment, quantity=75)

    rows = client.get("/transparency/deployments.json").json()["deployments"]
    row = next(r for r in rows if r["id"] == str(deployment.public_id))
    assert {k: row[k] for k in FIGURE_KEYS} == {
        "faces_processed": 12_345,
        "watchlist_size": 37,
        "alerts": 5,
        "confirmed_matches": 2,
        "false_alerts": 2,
        "arrests": 1,
        "signs_recorded": 3,
        "leaflets_distributed": 225,
    }
    page = client.get(f"/transparency/deployments/{deployment.public_id}/").content.decode()
    assert "12,345" in page
    assert "<dt>Leaflets handed out</dt><dd>225</dd>" in page
    assert "<dt>Arrests</dt><dd>1</dd>" in page
    assert "0.500 (OpenCV YuNet + SFace)" in page


FIGURE_KEYS = (
    "faces_processed",
    "watchlist_size",
    "alerts",
    "confirmed_matches",
    "false_alerts",
    "arrests",
    "signs_recorded",
    "leaflets_distributed",
)


def test_period_and_borough_filter_the_list_and_the_totals(client):
    now = timezone.now()
    old = public_deployment(starts_at=now - timedelta(days=400), faces_processed=100)
    recent = public_deployment(starts_at=now - timedelta(days=10), faces_processed=1000)
    elsewhere = public_deployment(
        starts_at=now - timedelta(days=10), faces_processed=7, borough="Westminster"
    )
    AlertFactory(deployment=recent, adjudication=Adjudication.FALSE_ALERT)
    start = (now - timedelta(days=30)).date().isoformat()
    end = now.date().isoformat()

    assert _listed(client, **{"from": start, "to": end}) == {
        str(recent.public_id),
        str(elsewhere.public_id),
    }
    assert _listed(client, borough="westminster") == {str(elsewhere.public_id)}
    assert _listed(client, to=(now - timedelta(days=300)).date().isoformat()) == {
        str(old.public_id)
    }

    totals = client.get("/transparency/totals.json", {"from": start, "borough": "Camden"}).json()
    assert totals["deployments"] == 1
    assert totals["faces_processed"] == 1000
    assert totals["false_alerts"] == 1
    assert totals["false_alerts_per_face_processed"] == pytest.approx(0.001)
    assert totals["false_alerts_per_alert"] == pytest.approx(1.0)

    page = client.get("/transparency/", {"from": start, "to": end, "borough": "Camden"})
    text = page.content.decode()
    assert "Totals, from" in text and ", Camden</h2>" in text
    assert f"/transparency/deployments/{recent.public_id}/" in text
    assert f"/transparency/deployments/{old.public_id}/" not in text
    assert "0.10% (1 in 1,000 faces)" in text


def test_both_false_alert_rates_are_shown_and_explained(client):
    deployment = public_deployment(faces_processed=3_147_436)
    AlertFactory.create_batch(4, deployment=deployment, adjudication=Adjudication.CONFIRMED)
    AlertFactory(deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    text = client.get("/transparency/").content.decode()
    assert "False alerts per face processed</dt><dd>0.000032% (1 in 3,147,436 faces)" in text
    assert "False alerts per alert</dt><dd>20%" in text
    assert "the chance that a passer-by is stopped by mistake" in text
    assert "how far an officer can trust an alert" in text


def test_totals_come_from_one_aggregate_query(django_assert_num_queries):
    for _ in range(3):
        AlertFactory(deployment=public_deployment(), adjudication=Adjudication.FALSE_ALERT)
    with django_assert_num_queries(1):
        totals = public_totals()
    assert (totals.deployments, totals.false_alerts) == (3, 3)


def test_percent_keeps_two_significant_figures():
    assert percent(None) is None
    assert percent(0) == "0%"
    assert percent(10 / 3_147_436) == "0.00032%"
    assert percent(10 / 2077) == "0.48%"
    assert percent(0.25) == "25%"


def test_an_invalid_period_is_refused_in_words_and_the_page_still_answers(client):
    public_deployment()
    response = client.get("/transparency/", {"from": "2026-05-01", "to": "2026-04-01"})
    assert response.status_code == 200
    assert b"The start of the period must not be after its end." in response.content
    api = client.get("/transparency/deployments.json", {"from": "not-a-date"})
    assert api.status_code == 400
    assert "from" in api.json()


def test_the_list_is_paginated_and_pages_keep_the_filters(client):
    now = timezone.now()
    for i in range(30):
        public_deployment(starts_at=now - timedelta(days=i + 1))
    first = client.get("/transparency/", {"borough": "Camden"}).content.decode()
    assert "Page 1 of 2" in first
    assert first.count('data-label="Date and window"') == 25
    assert 'href="?page=2&amp;borough=Camden"' in first
    second = client.get("/transparency/", {"page": 2, "borough": "Camden"}).content.decode()
    assert second.count('data-label="Date and window"') == 5
    assert client.get("/transparency/", {"page": "999"}).status_code == 200


def test_the_deployment_page_says_what_is_still_held_in_plain_words(client, settings):
    deployment = public_deployment(S.COMPLETED)
    AlertFactory(deployment=deployment, crop="alerts/x.jpg")
    text = client.get(f"/transparency/deployments/{deployment.public_id}/").content.decode()
    assert "never stored" in text
    assert "1 alert image is held. Each is deleted 31 days after it was taken" in text
    assert "face templates are due to be destroyed by" in text


def test_the_about_page_explains_lfr_retention_and_rights(client, settings):
    settings.LFR_ALERT_RETENTION = timedelta(days=24)
    text = client.get("/transparency/about/").content.decode()
    assert "discarded at once" in text
    assert "for at most 24 days" in text
    assert "Deleted 24 days after capture" in text  # the rule statement, from the setting
    assert "subject access request" in text
    assert "reference numbers" in text
    assert "Independent Office for Police Conduct" in text
    assert "Information Commissioner" in text


def test_the_map_is_fed_from_settings_and_the_page_does_not_need_it(client, settings):
    settings.LFR_MAP_TILE_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    deployment = public_deployment(latitude="51.515000", longitude="-0.141000")
    text = client.get("/transparency/").content.decode()
    assert 'data-tile-url="https://tiles.example.test/{z}/{x}/{y}.png"' in text
    assert '"lat": 51.515, "lng": -0.141' in text
    assert "/static/vendor/leaflet/leaflet.js" in text
    assert "The map needs JavaScript" in text
    # Leaflet is served from our own static files, never from elsewhere.
    assert "unpkg" not in text and "cdn" not in text.lower()
    assert f"/transparency/deployments/{deployment.public_id}/" in text
