"""Issue 9's published figures: unresolved and waiting alerts, and both false-alert rates."""

import pytest
from django.core.cache import cache

from lfr_portal.models import Deployment
from tests import builders
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


def test_each_deployment_and_the_period_publish_both_rates(client, operator):
    deployment = builders.live(operator)
    Deployment.objects.filter(pk=deployment.pk).update(faces_processed=4000)
    camera = deployment.cameras.first()
    entry = deployment.watchlist.entries.first()
    for adjudication in ["confirmed", "false_alert", "unresolved", "pending", "pending"]:
        AlertFactory(deployment=deployment, camera=camera, entry=entry, adjudication=adjudication)
    cache.clear()
    row = client.get(f"/transparency/deployments/{deployment.public_id}.json").json()
    assert (
        row["alerts"],
        row["false_alerts"],
        row["unresolved"],
        row["awaiting_adjudication"],
    ) == (
        5,
        1,
        1,
        2,
    )
    assert row["false_alerts_per_face_processed"] == pytest.approx(1 / 4000)
    assert row["false_alerts_per_alert"] == pytest.approx(1 / 5)
    assert row["engine"] == "opencv-sface" and row["threshold"] == 0.5
    totals = client.get("/transparency/totals.json").json()
    assert (totals["unresolved"], totals["awaiting_adjudication"]) == (1, 2)
    page = client.get(f"/transparency/deployments/{deployment.public_id}/").content.decode()
    assert "Not resolved" in page and "still waiting for an officer" in page
