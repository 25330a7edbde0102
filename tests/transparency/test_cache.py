"""Caching and query counts: a busy day stays off the database, and once the cache
period has passed the page shows exactly what the database holds."""

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from lfr_portal.models import Adjudication, Alert, Deployment, Outcome
from tests.factories import AlertFactory, LeafletFactory, SignageFactory
from tests.transparency.conftest import public_deployment

PUBLIC_URLS = (
    "/transparency/",
    "/transparency/about/",
    "/transparency/deployments.json",
    "/transparency/deployments.csv",
    "/transparency/totals.json",
    "/transparency/announcements.atom",
)


def figures_from_database(deployment):
    """The slow, obvious way: one query per figure, to check the one-query page against."""
    alerts = Alert.objects.filter(deployment=deployment)
    return {
        "faces_processed": Deployment.objects.get(pk=deployment.pk).faces_processed,
        "alerts": alerts.count(),
        "confirmed_matches": alerts.filter(adjudication=Adjudication.CONFIRMED).count(),
        "false_alerts": alerts.filter(adjudication=Adjudication.FALSE_ALERT).count(),
        "arrests": alerts.filter(outcome=Outcome.ARREST).count(),
        "signs_recorded": deployment.signage.count(),
        "leaflets_distributed": sum(deployment.leaflets.values_list("quantity", flat=True)),
    }


def figures_on_page(client, deployment):
    rows = client.get("/transparency/deployments.json").json()["deployments"]
    row = next(r for r in rows if r["id"] == str(deployment.public_id))
    return {key: row[key] for key in figures_from_database(deployment)}


@pytest.mark.django_db
@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_a_cached_answer_does_not_touch_the_database(client, url, django_assert_num_queries):
    public_deployment()
    first = client.get(url)
    assert first.status_code == 200
    assert "max-age=60" in first["Cache-Control"]
    with django_assert_num_queries(0):
        again = client.get(url)
    assert again.content == first.content


@pytest.mark.django_db
def test_the_page_shows_the_database_exactly_once_the_cache_period_has_passed(client, settings):
    settings.LFR_TRANSPARENCY_CACHE_SECONDS = 60
    deployment = public_deployment(faces_processed=1000)
    AlertFactory(deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    before = figures_on_page(client, deployment)
    assert before == figures_from_database(deployment)
    index_before = client.get("/transparency/").content

    # The day goes on: more faces, alerts, signs and leaflets.
    Deployment.objects.filter(pk=deployment.pk).update(faces_processed=250_000)
    AlertFactory(deployment=deployment, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST)
    AlertFactory.create_batch(2, deployment=deployment, adjudication=Adjudication.FALSE_ALERT)
    SignageFactory(deployment=deployment)
    LeafletFactory(deployment=deployment, quantity=120)

    with time_machine.travel(timezone.now() + timedelta(seconds=59), tick=False):
        assert figures_on_page(client, deployment) == before  # still the cached answer
        assert client.get("/transparency/").content == index_before
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        after = figures_on_page(client, deployment)
        index = client.get("/transparency/").content.decode()
    assert after == figures_from_database(deployment)
    assert after["faces_processed"] == 250_000 and after["false_alerts"] == 3
    assert "<dt>Faces processed</dt><dd>250,000</dd>" in index


@pytest.mark.django_db
@pytest.mark.parametrize("deployments", [3, 30])
def test_query_counts_do_not_grow_with_the_number_of_deployments(
    client, deployments, django_assert_num_queries
):
    rows = [public_deployment(starts_at=timezone.now() - timedelta(days=i)) for i in range(3)]
    for _ in range(deployments - 3):
        public_deployment()
    for row in rows:
        AlertFactory(deployment=row, adjudication=Adjudication.FALSE_ALERT)
        SignageFactory(deployment=row)
        LeafletFactory(deployment=row)
    # Index: boroughs for the form, the paginator's count, one page of rows with their
    # figures, the period's totals, its engagement figures, and the audit log's latest
    # signed tree heads.
    with django_assert_num_queries(6):
        assert client.get("/transparency/").status_code == 200
    # The rows with their figures, then their FOI figures (selectors/foi_figures.py: the
    # deployments with their reviews, engagement, watchlist entries; the references kept
    # only once a watchlist is destroyed).
    for url in ("/transparency/deployments.json", "/transparency/deployments.csv"):
        with django_assert_num_queries(4):
            assert client.get(url).status_code == 200
    # The totals, and the engagement figures of the same deployments.
    with django_assert_num_queries(2):
        assert client.get("/transparency/totals.json").status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/transparency/announcements.atom").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 6])
def test_the_deployment_page_reads_a_fixed_number_of_queries(
    client, size, django_assert_num_queries
):
    deployment = public_deployment()
    AlertFactory.create_batch(size, deployment=deployment, crop="alerts/x.jpg")
    SignageFactory.create_batch(size, deployment=deployment)
    # The row with its figures, its signs, the deployment for the retention state, the
    # eight reads of retention_state (one per kind of held data), and whether the
    # watchlist's reference numbers are kept, its engagement figures, and three reads of
    # FOI figures (a fourth, the references kept, once its watchlist is destroyed).
    with django_assert_num_queries(16):
        assert client.get(f"/transparency/deployments/{deployment.public_id}/").status_code == 200


# --- after a real recognition worker ---------------------------------------------


@pytest.mark.models
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_counts_equal_the_database_after_a_real_worker_run(
    client, operator, video_set, tmp_path, settings
):
    from lfr_portal.models import CameraState, DeploymentCamera
    from lfr_portal.services.alerts import alert_adjudicate
    from tests import builders
    from tests.matcher.conftest import watchlist_references
    from tests.processes import celery_worker, wait_for

    settings.LFR_TRANSPARENCY_CACHE_SECONDS = 300
    out, truth = video_set
    source = str(out / Path(truth["videos"][0]["file"]).name)
    with celery_worker(
        tmp_path,
        queues="recognition",
        LFR_RECOGNITION_CHUNK_FRAMES="12",
        LFR_OPENCV_THREADS="1",
        LFR_VAR_DIR=str(tmp_path / "var"),
    ) as worker:
        deployment, _ = builders.live_with_real_watchlist(
            operator, source, watchlist_references(truth)
        )
        cached = figures_on_page(client, deployment)  # cached while the job starts
        booking = DeploymentCamera.objects.get(deployment=deployment)
        assert wait_for(
            lambda: DeploymentCamera.objects.get(pk=booking.pk).state == CameraState.STOPPED,
            timeout=180,
        ), worker.log_text
    alerts = list(Alert.objects.filter(deployment=deployment).order_by("captured_at"))
    assert alerts, worker.log_text
    for i, alert in enumerate(alerts):
        if i % 2:
            alert_adjudicate(actor=operator, alert=alert, adjudication=Adjudication.FALSE_ALERT)
        else:
            alert_adjudicate(
                actor=operator,
                alert=alert,
                adjudication=Adjudication.CONFIRMED,
                outcome=Outcome.ARREST,
            )
    assert figures_on_page(client, deployment) == cached
    with time_machine.travel(timezone.now() + timedelta(seconds=301), tick=False):
        shown = figures_on_page(client, deployment)
    expected = figures_from_database(deployment)
    assert shown == expected
    assert shown["faces_processed"] > 0
    assert shown["alerts"] == len(alerts)
    assert shown["false_alerts"] == len(alerts) // 2
